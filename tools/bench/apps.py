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


APPS = {"hello": hello_app, "taskapi": task_api}
