"""Calls to another service, within a deadline, and what the API answers when the dependency fails (RFC 9110 §15.6).

| what happened on the way out | our answer |
|---|---|
| no complete answer within the deadline (however it was spent: connecting, waiting, a trickling body) | 504 |
| cannot connect, connection refused or reset; the dependency answers 5xx or 429 | 503 + Retry-After |
| an answer we cannot use: 4xx to our request, not JSON, too large, broken HTTP | 502 |

RFC 9110 defines the three statuses for a gateway or proxy answering for an upstream server; an application server
that calls a dependency uses them by convention, because they tell the client what retrying can do. Never a 500:
the fault is not in this server's code.
"""

from __future__ import annotations

from typing import Any

import anyio
import httpx

from course_lib.web.problems import Problem

RETRY_AFTER_SECONDS = 5  # how long a client should wait before asking again when a dependency is down
MAX_BODY_BYTES = 1_000_000  # an answer larger than this is not read to the end: memory is the server's, not theirs


_FRAMING = {"content-encoding", "content-length", "transfer-encoding"}


class TooLarge(Exception):
    """The dependency's answer is longer than the API reads."""


def status_for(outcome: httpx.Response | Exception) -> int:
    """What the API answers for one outbound call's outcome: 200 (usable JSON), 502, 503 or 504."""
    if isinstance(outcome, httpx.TimeoutException):
        return 504
    if isinstance(outcome, httpx.NetworkError):
        return 503
    if isinstance(outcome, Exception):
        return 502
    if outcome.status_code >= 500 or outcome.status_code == 429:
        return 503
    if not outcome.is_success:
        return 502
    try:
        outcome.json()
    except ValueError:
        return 502
    return 200


def dependency_problem(status: int, service: str, why: str) -> Problem:
    """The problem+json error for a failed call to `service`; 503 says when to retry."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None
    kind = {502: "bad-dependency-answer", 503: "dependency-unavailable", 504: "dependency-timeout"}[status]
    return Problem(status, f"{service}: {why}", type=f"/problems/{kind}", headers=headers, dependency=service)


def _why(outcome: httpx.Response | Exception, deadline: float) -> str:
    if isinstance(outcome, httpx.TimeoutException):
        return f"no answer within {deadline:g} s"
    if isinstance(outcome, Exception):
        return f"{type(outcome).__name__} on the way there"
    if not outcome.is_success:
        return f"it answered {outcome.status_code}"
    return "its answer is not JSON"


async def read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The body of a streamed response, or TooLarge as soon as it passes `max_bytes`."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise TooLarge
    return bytes(body)


async def fetch(
    client: httpx.AsyncClient, url: str, *, deadline: float, max_bytes: int = MAX_BODY_BYTES
) -> httpx.Response:
    """GET `url`, its whole body read within `deadline` seconds in all; TimeoutError past it, TooLarge past the cap."""
    # httpx's timeout bounds each phase (connect, each read, ...), not the call: a dependency that sends one byte
    # every 0.1 s never trips a 0.5 s read timeout. The deadline around the whole call is what bounds the wait.
    with anyio.fail_after(deadline):
        async with client.stream("GET", url, timeout=deadline) as response:
            body = await read_capped(response, max_bytes)
    # The body is decoded already (gzip undone): the copy must not say it is still encoded.
    headers = [(name, value) for name, value in response.headers.multi_items() if name not in _FRAMING]
    return httpx.Response(response.status_code, headers=headers, content=body, request=response.request)


async def get_json(
    client: httpx.AsyncClient, url: str, *, service: str, timeout: float, max_bytes: int = MAX_BODY_BYTES
) -> Any:
    """GET `url` and return its JSON, all within `timeout` seconds, or raise the Problem for how it failed."""
    try:
        response = await fetch(client, url, deadline=timeout, max_bytes=max_bytes)
    except TimeoutError:
        raise dependency_problem(504, service, f"no complete answer within {timeout:g} s") from None
    except TooLarge:
        raise dependency_problem(502, service, f"its answer is longer than {max_bytes:,} bytes") from None
    except httpx.HTTPError as error:
        raise dependency_problem(status_for(error), service, _why(error, timeout)) from None
    status = status_for(response)
    if status != 200:
        raise dependency_problem(status, service, _why(response, timeout))
    return response.json()
