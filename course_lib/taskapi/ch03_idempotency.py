"""Chapter 03 — safe and idempotent methods: PUT and DELETE repeat safely; POST honours Idempotency-Key."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from course_lib.services.cache import redis_client
from course_lib.services.settings import Settings
from course_lib.taskapi import ch02_rest
from course_lib.taskapi.build import build_app
from course_lib.taskapi.seams import Seams
from course_lib.web.idempotency import IdempotencyMiddleware, IdempotencyStore

PREVIOUS = ch02_rest


def extend(app: FastAPI, seams: Seams) -> None:
    """A POST carrying an Idempotency-Key runs once; a retry with the same key gets the stored response."""
    store = IdempotencyStore(redis_client(app.state.settings))
    app.state.idempotency = store
    app.add_middleware(IdempotencyMiddleware, store=store)
    weakref.finalize(app, store.clear)  # also when the app is never served, or the kernel exits while it runs


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Delete this app's idempotency keys when its server stops (a real Redis outlives the app); they expire anyway."""
    try:
        yield
    finally:
        app.state.idempotency.clear()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Chapter 02's API with Idempotency-Key on every POST."""
    return build_app(__name__, settings)
