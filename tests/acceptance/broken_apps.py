"""Deliberately broken task APIs: each the reference with one classic mistake, for test_mutants.py to prove that the
acceptance check about that mistake fails on it (a suite that cannot fail proves nothing).

Each is an app factory like the reference's (settings → app). Most wrap the reference app in a small ASGI layer that
makes the mistake at the HTTP boundary; the ownership and alg=none mistakes swap a seam of the reference instead.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import jwt
from starlette.middleware.cors import CORSMiddleware

from course_lib.taskapi import ch16_redis_cache
from course_lib.taskapi.api_keys import API_KEY
from course_lib.taskapi.bearer_auth import BEARER, bearer_user
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.cookie_auth import SESSION
from course_lib.taskapi.login_schemes import logged_in_by
from course_lib.taskapi.seams import Seams, everyone_reads
from tests.acceptance.hooks import stored_password_hash

REFERENCE = ch16_redis_cache.CHAPTER  # the finished API on this branch


def _mutant(name: str, swap: Callable[[Seams], Seams]) -> Callable[..., Any]:
    chapter = Chapter(f"tests.acceptance.ch{REFERENCE.number:02d}_{name}", previous=REFERENCE, swap_seams=swap)
    return lambda settings=None: build_app(chapter, settings)


# Ownership check removed: any user reads any task (writes by another user get 403, telling "exists" from "absent").
no_ownership = _mutant("no_ownership", lambda seams: replace(seams, task_access=everyone_reads))


def _none_trusting_user(request, uow, token: str):
    """The alg=none mistake: a token whose header says "none" is believed without a signature."""
    if jwt.get_unverified_header(token).get("alg", "").lower() == "none":
        claims = jwt.decode(token, options={"verify_signature": False})
        return uow.users.get(int(claims["sub"]))
    return bearer_user(request, uow, token)


alg_none_accepted = _mutant(
    "alg_none",
    lambda seams: replace(
        seams, current_user=logged_in_by(replace(BEARER, user=_none_trusting_user), SESSION, API_KEY)
    ),
)


class _Layer:
    """An ASGI layer around the reference app (attributes such as .context pass through)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send) -> None:
        await self.app(scope, receive, send)


def _layered(layer: type[_Layer]) -> Callable[..., Any]:
    return lambda settings=None: layer(ch16_redis_cache.create_app(settings))


class _TracebackOn404(_Layer):
    """A 404 replaced by a 500 that shows the traceback (a debug page left on in production)."""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        status: dict[str, int] = {}

        async def rewrite(message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 404:
                status["replaced"] = 1
                await send(
                    {"type": "http.response.start", "status": 500, "headers": [(b"content-type", b"text/plain")]}
                )
                return
            if status and message["type"] == "http.response.body":
                await send(
                    {
                        "type": "http.response.body",
                        "body": b'Traceback (most recent call last):\n  File "/app/routes/tasks.py", line 42, in '
                        b"get_task\n    return storage[task_id]\nKeyError: 7\n",
                    }
                )
                return
            await send(message)

        await self.app(scope, receive, rewrite)


class _RewrittenBody(_Layer):
    """A layer that holds each answer of the requests it `applies` to and sends `rewrite(status, body)` instead."""

    def applies(self, scope) -> bool:
        return scope["type"] == "http"

    def rewrite(self, status: int, body: bytes) -> bytes:
        return body

    async def __call__(self, scope, receive, send) -> None:
        if not self.applies(scope):
            return await self.app(scope, receive, send)
        held: list[dict] = []

        async def hold(message) -> None:
            held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                start = held[0]
                body = self.rewrite(start["status"], b"".join(each.get("body", b"") for each in held[1:]))
                headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
                await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, hold)


class _HashInUserResponses(_RewrittenBody):
    """POST /users answers the stored password hash with the user (a response model that forgot to leave it out)."""

    def applies(self, scope) -> bool:
        return scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/users"

    def rewrite(self, status: int, body: bytes) -> bytes:
        if status != 201:
            return body
        user = json.loads(body)
        return json.dumps({**user, "password_hash": stored_password_hash(self.app, user["email"])}).encode()


