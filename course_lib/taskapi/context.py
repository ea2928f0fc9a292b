"""What the task API holds for its life, as one typed object: `app.context`, reached in a route through one dependency.

Each field says which chapter fills it; a field a chapter has not reached yet is None, and `need()` turns reading it
into an error that names that chapter. `at_stop()` is the one clean-up mechanism: what an app of its own keeps in a
shared service (Redis keys) is forgotten when its server stops, or at interpreter exit if it was never served.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, TypeVar, cast

import fakeredis
import redis as redis_module
from fastapi import Depends, FastAPI, Request

from course_lib.web.cache_control import DEFAULT_RULES, CacheRule

if TYPE_CHECKING:  # the types only: the context must not import what later chapters add
    import httpx
    import redis

    from course_lib.services.cache_aside import CacheAside
    from course_lib.services.queue import JobQueue
    from course_lib.services.settings import Settings
    from course_lib.taskapi.seams import Seams
    from course_lib.taskapi.storage import Storage
    from course_lib.web.cursors import CursorSigner
    from course_lib.web.idempotency import IdempotencyStore
    from course_lib.web.json_logs import RequestLog
    from course_lib.web.metrics import HttpMetrics
    from course_lib.web.rate_limits import RateLimits
    from course_lib.web.refresh_tokens import RefreshStore
    from course_lib.web.sessions import SessionCookie, SessionStore
    from course_lib.web.tokens import TokenConfig
    from course_lib.web.tracing import Tracing

T = TypeVar("T")


def added_by(chapter: int | None, what: str) -> dict[str, object]:
    """A context field's metadata: the chapter that adds it (None: the build itself) and what it holds."""
    return {"chapter": chapter, "what": what}


@dataclass(eq=False)
class AppContext:
    """The task API's resources, one typed field each, with the chapter that adds it and what it is for."""

    settings: Settings = field(metadata=added_by(None, "from the environment (pydantic-settings), or given"))
    seams: Seams = field(metadata=added_by(None, "every chapter's swap_seams folded in order"))
    storage: Storage = field(metadata=added_by(None, "the storage seam's (01 memory, 06 SQL, 13 ORM, 16 cached)"))
    cache_rules: tuple[CacheRule, ...] = field(default=DEFAULT_RULES, metadata=added_by(2, "Cache-Control by path"))
    idempotency: IdempotencyStore | None = field(default=None, metadata=added_by(3, "Idempotency-Key records"))
    sessions: SessionStore | None = field(default=None, metadata=added_by(9, "server-side sessions"))
    session_cookie: SessionCookie | None = field(default=None, metadata=added_by(9, "the cookie's name and flags"))
    allowed_origins: frozenset[str] = field(default=frozenset(), metadata=added_by(9, "configured, never the Host"))
    memory_visits: int = field(default=0, metadata=added_by(11, "this process's visit count"))
    redis: redis.Redis | None = field(default=None, metadata=added_by(11, "the shared visit counter's client"))
    visits_key: str = field(default="", metadata=added_by(11, "the shared visit counter's key"))
    outbound: httpx.AsyncClient | None = field(default=None, metadata=added_by(12, "pooled client, while served"))
    cursors: CursorSigner | None = field(default=None, metadata=added_by(14, "signs list cursors"))
    tokens: TokenConfig | None = field(default=None, metadata=added_by(15, "access-token keys and lifetime"))
    refresh_tokens: RefreshStore | None = field(default=None, metadata=added_by(15, "refresh-token families"))
    cache: CacheAside | None = field(default=None, metadata=added_by(16, "the task cache in Redis"))
    jobs: JobQueue | None = field(default=None, metadata=added_by(17, "background jobs: a queue and its worker"))
    rate_limits: RateLimits | None = field(default=None, metadata=added_by(20, "request counters in Redis"))
    request_log: RequestLog | None = field(default=None, metadata=added_by(21, "the JSON access log"))
    metrics: HttpMetrics | None = field(default=None, metadata=added_by(21, "Prometheus registry, /metrics"))
    tracing: Tracing | None = field(default=None, metadata=added_by(21, "tracer provider, spans in memory"))
    _forget: list[Callable[[], object]] = field(default_factory=list, repr=False)

    def at_stop(self, forget: Callable[[], object]) -> None:
        """Call `forget` when the server stops (or at exit), if the app has a database of its own: what it
        kept in a shared Redis goes with its data; replicas on a shared database keep it."""
        if self.settings.isolate_database:
            self._forget.append(forget)

    def stop(self) -> None:
        """Run every clean-up once, each failure only logged (a Redis that is down leaves keys that expire)."""
        forget_all(self._forget)

    def disconnect(self) -> None:
        """Close the sockets of every Redis client the app holds; a later command opens a new one. FastAPI's caches
        keep a stopped app alive for the process's life, so without this each stopped server kept its connections
        (a test process reached 1,024 descriptors, past what select() accepts)."""
        for value in vars(self).values():
            client = value if isinstance(value, redis_module.Redis) else getattr(value, "redis", None)
            if isinstance(client, redis_module.Redis) and not isinstance(client, fakeredis.FakeRedis):
                client.connection_pool.disconnect()


