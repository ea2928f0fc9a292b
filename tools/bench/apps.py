"""What the server benchmarks serve: a bare FastAPI hello app as the baseline, and the finished task API."""

from __future__ import annotations

from fastapi import FastAPI


def hello_app() -> FastAPI:
    """The baseline: one endpoint, no middleware, no database."""
    app = FastAPI()

    @app.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    return app


def task_api() -> FastAPI:
    """The task API as it stands at the end of the course (the latest chapter merged)."""
    from course_lib.taskapi import latest

    return latest()


CACHE_CHAPTER = 16  # Redis cache-aside arrives here: the chapter before it serves the same API uncached


def task_api_uncached() -> FastAPI:
    """The task API just before the cache (chapter 15): the baseline of the cached reads."""
    from course_lib.taskapi import app_for

    return app_for(CACHE_CHAPTER - 1)


APPS = {"hello": hello_app, "taskapi": task_api, "taskapi-uncached": task_api_uncached}
