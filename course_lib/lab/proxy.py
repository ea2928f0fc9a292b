"""A tiny reverse proxy with a shared cache: a layer between client and server that the client cannot tell apart."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from course_lib.web.negotiation import accept_field
from course_lib.web.problems import PROBLEM_JSON, problem_body

# Hop-by-hop fields describe one connection, not the message: a proxy must not pass them on (RFC 9110 §7.6.1),
# nor any field that Connection names.
HOP_BY_HOP = frozenset({"connection", "proxy-connection", "keep-alive", "te", "transfer-encoding", "upgrade"})
# Not hop-by-hop, but set again on the next hop: Host names the origin (RFC 9110 §7.2), and the body's length is
# framing that the proxy recomputes for the bytes it actually sends.
REWRITTEN = frozenset({"host", "content-length"})
# What a proxy says about the client: set from what the proxy itself saw, never passed on from the client, who could
# write anything there (an X-Forwarded-For of 6.6.6.6 would otherwise become the client's address behind it).
FORWARDING = frozenset({"forwarded", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-real-ip"})
# A request that carries credentials asks for one user's data (RFC 9111 §3.5 names Authorization; an API key or a
# cookie does the same here): a shared cache neither stores nor reuses its answer unless the answer says it may.
CREDENTIALS = ("authorization", "x-api-key", "cookie")
SHARED_DESPITE_CREDENTIALS = frozenset({"public", "s-maxage", "must-revalidate"})
VIA = "1.1 course-proxy"


def hop_by_hop(headers: list[tuple[str, str]]) -> set[str]:
    """The lower-case names of the hop-by-hop fields of a message: the fixed ones and those its Connection lists."""
    named = {name.strip().lower() for key, value in headers if key.lower() == "connection" for name in value.split(",")}
    return set(HOP_BY_HOP) | (named - {""})


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


def may_share_with_credentials(cache_control: str | None) -> bool:
    """True when a response may be stored and reused for requests with credentials (public, s-maxage, ...)."""
    return bool(SHARED_DESPITE_CREDENTIALS & directives(cache_control).keys())


@dataclass
class Stored:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    stored_at: float
    max_age: int
    shared: bool = False  # may answer a request that carries credentials


class ReverseProxy:
    """An ASGI app that forwards every request to `origin` and caches what Cache-Control allows a shared cache to."""

    def __init__(
        self, origin: str, clock: Callable[[], float] = time.monotonic, cache: bool = True, timeout: float = 10.0
    ) -> None:
        self.origin, self.clock, self.caching, self.timeout = origin.rstrip("/"), clock, cache, timeout
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
        """Answer from the cache when a fresh copy exists, else forward to the origin (502/504 when it fails)."""
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        key = (target, accept_field(request.headers) or "")  # the origin varies on Accept (all its lines)
        cacheable = self.caching and request.method in ("GET", "HEAD")
        credentials = any(name in request.headers for name in CREDENTIALS)
        stored = self.cache.get(key) if cacheable else None
        if stored is not None and (stored.shared or not credentials):
            age = int(self.clock() - stored.stored_at)
            if age < stored.max_age:
                return self._response(
                    stored.status, stored.headers, stored.body, request.method, [("age", str(age)), ("x-cache", "HIT")]
                )
            del self.cache[key]
        try:
            status, headers, body = await self._forward(request, target)
        except httpx.TimeoutException:
            return self._gateway_error(504, f"the origin did not answer within {self.timeout:g} s", request.method)
        except httpx.TransportError as error:
            return self._gateway_error(502, f"the origin could not be reached ({type(error).__name__})", request.method)
        cache_control = dict(headers).get("cache-control")
        max_age, shared = shared_max_age(cache_control), may_share_with_credentials(cache_control)
        if cacheable and request.method == "GET" and status == 200 and max_age and (shared or not credentials):
            self.cache[key] = Stored(status, headers, body, self.clock(), max_age, shared)
        return self._response(status, headers, body, request.method, [("x-cache", "MISS")])

    async def _forward(self, request: Request, target: str) -> tuple[int, list[tuple[str, str]], bytes]:
        self.forwarded += 1
        incoming = request.headers.items()
        dropped = hop_by_hop(incoming) | REWRITTEN | FORWARDING  # httpx sets Host and Content-Length for the origin
        headers = [(k, v) for k, v in incoming if k not in dropped]
        client = request.client.host if request.client else "unknown"
        headers += [
            ("x-forwarded-for", client),
            ("x-forwarded-proto", request.url.scheme),
            ("x-forwarded-host", request.headers.get("host", "")),
            ("via", VIA),
        ]
        answer = await self.exchange(request.method, target, headers, await request.body())
        received = answer.headers.multi_items()
        # httpx hands over the decoded body, so its encoding and length are recomputed on the way out
        dropped = hop_by_hop(received) | {"content-length", "content-encoding"}
        kept = [(k, v) for k, v in received if k.lower() not in dropped]
        return answer.status_code, kept, answer.content

    async def exchange(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> httpx.Response:
        """Send the request to the origin and read its answer (a load balancer may try another origin)."""
        async with self.connect() as http:
            return await http.request(method, target, headers=headers, content=body)

    def connect(self) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        """A client to the origin for one request (a load balancer picks among origins and keeps connections)."""
        return httpx.AsyncClient(base_url=self.origin, timeout=self.timeout)

    def _gateway_error(self, status: int, detail: str, method: str) -> Response:
        """502 Bad Gateway or 504 Gateway Timeout: the proxy is up, the server behind it failed (RFC 9110 §15.6)."""
        body = problem_body(status, detail)
        return self._response(
            status,
            [("content-type", PROBLEM_JSON), ("cache-control", "no-store")],
            json.dumps(body).encode(),
            method,
            [("x-cache", "MISS")],
        )

    @staticmethod
    def _response(
        status: int, headers: list[tuple[str, str]], body: bytes, method: str, extra: list[tuple[str, str]]
    ) -> Response:
        response = Response(content=b"" if method == "HEAD" else body, status_code=status)
        length = [] if method == "HEAD" else [(b"content-length", str(len(body)).encode())]
        response.raw_headers = length + [
            (k.encode("latin-1"), v.encode("latin-1")) for k, v in [*headers, ("via", VIA), *extra]
        ]
        return response
