"""Chapter 00 — the smallest backend: an app that answers GET /health."""

from fastapi import APIRouter

from course_lib.services.settings import Settings
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import TaskAPI
from course_lib.taskapi.seams import Seams

health = APIRouter()


@health.get("/health")
def check_health() -> dict[str, str]:
    """Answer 200 while the process can serve requests."""
    return {"status": "ok"}


def extend(app: TaskAPI, seams: Seams) -> None:
    """The first route: GET /health."""
    app.include_router(health)


CHAPTER = Chapter(__name__, previous=None, extend=extend)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """A FastAPI app with one endpoint that says the service is up."""
    return build_app(CHAPTER, settings)