def forget_all(forgets: list[Callable[[], object]]) -> None:
    """Run and drop each clean-up of `forgets`; one that fails must not fail a server's stop."""
    while forgets:
        forget = forgets.pop(0)
        try:
            forget()
        except Exception as error:  # any failure of a clean-up is only worth a line in the log
            logging.getLogger("course_lib.taskapi").warning("clean-up at stop failed: %s", error)


@dataclass
class Origins:
    """Which chapter added what: seams and resources by name, middleware and routes by the object FastAPI holds."""

    seams: dict[str, list[int]] = field(default_factory=dict)  # each seam → the chapters that swapped it
    resources: dict[str, list[int]] = field(default_factory=dict)  # each context field → the chapters that set it
    middleware_chapters: dict[int, int] = field(default_factory=dict)  # id(starlette Middleware) → chapter
    route_chapters: dict[int, int] = field(default_factory=dict)  # id(route) → chapter


class TaskAPI(FastAPI):
    """A FastAPI app that carries its typed context, and which chapter added each of its parts."""

    context: AppContext
    origins: Origins

    def attach(self, context: AppContext, origins: Origins) -> None:
        """Give the app its context; its clean-ups also run at interpreter exit if it was never served (FastAPI's own
        caches hold an app for the life of the process, so a finalizer runs then, not when the app is dropped)."""
        self.context, self.origins = context, origins
        weakref.finalize(self, forget_all, context._forget)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[TaskAPI]:
        """The app started as a server starts it and stopped on exit, to call it in process (httpx's ASGITransport):
        the ASGI lifespan protocol, so every chapter's lifespan and FastAPI's own set-up run, in order."""
        inbox: asyncio.Queue[dict] = asyncio.Queue()
        outbox: asyncio.Queue[dict] = asyncio.Queue()
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
        served = asyncio.create_task(self(scope, inbox.get, outbox.put))  # type: ignore[arg-type]

        async def answer(to: str) -> None:
            await inbox.put({"type": f"lifespan.{to}"})
            reply = asyncio.create_task(outbox.get())
            await asyncio.wait({reply, served}, return_when=asyncio.FIRST_COMPLETED)
            if not reply.done():  # the app ended without answering: its error is the one to raise
                reply.cancel()
                served.result()
                raise RuntimeError(f"the app ended during lifespan.{to}")
            message = reply.result()
            if message["type"] != f"lifespan.{to}.complete":
                raise RuntimeError(f"lifespan.{to} failed: {message.get('message', '')}")

        try:
            await answer("startup")
            yield self
            await answer("shutdown")
        finally:
            if not served.done():
                served.cancel()
            await asyncio.gather(served, return_exceptions=True)


def need(value: T | None, what: str, chapter: int) -> T:
    """`value`, or an error saying which chapter adds it: a route that reads a resource its app does not have."""
    if value is None:
        raise RuntimeError(f"this app has no {what}: chapter {chapter:02d} adds it")
    return value


def context_of(app: FastAPI) -> AppContext:
    """The context of a task API app."""
    return cast(TaskAPI, app).context


async def app_context(request: Request) -> AppContext:
    """The dependency: the context of the app serving this request (async: FastAPI would run a plain def in a
    worker thread, a hop that costs more than the lookup)."""
    return context_of(request.app)


ContextDep = Annotated[AppContext, Depends(app_context)]
