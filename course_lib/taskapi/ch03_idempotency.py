"""Chapter 03 — safe and idempotent methods: PUT and DELETE repeat safely; POST honours Idempotency-Key.

Keys live in Redis beside the sessions: an app of its own keeps its own (dropped with its database at stop),
replicas on one database share theirs, so a retry that reaches another replica, or a restarted one, is replayed.
A key is scoped by whoever the app's own authentication (the current_user seam) says is calling — the same code
the routes run, so a bearer token, a session cookie and an API key all name their user — else by the peer address.
"""

from __future__ import annotations

import hashlib
from contextlib import AsyncExitStack

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant, solve_dependencies
from starlette.exceptions import HTTPException
from starlette.types import Scope

from course_lib.services.cache import redis_client
from course_lib.services.cache_aside import FAIL_FAST
from course_lib.services.settings import Settings
from course_lib.taskapi import ch02_rest
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import TaskAPI
from course_lib.taskapi.seams import Seams, nobody
from course_lib.web.idempotency import IdempotencyMiddleware, IdempotencyStore, Principal, anonymous


def principal_from(app: FastAPI, current_user) -> Principal:
    """Who calls, as the app's current_user dependency decides it ("user-7"); None when it refuses or names no one."""
    if current_user is nobody:
        return anonymous
    who = Dependant(path="", dependencies=[get_dependant(path="", call=current_user, name="user")])

    async def principal(scope: Scope) -> str | None:
        async with AsyncExitStack() as stack:  # what the dependency opens (a unit of work) closes before the route
            scope = {**scope, "fastapi_inner_astack": stack, "fastapi_function_astack": stack}
            try:
                solved = await solve_dependencies(
                    request=Request(scope),
                    dependant=who,
                    async_exit_stack=stack,
                    embed_body_fields=False,
                    dependency_overrides_provider=app,
                )
            except HTTPException:  # 401, or a CSRF 403: the route will answer it, and a refusal is never stored
                return None
        user = solved.values.get("user")
        return f"user-{user.id}" if user is not None and not solved.errors else None

    return principal


def shared_prefix(settings: Settings) -> str:
    """The keys of every replica on one database, across restarts; another database's keys never meet them."""
    return f"idempotency:{hashlib.sha256(str(settings.database_url).encode()).hexdigest()[:12]}:"


def extend(app: TaskAPI, seams: Seams) -> None:
    """A POST carrying an Idempotency-Key runs once; a retry with the same key gets the stored response."""
    settings = app.context.settings
    prefix = None if settings.isolate_database else shared_prefix(settings)
    store = IdempotencyStore(redis_client(settings, **FAIL_FAST), prefix=prefix)  # Redis down: 503 at once
    app.context.idempotency = store
    app.add_middleware(IdempotencyMiddleware, store=store, principal=principal_from(app, seams.current_user))
    app.context.at_stop(store.clear)  # an app of its own forgets its keys with its database; replicas keep them


CHAPTER = Chapter(__name__, previous=ch02_rest.CHAPTER, extend=extend)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 02's API with Idempotency-Key on every POST and PATCH."""
    return build_app(CHAPTER, settings)
