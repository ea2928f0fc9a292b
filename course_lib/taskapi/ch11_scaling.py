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

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from course_lib.services.cache import redis_client
from course_lib.services.settings import Settings
from course_lib.taskapi import ch10_http_caching
from course_lib.taskapi.build import build_app, forget_on_stop
from course_lib.taskapi.seams import Seams

PREVIOUS = ch10_http_caching

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


class MemoryCounter:
    """A count in this process's memory: correct for one process, one share of the truth for each of N."""

    def __init__(self) -> None:
        self.count = 0

    def increment(self) -> int:
        """Add one visit; the new count (called on the event loop, so no two requests of a process interleave)."""
        self.count += 1
        return self.count


def visits_router() -> APIRouter:
    """POST /visits/in-memory and POST /visits/in-redis: the same counter, state in the process or in Redis."""
    router = APIRouter(prefix="/visits", tags=["visits"])

    @router.post("/in-memory")
    async def count_in_memory(request: Request) -> Visits:
        """Count a visit in this process's memory (wrong behind a load balancer: each replica counts its own)."""
        state = request.app.state
        return Visits(visits=state.memory_visits.increment(), instance=state.settings.instance_name)

    @router.post("/in-redis")
    def count_in_redis(request: Request) -> Visits:
        """Count a visit in Redis with INCR: one atomic counter that every replica shares."""
        state = request.app.state
        return Visits(visits=state.redis.incr(state.visits_key), instance=state.settings.instance_name)

    return router


def extend(app: FastAPI, seams: Seams) -> None:
    """Name the serving process in every response; count visits in memory and in Redis."""
    settings = app.state.settings
    app.state.memory_visits = MemoryCounter()
    app.state.redis = redis_client(settings)
    # Replicas of one deployment share one counter; an app of its own (a test, a notebook) keeps its own.
    app.state.visits_key = VISITS_KEY if not settings.isolate_database else f"{VISITS_KEY}:{uuid.uuid4().hex}"
    app.include_router(visits_router())
    app.add_middleware(InstanceHeader, name=settings.instance_name)
    redis, key = app.state.redis, app.state.visits_key
    forget_on_stop(app, lambda: redis.delete(key))  # an app of its own forgets its counter; replicas keep theirs


def create_app(settings: Settings | None = None) -> FastAPI:
    """Chapter 10's API, ready to run as replicas: each names itself, and shared state lives in Redis."""
    return build_app(__name__, settings)
