"""The machinery that composes chapters into an app (not course material: chapters read as their ideas).

build_app folds the seams of every chapter up to the asked one (chapter.py), gives the app its context (context.py),
with the telemetry settings chapters ask for (FastAPI takes them in its constructor only), then lets each chapter
extend the app in order, noting which chapter added each middleware, route, seam and resource
(what `python -m course_lib.taskapi describe` prints).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import fields

from fastapi.routing import iter_route_contexts
from fastapi.telemetry import TelemetryConfig

from course_lib.services.settings import Settings, get_settings
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import AppContext, Origins, TaskAPI
from course_lib.taskapi.seams import Seams
from course_lib.web.api_docs import install_offline_docs

RESOURCES = [each.name for each in fields(AppContext) if each.name not in ("settings", "seams", "storage", "_forget")]


def fold_seams(chapter: Chapter, origins: Origins | None = None) -> Seams:
    """The seams at the end of `chapter`, noting in `origins` the last chapter that set each."""
    seams = Seams()
    for each in chapter.lineage():
        if each.swap_seams is None:
            continue
        swapped = each.swap_seams(seams)
        for seam in fields(Seams):
            if origins is not None and getattr(swapped, seam.name) is not getattr(seams, seam.name):
                origins.seams.setdefault(seam.name, []).append(each.number)
        seams = swapped
    return seams


def build_app(chapter: Chapter, settings: Settings | None = None) -> TaskAPI:
    """The task API as it stands at the end of `chapter`."""
    chain = chapter.lineage()
    origins = Origins()
    settings = settings or get_settings()
    seams = fold_seams(chapter, origins)
    lifespans = [each.lifespan for each in chain if each.lifespan is not None]

    @asynccontextmanager
    async def lifespan(app: TaskAPI) -> AsyncIterator[None]:
        storage = app.context.storage
        storage.start()
        try:
            async with AsyncExitStack() as stack:
                for each in lifespans:
                    await stack.enter_async_context(each(app))
                yield
        finally:
            app.context.stop()
            storage.stop()
            app.context.disconnect()

    context = AppContext(settings=settings, seams=seams, storage=seams.storage(settings))
    telemetry: TelemetryConfig = {}
    for each in chain:
        if each.telemetry is not None:
            with _resources_set(context, origins, each.number):
                telemetry.update(each.telemetry(context))
    app = TaskAPI(
        title="Task API",
        version=f"0.{chapter.number}.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        telemetry=telemetry or None,
        # Starlette's slash redirect builds its Location from the Host header (GET /tasks/ with Host: evil.example
        # answered 307 to http://evil.example/tasks): one URL per resource, and /tasks/ is 404 like any unknown path.
        redirect_slashes=False,
    )
    install_offline_docs(app)  # Swagger UI and ReDoc from local files: no CDN, so they work offline and on Binder
    app.attach(context, origins)
    for each in chain:
        if each.extend is None:
            continue
        with _resources_set(context, origins, each.number):
            each.extend(app, seams)
        _note(origins.middleware_chapters, app.user_middleware, each.number)
        _note(origins.route_chapters, app.routes, each.number)
    prepare_routes(app)
    return app


@contextmanager
def _resources_set(context: AppContext, origins: Origins, chapter: int) -> Iterator[None]:
    """Note `chapter` as an origin of every resource of `context` it sets (again, even to an equal value)."""
    before = {name: getattr(context, name) for name in RESOURCES}
    yield
    for name, value in before.items():
        if getattr(context, name) is not value:  # `is not`: set again, even if equal
            origins.resources.setdefault(name, []).append(chapter)


def _note(seen: dict[int, int], added: list, chapter: int) -> None:
    """Record `chapter` as the origin of every object of `added` not seen before."""
    for each in added:
        seen.setdefault(id(each), chapter)


def prepare_routes(app: TaskAPI) -> None:
    """Build every route's dependency tree now, with the app: FastAPI ≥ 0.165 builds an included router's routes on
    the first request that walks them, which made the first answer of every new server ~100 ms slower."""
    for _ in iter_route_contexts(app.router.routes):
        pass
