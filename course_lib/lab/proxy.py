"""A tiny reverse proxy with a shared cache: a layer between client and server that the client cannot tell apart."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

# Hop-by-hop headers describe one connection, not the message, so a proxy must not pass them on (RFC 9110 §7.6.1).
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                        "upgrade", "host", "content-length"})
VIA = "1.1 course-proxy"


def directives(cache_control: str | None) -> dict[str, str | None]:
    """'public, max-age=60' → {'public': None, 'max-age': '60'}."""
    found: dict[str, str | None] = {}
    for part in (cache_control or "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            found[name.lower()] = value.strip('"') or None
    return found


def shared_max_age(cache_control: str | None) -> int | None:
    """How many seconds a shared cache may reuse a response, or None when it must not store or reuse it."""
    found = directives(cache_control)
    if {"no-store", "no-cache", "private"} & found.keys():
        return None
    value = found.get("s-maxage") or found.get("max-age")
    return int(value) if value and value.isdigit() else None


@dataclass
class Stored:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    stored_at: float
    max_age: int


class ReverseProxy:
    """An ASGI app that forwards every request to `origin` and caches what Cache-Control allows a shared cache to."""

    def __init__(self, origin: str, clock: Callable[[], float] = time.monotonic, cache: bool = True) -> None:
        self.origin, self.clock, self.caching = origin.rstrip("/"), clock, cache
        self.cache: dict[tuple[str, str], Stored] = {}
        self.forwarded = 0  # requests that reached the origin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan: nothing to set up
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
                message = await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        """Answer from the cache when a fresh copy exists, else forward to the origin."""
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        key = (target, request.headers.get("accept", ""))  # the origin varies on Accept
        cacheable = self.caching and request.method in ("GET", "HEAD")
        stored = self.cache.get(key) if cacheable else None
        if stored is not None:
            age = int(self.clock() - stored.stored_at)
            if age < stored.max_age:
                return self._response(stored.status, stored.headers, stored.body, request.method,
                                      [("age", str(age)), ("x-cache", "HIT")])
            del self.cache[key]
        status, headers, body = await self._forward(request, target)
        max_age = shared_max_age(dict(headers).get("cache-control"))
        if cacheable and request.method == "GET" and status == 200 and max_age:
            self.cache[key] = Stored(status, headers, body, self.clock(), max_age)
        return self._response(status, headers, body, request.method, [("x-cache", "MISS")])

    async def _forward(self, request: Request, target: str) -> tuple[int, list[tuple[str, str]], bytes]:
        self.forwarded += 1
        headers = [(k, v) for k, v in request.headers.items() if k not in HOP_BY_HOP]
        client = request.client.host if request.client else "unknown"
        headers += [("x-forwarded-for", client), ("via", VIA)]
        async with httpx.AsyncClient(base_url=self.origin, timeout=10.0) as http:
            answer = await http.request(request.method, target, headers=headers, content=await request.body())
        # httpx hands over the decoded body, so its encoding and length are recomputed on the way out
        kept = [(k, v) for k, v in answer.headers.multi_items() if k.lower() not in HOP_BY_HOP | {"content-encoding"}]
        return answer.status_code, kept, answer.content

    @staticmethod
    def _response(status: int, headers: list[tuple[str, str]], body: bytes, method: str,
                  extra: list[tuple[str, str]]) -> Response:
        response = Response(content=b"" if method == "HEAD" else body, status_code=status)
        length = [] if method == "HEAD" else [(b"content-length", str(len(body)).encode())]
        response.raw_headers = length + [
            (k.encode("latin-1"), v.encode("latin-1")) for k, v in [*headers, ("via", VIA), *extra]]
        return response
