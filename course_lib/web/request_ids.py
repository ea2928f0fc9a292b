"""Request ids: a client's `X-Request-ID` kept when it is well-formed, else a new one; echoed on the response and held
in a context variable for the life of the request, so every log line, span and job of the request can carry it.

A client chooses the id it sends, so it is checked before it is trusted: at most 64 characters of letters, digits and
`.`, `_`, `:`, `-`. Anything else — a newline that would start a forged log line, a quote, a space, a letter that is not
ASCII (`é`, which `\\w` and `str.isalnum()` accept), an id as long as a page — is replaced by a fresh one, never copied
into a log. The context variable is set in an ASGI middleware: the sync dependencies and endpoints FastAPI runs in
worker threads get a copy of the context, so they see it too (a value *set* in such a thread does not come back, which
is why the user id is noted on the `RequestInfo` object, not by setting the variable).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from opentelemetry import trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
MAX_LENGTH = 64
WELL_FORMED = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_LENGTH}}}")  # ASCII only: \w and str.isalnum() take "é"


@dataclass
class RequestInfo:
    """What the logs may say about the request being served: its id, and who is calling once that is known."""

    request_id: str
    user_id: int | None = None


_current: ContextVar[RequestInfo | None] = ContextVar("request", default=None)


def current_request() -> RequestInfo | None:
    """The request this code runs for (None outside a request)."""
    return _current.get()


def current_request_id() -> str | None:
    """The id of the request this code runs for: what a job enqueued here carries in its meta (None outside one)."""
    info = _current.get()
    return None if info is None else info.request_id


@contextmanager
def request_context(request_id: str | None, user_id: int | None = None) -> Iterator[None]:
    """Run a block as part of request `request_id`: a job that a request enqueued with
    `meta={"request_id": current_request_id()}` runs its work inside `request_context(job.meta.get("request_id"))`,
    so its log lines carry the id of the request that asked for it. A missing or malformed id gets a new one."""
    token = _current.set(RequestInfo(request_id_for(request_id), user_id))
    try:
        yield
    finally:
        _current.reset(token)


def note_user(user_id: int) -> None:
    """Record who is calling on the current request (a no-op outside one)."""
    info = _current.get()
    if info is not None:
        info.user_id = user_id


def well_formed(value: str | None) -> bool:
    """True for an id safe to copy into a log line and a header: 1 to 64 of A–Z a–z 0–9 . _ : - (ASCII only)."""
    return value is not None and WELL_FORMED.fullmatch(value) is not None


def new_request_id() -> str:
    """A fresh id: 32 hex digits from the operating system's random source (uuid4's bytes, without the object)."""
    return os.urandom(16).hex()


def request_id_for(sent: str | None) -> str:
    """The id a request gets: the one it sent when well-formed, else a new one."""
    return sent if sent is not None and well_formed(sent) else new_request_id()


def _sent_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            return value.decode("latin-1")
    return None


class RequestIdMiddleware:
    """Gives each HTTP request its id (kept or new), holds it in the context while the app runs, and echoes it in the
    response's X-Request-ID; the request's trace (if it is traced) gets it as the attribute `request.id`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        info = RequestInfo(request_id_for(_sent_id(scope)))
        trace.get_current_span().set_attribute("request.id", info.request_id)  # FastAPI's server span, if traced
        echoed = (b"x-request-id", info.request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, echoed]}
            await send(message)

        token = _current.set(info)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _current.reset(token)
