"""The machinery that composes chapters into an app (not course material: chapters read as their ideas).

A chapter module names the chapter it builds on (PREVIOUS) and may define:
- swap_seams(seams) -> Seams: the seams it replaces (seams.py);
- extend(app, seams): what it adds — routers, middleware, exception handlers;
- lifespan(app): an async context manager run while a server serves the app.
build_app folds the seams of every chapter up to the asked one, then lets each chapter extend the app in order.
"""

from __future__ import annotations

import logging
import sys
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from types import ModuleType

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from course_lib.services.settings import Settings, get_settings
from course_lib.taskapi.seams import Seams
from course_lib.web.api_docs import install_offline_docs


def lineage(module: ModuleType) -> list[ModuleType]:
    """The chapter modules from the first one to `module`, following PREVIOUS."""
    chain = [module]
    while getattr(chain[-1], "PREVIOUS", None) is not None:
        chain.append(chain[-1].PREVIOUS)
    return chain[::-1]


def chapter_number(module: ModuleType) -> int:
    """02 from course_lib.taskapi.ch02_rest."""
    return int(module.__name__.rsplit(".", 1)[-1][2:4])


def seams_of(module: ModuleType) -> Seams:
    """The seams as they stand at the end of `module`'s chapter."""
    seams = Seams()
    for chapter in lineage(module):
        if hasattr(chapter, "swap_seams"):
            seams = chapter.swap_seams(seams)
    return seams


def forget_on_stop(app: FastAPI, forget: Callable[[], object]) -> None:
    """An app with a database of its own calls `forget` when its server stops (and when the app is garbage, if it
    was never served), so what it kept in a shared Redis goes with its data; replicas on a shared database keep it."""
    if app.state.settings.isolate_database:
        app.state.on_stop.append(forget)
        weakref.finalize(app, _quietly, forget)


def _quietly(forget: Callable[[], object]) -> None:
    """Clean-up that must not fail a server's stop: a Redis that is down then leaves keys that expire on their own."""
    try:
        forget()
    except Exception as error:  # any failure of a clean-up is only worth a line in the log
        logging.getLogger("course_lib.taskapi").warning("clean-up at stop failed: %s", error)


def build_app(module_name: str, settings: Settings | None = None) -> FastAPI:
    """The task API as it stands at the end of the chapter of `module_name`."""
    module = sys.modules[module_name]
    chain = lineage(module)
    settings = settings or get_settings()
    seams = seams_of(module)
    storage = seams.storage(settings)
    lifespans = [chapter.lifespan for chapter in chain if hasattr(chapter, "lifespan")]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        storage.start()
        try:
            async with AsyncExitStack() as stack:
                for each in lifespans:
                    await stack.enter_async_context(each(app))
                yield
        finally:
            for forget in app.state.on_stop:
                _quietly(forget)
            storage.stop()

    app = FastAPI(title="Task API", version=f"0.{chapter_number(module)}.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    install_offline_docs(app)  # Swagger UI and ReDoc from local files: no CDN, so they work offline and on Binder
    app.state.settings, app.state.seams, app.state.storage = settings, seams, storage
    app.state.on_stop = []
    for chapter in chain:
        if hasattr(chapter, "extend"):
            chapter.extend(app, seams)
    prepare_routes(app)
    return app


def prepare_routes(app: FastAPI) -> None:
    """Build every route's dependency tree now, with the app: FastAPI ≥ 0.165 builds an included router's routes on
    the first request that walks them, which made the first answer of every new server ~100 ms slower."""
    for _ in iter_route_contexts(app.router.routes):
        pass
