"""CORS with an explicit allow-list: Starlette's CORSMiddleware, made strict where it is lenient.

- an origin is allowed only if it is listed exactly; "*" is refused (with credentials Starlette would then echo ANY
  origin back with Access-Control-Allow-Credentials: true — any site could read a logged-in user's data);
- a request from an origin not listed gets no Access-Control-* field at all (Starlette adds Allow-Credentials and
  Expose-Headers to every response that has an Origin), only `Vary: Origin`; a request without Origin is left alone;
- a refused preflight is 400 as problem+json, like every other error of the API.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Send

from course_lib.web.problems import problem

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# What a page may send beyond the CORS-safelisted fields: credentials, JSON, conditional and idempotent requests.
REQUEST_HEADERS = ("Authorization", "Content-Type", "X-API-Key", "X-CSRF-Token", "If-Match", "If-None-Match",
                   "Idempotency-Key")  # fmt: skip
# What a page may read beyond the safelisted response fields.
EXPOSED_HEADERS = ("ETag", "Location", "Link", "Retry-After", "RateLimit", "RateLimit-Policy", "X-Total-Count",
                   "Deprecation", "Sunset")  # fmt: skip
PREFLIGHT_MAX_AGE = 600  # seconds a browser may reuse a preflight's answer (Chromium caps it at 7200)


class StrictCORSMiddleware(CORSMiddleware):
    """CORS for the listed origins only, with credentials (the session cookie of chapter 09)."""

    def __init__(self, app: ASGIApp, allowed_origins: Sequence[str]) -> None:
        if "*" in allowed_origins:
            raise ValueError("CORS with credentials needs explicit origins: '*' would let any site read user data")
        super().__init__(
            app,
            allow_origins=list(allowed_origins),
            allow_methods=METHODS,
            allow_headers=REQUEST_HEADERS,
            allow_credentials=True,
            expose_headers=EXPOSED_HEADERS,
            max_age=PREFLIGHT_MAX_AGE,
        )

    def preflight_response(self, request_headers: Headers) -> Response:
        answer = super().preflight_response(request_headers)
        if answer.status_code == 200:
            return answer
        refused = bytes(answer.body).decode()  # "Disallowed CORS origin, method"
        return problem(400, f"{refused}: this API answers cross-origin requests from its listed origins only",
                       headers={"Vary": "Origin"})  # fmt: skip

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        origin = request_headers.get("origin")
        if origin is None:
            # No Origin, no CORS: Starlette would add `Vary: Origin` here too. The API's answers are private or
            # no-store (chapter 02), so no shared cache keeps one to hand to a page; and a page's request has an Origin.
            await send(message)
            return
        if message["type"] != "http.response.start" or self.is_allowed_origin(origin):
            await super().send(message, send, request_headers)
            return
        message.setdefault("headers", [])
        MutableHeaders(scope=message).add_vary_header("Origin")
        await send(message)
