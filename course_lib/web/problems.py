"""RFC 9457 problem details: every error answered as application/problem+json, with "status" equal to the HTTP status.

install_problem_details(app)   exception handlers for HTTP errors, validation errors and bugs, plus a middleware
                               that rewrites any other error response (from a middleware, say) the same way, and
                               one that answers an unhandled exception with the 500 problem inside the app's own
                               middleware (Starlette's ServerErrorMiddleware sits outside them all)
document_problems(app)         the OpenAPI says so: every error response is application/problem+json
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from course_lib.web.openapi_responses import edit_openapi, operations
from course_lib.web.status_phrases import is_default_phrase, phrase

PROBLEM_JSON = "application/problem+json"
DETAIL_LIMIT = 500  # characters of a rewritten plain-text error body kept as "detail"
SERVER_LOG = logging.getLogger("uvicorn.error")
UNHANDLED = "course.unhandled_error"  # the scope key where the exception behind a 500 waits for the access log


class ProblemResponse(JSONResponse):
    """A JSONResponse with the problem+json media type."""

    media_type = PROBLEM_JSON


class Problem(HTTPException):
    """An HTTP error with problem-details extras: raise Problem(409, "email taken", type="/problems/conflict")."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        type: str = "about:blank",
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(status, detail, headers)
        self.type, self.title, self.extensions = type, title, extensions


def title_for(status: int) -> str:
    """The standard reason phrase of `status`, the title RFC 9457 asks for when type is about:blank."""
    return phrase(status) or "Error"


def occurrence() -> str:
    """A URI naming one occurrence of a problem (RFC 9457 "instance"), unique per error, for reports and logs."""
    return f"urn:uuid:{uuid.uuid4()}"


