"""Chapter 11 — scaling out: the same API as N replicas behind a load balancer, so no state may live in one process.

- every response names the process that served it (X-Instance: settings.instance_name), so a client sees the
  load balancer take turns;
- a visit counter twice: POST /visits/in-memory counts in this process's memory (each replica counts its own share,
  so behind a balancer the number is wrong), POST /visits/in-redis counts in Redis, which every replica shares.
  Sessions (chapter 09) already live in Redis and tasks in the database: they work on any replica.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from course_lib.services.cache import redis_client
from course_lib.services.settings import Settings
from course_lib.taskapi import ch10_http_caching
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import ContextDep, TaskAPI, need
from course_lib.taskapi.seams import Seams

VISITS_KEY = "visits"


class InstanceHeader:
    """Pure ASGI middleware: add `X-Instance: <name>` to every response."""

    def __init__(self, app: ASGIApp, name: str) -> None:
        self.app, self.header = app, (b"x-instance", name.encode("latin-1"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def named(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self.header]
            await send(message)

        await self.app(scope, receive, named)


class Visits(BaseModel):
    """How many visits the counter has seen, and which process answered."""

    visits: Annotated[int, Field(ge=1, examples=[3])]
    instance: Annotated[str, Field(examples=["replica-2"])]


def visits_router() -> APIRouter:
    """POST /visits/in-memory and POST /visits/in-redis: the same counter, state in the process or in Redis."""
    router = APIRouter(prefix="/visits", tags=["visits"])

    @router.post("/in-memory")
    async def count_in_memory(context: ContextDep) -> Visits:
        """Count a visit in this process's memory (wrong behind a load balancer: each replica counts its own)."""
        context.memory_visits += 1  # async, on the event loop: no other request of this process runs in between
        return Visits(visits=context.memory_visits, instance=context.settings.instance_name)

    @router.post("/in-redis")
    def count_in_redis(context: ContextDep) -> Visits:
        """Count a visit in Redis with INCR: one atomic counter that every replica shares."""
        visits = need(context.redis, "visit counter in Redis", 11).incr(context.visits_key)
        return Visits(visits=visits, instance=context.settings.instance_name)

    return router


def extend(app: TaskAPI, seams: Seams) -> None:
    """Name the serving process in every response; count visits in memory and in Redis."""
    settings = app.context.settings
    redis = app.context.redis = redis_client(settings)
    # Replicas of one deployment share one counter; an app of its own (a test, a notebook) keeps its own.
    key = app.context.visits_key = VISITS_KEY if not settings.isolate_database else f"{VISITS_KEY}:{uuid.uuid4().hex}"
    app.include_router(visits_router())
    app.add_middleware(InstanceHeader, name=settings.instance_name)
    app.context.at_stop(lambda: redis.delete(key))  # an app of its own forgets its counter; replicas keep theirs


CHAPTER = Chapter(__name__, previous=ch10_http_caching.CHAPTER, extend=extend)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 10's API, ready to run as replicas: each names itself, and shared state lives in Redis."""
    return build_app(CHAPTER, settings)
