"""Guards in front of every route: a request body larger than the limit gets 413, a body in the wrong format or coding
415, and a field that takes one value sent twice with different values 400."""

from __future__ import annotations

from fastapi import params
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from course_lib.web.field_lines import RepeatedField, single_field
from course_lib.web.negotiation import route_of
from course_lib.web.problems import problem

MAX_BODY_BYTES = 64 * 1024  # the documented limit: a task is a few hundred bytes, 64 KiB leaves room and no more
JSON_TYPES = ("application/json",)  # plus any application/*+json
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Fields that carry one value: two lines that differ are two requests in one, and a proxy or firewall in front may
# judge the one the API does not use (Idempotency-Key has its own check in chapter 03's middleware).
SINGLE_FIELDS = ("Authorization", "X-API-Key", "Content-Type")


class BodyTooLarge(HTTPException):
    """Raised from receive() when a body without Content-Length grows past the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than the limit of {limit} bytes")


class BodySizeLimitMiddleware:
    """413 Content Too Large for a body over `max_bytes`: at once from Content-Length, or while the body streams in."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            # Refuse before reading a byte: the client told us the size up front.
            await self._too_large(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:  # raised where no exception handler turned it into a response (e.g. in a middleware)
            if started:
                raise
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413, f"the request body is larger than the limit of {self.max_bytes} bytes", max_bytes=self.max_bytes
        )
        await response(scope, receive, send)


def media_type(headers: Headers) -> str | None:
    """The media type of a request's Content-Type without parameters ('application/json'), or None."""
    value = headers.get("content-type")
    return value.split(";")[0].strip().lower() if value else None


def is_json(media: str | None) -> bool:
    """True for application/json and the application/*+json family (problem+json, merge-patch+json, ...)."""
    return media is not None and (media in JSON_TYPES or (media.startswith("application/") and media.endswith("+json")))


def accepted_types(app, scope: Scope) -> tuple[str, ...] | None:
    """The body media types the route matching `scope` reads, or None when it declares no body."""
    route = route_of(app, scope)
    if not isinstance(route, APIRoute) or route.body_field is None:
        return None
    return FORM_TYPES if isinstance(route.body_field.field_info, params.Form) else JSON_TYPES


def has_body(headers: Headers) -> bool:
    """True when the request carries a body (a non-zero Content-Length, or chunked transfer)."""
    length = headers.get("content-length", "")
    return (length.isdigit() and int(length) > 0) or "transfer-encoding" in headers


class ContentTypeMiddleware:
    """415 Unsupported Media Type when a body's Content-Type is not what its route reads (JSON, or a form)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        accepted = accepted_types(scope["app"], scope) if has_body(headers) else None
        if accepted and (coding := content_coding(headers)) is not None:
            response = problem(
                415,
                f"this endpoint reads bodies as sent, without a content coding; the request had {coding[:64]!r}",
                headers={"Accept-Encoding": "identity"},  # RFC 9110 §12.5.3: the codings it would take
            )
            await response(scope, receive, send)
            return
        media = media_type(headers)
        if accepted and not (is_json(media) if accepted == JSON_TYPES else media in accepted):
            got = f"Content-Type {media!r}" if media else "no Content-Type"
            response = problem(
                415,
                f"this endpoint reads {' or '.join(accepted)}; the request had {got}",
                headers={"Accept": ", ".join(accepted)},  # RFC 9110 §12.5.1: what to send instead
                accepted=list(accepted),
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def content_coding(headers: Headers) -> str | None:
    """The Content-Encoding a request body is in, None for none or identity (the only coding the API reads)."""
    codings = [coding.strip().lower() for line in headers.getlist("content-encoding") for coding in line.split(",")]
    coded = [coding for coding in codings if coding not in ("", "identity")]
    return ", ".join(coded) if coded else None


class SingleFieldsMiddleware:
    """400 problem+json when a field that takes one value (SINGLE_FIELDS) comes on several lines that differ."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = Headers(scope=scope)
            try:
                for name in SINGLE_FIELDS:
                    single_field(headers.getlist(name), name)
            except RepeatedField as repeated:
                await problem(400, str(repeated))(scope, receive, send)
                return
        await self.app(scope, receive, send)


def install_limits(app, max_bytes: int = MAX_BODY_BYTES):
    """Put the guards on `app`: the size limit outermost, so nothing inside reads an oversized body."""
    app.add_middleware(ContentTypeMiddleware)
    app.add_middleware(SingleFieldsMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=max_bytes)
    return app