def problem_body(
    status: int,
    detail: str | None = None,
    *,
    type: str = "about:blank",
    title: str | None = None,
    instance: str | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    """The members of a problem details object: type, title, status, detail, instance and any extensions.

    `instance` identifies this occurrence, not the resource: a fresh urn:uuid unless one is given.
    """
    body: dict[str, Any] = {"type": type, "title": title or title_for(status), "status": status}
    if detail:
        body["detail"] = detail
    body["instance"] = instance or occurrence()
    return {**body, **extensions}


def problem(
    status: int, detail: str | None = None, *, headers: Mapping[str, str] | None = None, **members: Any
) -> ProblemResponse:
    """An application/problem+json response whose "status" member equals its HTTP status."""
    return ProblemResponse(problem_body(status, detail, **members), status_code=status, headers=headers)


def field_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's errors as per-field entries: where ("in"), which field, a JSON pointer for the body, what is wrong.

    The rejected input is never echoed: it may be huge, or a password.
    """
    entries = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        where, path = (location[0], location[1:]) if location else ("body", [])
        if error.get("type") == "json_invalid":
            # Pydantic's location here is a character offset in the text, not a place in a JSON document: no pointer
            entries.append(
                {
                    "in": where,
                    "field": where,
                    "position": error.get("loc", (None, None))[-1],
                    "detail": error.get("msg", "invalid"),
                    "type": "json_invalid",
                }
            )
            continue
        entry: dict[str, Any] = {"in": where, "field": ".".join(path) or where}
        if where == "body":
            entry["pointer"] = "#" + "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in path)
        entry["detail"] = error.get("msg", "invalid")
        entry["type"] = error.get("type", "value_error")
        entries.append(entry)
    return entries


async def http_error(request: Request, exc: HTTPException) -> ProblemResponse:
    """Any HTTPException (404, 405, 409, 401, ...) as problem+json; its headers (Allow, WWW-Authenticate) kept."""
    detail = exc.detail if isinstance(exc.detail, str) and not is_default_phrase(exc.detail, exc.status_code) else None
    members: dict[str, Any] = {}
    if isinstance(exc, Problem):
        members = {"type": exc.type, "title": exc.title, **exc.extensions}
    elif exc.detail is not None and not isinstance(exc.detail, str):
        members = {"errors": exc.detail}  # a structured detail (a list or dict) is kept as an extension
    return problem(exc.status_code, detail, headers=exc.headers, **members)


MAX_LISTED_ERRORS = 50  # a 60 KB body of 6,000 unknown members must not earn a 700 KB answer


async def validation_error(request: Request, exc: RequestValidationError) -> ProblemResponse:
    """422 with one entry per invalid field (the first MAX_LISTED_ERRORS); 400 when the body is not even JSON."""
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return problem(400, "the request body is not valid JSON", errors=field_errors(errors[:MAX_LISTED_ERRORS]))
    count = len(errors)
    listed = "" if count <= MAX_LISTED_ERRORS else f" (the first {MAX_LISTED_ERRORS} listed)"
    detail = f"{count} invalid field{'s' if count != 1 else ''}{listed}"
    return problem(422, detail, errors=field_errors(errors[:MAX_LISTED_ERRORS]))


async def server_error(request: Request, exc: Exception) -> ProblemResponse:
    """500 without internals: the traceback goes to the server log, never to the client."""
    return problem(500, "the server failed; the error has been logged")


class UnhandledErrorMiddleware:
    """An exception no handler took becomes the 500 problem here, so the middleware added after chapter 08 (security
    headers, request ids, the access log) dress and count it like any answer; the traceback goes to the server's log.
    Starlette's own catch-all (ServerErrorMiddleware) wraps every middleware of the app, so its 500 had none of that."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as error:
            if started:  # too late for another answer: the server closes the connection and logs it
                raise
            # The server's error log, with the message the server itself writes there: one place and one grep for
            # every crash, whichever layer caught it.
            SERVER_LOG.error("Exception in ASGI application", exc_info=error)
            scope[UNHANDLED] = error  # the middleware outside (chapter 21's access log) logs its type and stack too
            await (await server_error(Request(scope), error))(scope, receive, send)


class ProblemDetailsMiddleware:
    """Rewrites an error response that is not problem+json yet (a middleware's 406, a plain 413) into one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "HEAD":
            await self.app(scope, receive, send)
            return
        held: Message | None = None
        chunks: list[bytes] = []

        async def rewrite(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                if message["status"] >= 400 and not _is_problem(message):
                    held = message
                    return
            elif held is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                await _send_problem(scope, send, held, b"".join(chunks))
                return
            await send(message)

        await self.app(scope, receive, rewrite)


def _is_problem(start: Message) -> bool:
    for name, value in start.get("headers", []):
        if name.lower() == b"content-type":
            return value.decode("latin-1").split(";")[0].strip().lower() == PROBLEM_JSON
    return False


def _detail_from(body: bytes) -> tuple[str | None, dict[str, Any]]:
    """A detail string and extension members from an error body that was JSON ({"detail": ..., ...}) or text."""
    try:
        data = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace").strip()
        return (text[:DETAIL_LIMIT] or None), {}
    if not isinstance(data, dict):
        return None, {"errors": data}
    extensions = {key: value for key, value in data.items() if key not in ("type", "title", "status", "instance")}
    detail = extensions.pop("detail", None)
    if detail is not None and not isinstance(detail, str):
        extensions["errors"], detail = detail, None
    return detail, extensions


async def _send_problem(scope: Scope, send: Send, start: Message, body: bytes) -> None:
    status = start["status"]
    detail, extensions = _detail_from(body)
    if detail == title_for(status):
        detail = None
    content = json.dumps(problem_body(status, detail, **extensions)).encode()
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-type", b"content-length")]
    headers += [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(content)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


def install_problem_details(app: FastAPI) -> FastAPI:
    """Answer every error of `app` as application/problem+json, whoever raised it."""
    # Starlette types every handler as taking Exception, whichever class it is registered for.
    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, server_error)  # an exception raised by a middleware outside the next one
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(ProblemDetailsMiddleware)
    return app


SCHEMAS = "#/components/schemas/"
PROBLEM_SCHEMA = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; extension members may follow.",
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem.", "default": "about:blank"},
        "title": {"type": "string", "description": "A short summary of the kind of problem."},
        "status": {"type": "integer", "minimum": 400, "maximum": 599, "description": "The HTTP status code."},
        "detail": {"type": "string", "description": "What went wrong in this occurrence."},
        "instance": {"type": "string", "description": "A URI naming this occurrence (urn:uuid:...)."},
    },
    "required": ["type", "title", "status"],
}
FIELD_ERROR_SCHEMA = {
    "title": "FieldError",
    "type": "object",
    "description": "One invalid field of a request (field_errors).",
    "properties": {
        "in": {"type": "string", "description": "body, query, path or header"},
        "field": {"type": "string"},
        "pointer": {"type": "string", "description": "A JSON pointer into the body, as #/title."},
        "position": {"type": "integer", "description": "Where a body that is not JSON broke: a character offset."},
        "detail": {"type": "string"},
        "type": {"type": "string"},
    },
    "required": ["in", "field", "detail", "type"],
}
VALIDATION_PROBLEM_SCHEMA = {
    "title": "ValidationProblem",
    "description": "A Problem that lists each invalid field (400 and 422).",
    "allOf": [
        {"$ref": SCHEMAS + "Problem"},
        {"type": "object", "properties": {"errors": {"type": "array", "items": {"$ref": SCHEMAS + "FieldError"}}}},
    ],
}
VALIDATION_STATUSES = {"400", "422"}
FASTAPI_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError")  # FastAPI's 422 body, unused once replaced


def problem_content(status: str) -> dict[str, Any]:
    """The content of an error response: application/problem+json with a Problem (ValidationProblem for 400, 422)."""
    name = "ValidationProblem" if status in VALIDATION_STATUSES else "Problem"
    return {PROBLEM_JSON: {"schema": {"$ref": SCHEMAS + name}}}


def as_problems(schema: dict) -> None:
    """Make every documented error response of an OpenAPI document application/problem+json, in place."""
    for operation in operations(schema):
        for status, response in operation.get("responses", {}).items():
            if status[:1] in "45":
                response["content"] = problem_content(status)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(
        Problem=PROBLEM_SCHEMA, FieldError=FIELD_ERROR_SCHEMA, ValidationProblem=VALIDATION_PROBLEM_SCHEMA
    )
    text = json.dumps(schema.get("paths", {}))
    for name in FASTAPI_ERROR_SCHEMAS:
        if f'"{SCHEMAS}{name}"' not in text:
            components.pop(name, None)


def document_problems(app: FastAPI) -> FastAPI:
    """Say in the app's OpenAPI what install_problem_details does: every documented error is problem+json.

    It runs after every other OpenAPI edit, so errors documented by later chapters are problem+json too.
    """
    edit_openapi(app, as_problems, last=True)
    return app