class _DoneAsText(_RewrittenBody):
    """A task's `done` answered as the text "no" where the OpenAPI promises a boolean (a serializer that drifted from
    the documented schema)."""

    def rewrite(self, status: int, body: bytes) -> bytes:
        if status >= 300 or not body.startswith(b"{") or b'"done"' not in body:
            return body
        answer = json.loads(body)
        return json.dumps({**answer, "done": "no"}).encode() if isinstance(answer.get("done"), bool) else body


class _IfMatchIgnored(_Layer):
    """Any If-Match is treated as '*': the precondition never fails (lost updates come back)."""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            headers = [(k, b"*" if k == b"if-match" else v) for k, v in scope["headers"]]
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


class _IdempotencyKeyDropped(_Layer):
    """The Idempotency-Key header never reaches the app: every retry creates a row."""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"idempotency-key"]}
        await self.app(scope, receive, send)


class _LimitClamped(_Layer):
    """An out-of-range page size is clamped to 1..100 instead of refused (the client never hears of its mistake)."""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            pairs = parse_qsl(scope["query_string"].decode(), keep_blank_values=True)
            fixed = [
                (k, str(min(max(int(v), 1), 100)) if k == "limit" and v.lstrip("-").isdigit() else v) for k, v in pairs
            ]
            scope = {**scope, "query_string": urlencode(fixed).encode()}
        await self.app(scope, receive, send)


class _TellsUnknownUsers(_Layer):
    """A login that says "no such user" (404) for an unknown e-mail: anyone can list who has an account."""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in ("/tokens", "/session"):
            return await self.app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            email = json.loads(body).get("email")
        except (ValueError, AttributeError):
            email = None
        if isinstance(email, str) and stored_password_hash(self.app, email) is None:
            problem = json.dumps({"type": "about:blank", "title": "Not Found", "status": 404, "detail": "no such user"})
            await send(
                {
                    "type": "http.response.start",
                    "status": 404,
                    "headers": [(b"content-type", b"application/problem+json")],
                }
            )
            await send({"type": "http.response.body", "body": problem.encode()})
            return
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class _CrashesOnNonAscii(_Layer):
    """A header parsed as ASCII: any other byte raises, and the server answers 500 (a crash on hostile input)."""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            for _, value in scope["headers"]:
                value.decode("ascii")  # UnicodeDecodeError → 500
        await self.app(scope, receive, send)


traceback_500 = _layered(_TracebackOn404)
crashes_on_non_ascii = _layered(_CrashesOnNonAscii)
hash_leaked = _layered(_HashInUserResponses)
done_as_text = _layered(_DoneAsText)
if_match_ignored = _layered(_IfMatchIgnored)
idempotency_key_ignored = _layered(_IdempotencyKeyDropped)
limit_clamped = _layered(_LimitClamped)
login_tells_unknown_users = _layered(_TellsUnknownUsers)


# Chapter 20's features are not on this branch: a layer adds each, once wrong and once right, so checks 13 and 14 are
# seen to run, pass on the right one and fail on the wrong one (not only to skip as "not applicable").
class _Cors(_Layer):
    def __init__(self, app: Any, **options: Any) -> None:
        super().__init__(app)
        self.cors = CORSMiddleware(app, allow_methods=["*"], allow_headers=["*"], allow_credentials=True, **options)

    async def __call__(self, scope, receive, send) -> None:
        await self.cors(scope, receive, send)


def cors_reflects_any_origin(settings=None) -> Any:
    """Any Origin echoed, with credentials: every site a victim visits reads their data."""
    return _Cors(ch16_redis_cache.create_app(settings), allow_origin_regex=".*")


def cors_allow_list(settings=None) -> Any:
    """The right policy: an explicit allow-list."""
    return _Cors(ch16_redis_cache.create_app(settings), allow_origins=["https://app.example.org"])


