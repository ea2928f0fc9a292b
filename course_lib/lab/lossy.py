"""A network that loses responses, and a client that retries: the situation Idempotency-Key exists for."""

from __future__ import annotations

import uuid

import httpx


class LoseResponses(httpx.BaseTransport):
    """Delivers every request, but loses the first `lost` responses on the way back, as a dropped connection would."""

    def __init__(self, lost: int = 1) -> None:
        self.inner = httpx.HTTPTransport()
        self.lost = lost

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)  # the server has done the work by now
        if self.lost > 0:
            self.lost -= 1
            response.close()
            raise httpx.ReadError("connection reset before the response arrived", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def new_key() -> str:
    """A fresh idempotency key: a random UUID, as the draft recommends."""
    return str(uuid.uuid4())


def post_with_retries(
    client: httpx.Client, url: str, json: dict, idempotency_key: str | None = None, attempts: int = 3
) -> tuple[httpx.Response | None, list[str]]:
    """POST until a response arrives (at most `attempts` times); return it and what each attempt saw."""
    # The draft's form of the header is a quoted Structured Field string.
    headers = {"Idempotency-Key": f'"{idempotency_key}"'} if idempotency_key else {}
    seen: list[str] = []
    for _ in range(attempts):  # a real client waits between attempts (backoff with jitter); chapter 22 does
        try:
            response = client.post(url, json=json, headers=headers)
        except httpx.TransportError as error:
            seen.append(f"lost: {error}")
            continue
        seen.append(f"{response.status_code}" + (" (replayed)" if response.headers.get("idempotent-replayed") else ""))
        return response, seen
    return None, seen
