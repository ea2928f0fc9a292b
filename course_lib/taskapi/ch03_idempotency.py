"""Chapter 03 — safe and idempotent methods: PUT replaces a task, and POST honours Idempotency-Key."""

from __future__ import annotations

import weakref
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Response
from pydantic import BaseModel

from course_lib.services.cache import redis_client
from course_lib.services.settings import Settings
from course_lib.taskapi.ch01_http import TaskIn, task_json
from course_lib.taskapi.deps import TasksDep
from course_lib.taskapi.routing import remove_routes
from course_lib.web.idempotency import IdempotencyMiddleware, IdempotencyStore


class TaskReplace(BaseModel):
    """The whole new state of a task: what PUT sends (omitted fields go back to their defaults)."""

    title: str
    done: bool = False


def create_app(settings: Settings | None = None) -> FastAPI:
    """Chapter 02's API with POST that may repeat titles, an idempotent PUT, and Idempotency-Key on every POST."""
    from course_lib.taskapi import app_factory

    app = app_factory(2)(settings)
    remove_routes(app, "/tasks", methods={"POST"})
    add_write_routes(app)
    store = IdempotencyStore(redis_client(app.state.settings))
    app.state.idempotency = store
    app.add_middleware(IdempotencyMiddleware, store=store)
    forget_keys_at_shutdown(app, store)
    return app


def add_write_routes(app: FastAPI) -> None:
    """POST /tasks (a new task every time) and PUT /tasks/{id} (the same end state every time)."""

    @app.post("/tasks", status_code=201)
    def create_task(body: TaskIn, tasks: TasksDep, response: Response) -> dict:
        """201 + Location for a new task; two tasks may share a title, so a repeated POST makes a second one."""
        task = tasks.add(body.title)
        response.headers["Location"] = f"/tasks/{task.id}"
        return task_json(task)

    @app.put("/tasks/{task_id}")
    def replace_task(task_id: int, body: TaskReplace, tasks: TasksDep) -> dict:
        """200 with the task replaced by the body; 404 when there is none (ids are the server's to give)."""
        task = tasks.update(task_id, title=body.title, done=body.done)
        if task is None:
            raise HTTPException(404, f"task {task_id} not found")
        return task_json(task)


def forget_keys_at_shutdown(app: FastAPI, store: IdempotencyStore) -> None:
    """Delete this app's idempotency keys when its server stops (a real Redis outlives the app); they expire anyway."""
    weakref.finalize(app, store.clear)  # also when the app is never served, or the kernel exits while it runs
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        try:
            async with inner(app) as state:
                yield state
        finally:
            store.clear()

    app.router.lifespan_context = lifespan