class _RateLimited(_Layer):
    """A fixed window of LIMIT requests per WINDOW seconds for everyone; `fields` says whether answers carry the IETF
    RateLimit / RateLimit-Policy fields."""

    LIMIT, WINDOW = 30, 2

    def __init__(self, app: Any, fields: bool) -> None:
        super().__init__(app)
        self.fields, self.window, self.used = fields, 0, 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        now = time.monotonic()
        window = int(now // self.WINDOW)
        if window != self.window:
            self.window, self.used = window, 0
        self.used += 1
        reset = max(1, int(self.WINDOW - now % self.WINDOW + 0.999))
        remaining = max(self.LIMIT - self.used, 0)
        extra = (
            [(b"ratelimit", f'"window";r={remaining};t={reset}'.encode()), (b"ratelimit-policy", b'"window";q=30;w=2')]
            if self.fields
            else []
        )
        if self.used > self.LIMIT:
            body = json.dumps({"type": "about:blank", "title": "Too Many Requests", "status": 429}).encode()
            headers = [(b"content-type", b"application/problem+json"), (b"retry-after", str(reset).encode()), *extra]
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return

        async def with_fields(message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_fields)


def rate_limit_without_fields(settings=None) -> Any:
    """429 with Retry-After but none of the RateLimit fields a client could pace itself by."""
    return _RateLimited(ch16_redis_cache.create_app(settings), fields=False)


def rate_limited(settings=None) -> Any:
    """The right answer: 429, Retry-After, RateLimit and RateLimit-Policy; the next window allows again."""
    return _RateLimited(ch16_redis_cache.create_app(settings), fields=True)


class _Jobs(_Layer):
    """Chapter 17's pattern in miniature, for check 2's job half: POST /tasks/{id}/export → 202 + Location of
    /jobs/{id}; GET /jobs/{id} → 200 for the task's owner, else the 404 of a missing job (unless `owner_checked` is off:
    the mistake). Who owns a job is asked of the app itself: GET /tasks/{id} with the caller's credentials."""

    EXPORT = re.compile(r"^/tasks/(\d+)/export$")
    JOB = re.compile(r"^/jobs/([^/]+)$")

    def __init__(self, app: Any, owner_checked: bool = True) -> None:
        super().__init__(app)
        self.owner_checked, self.jobs = owner_checked, {}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method = scope["path"], scope["method"]
        if path == "/openapi.json":
            return await _json(send, 200, self.openapi())
        export, job = self.EXPORT.match(path), self.JOB.match(path)
        if export and method == "POST":
            if not await self.may_read(scope, int(export.group(1))):
                return await _json(send, 404, _problem(404, f"task {export.group(1)} not found"))
            job_id = str(uuid.uuid4())
            self.jobs[job_id] = int(export.group(1))
            return await _json(
                send, 202, {"id": job_id, "status": "queued"}, [(b"location", f"/jobs/{job_id}".encode())]
            )
        if job and method == "GET":
            task_id = self.jobs.get(job.group(1))
            if task_id is None or (self.owner_checked and not await self.may_read(scope, task_id)):
                return await _json(send, 404, _problem(404, f"job {job.group(1)} not found"))
            return await _json(send, 200, {"id": job.group(1), "status": "finished", "result": {"task": task_id}})
        return await self.app(scope, receive, send)

    async def may_read(self, scope, task_id: int) -> bool:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k != b"content-length"}
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return (await client.get(f"/tasks/{task_id}", headers=headers)).status_code == 200

    def openapi(self) -> dict:
        schema = json.loads(json.dumps(self.app.openapi()))
        problem = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        task_id = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "integer"}}
        job_id = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
        schema["paths"]["/tasks/{task_id}/export"] = {
            "post": {
                "operationId": "export_task",
                "parameters": [task_id],
                "responses": {"202": {"description": "Accepted"}, "404": {"description": "Not found", **problem}},
            }
        }
        schema["paths"]["/jobs/{job_id}"] = {
            "get": {
                "operationId": "get_job",
                "parameters": [job_id],
                "responses": {"200": {"description": "The job"}, "404": {"description": "Not found", **problem}},
            }
        }
        return schema


def _problem(status: int, detail: str) -> dict:
    return {"type": "about:blank", "title": "Not Found", "status": status, "detail": detail}


async def _json(send, status: int, body: dict, headers: list | None = None) -> None:
    kind = b"application/problem+json" if status >= 400 else b"application/json"
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-type", kind), *(headers or [])]}
    )
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


def jobs_owner_checked(settings=None) -> Any:
    """Jobs whose status only their owner may read."""
    return _Jobs(ch16_redis_cache.create_app(settings))


def jobs_readable_by_anyone(settings=None) -> Any:
    """The mistake: any logged-in user who has a job's id reads it."""
    return _Jobs(ch16_redis_cache.create_app(settings), owner_checked=False)
