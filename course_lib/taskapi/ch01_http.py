"""Chapter 01 — HTTP: tasks in memory, each outcome with its own status code, HEAD and OPTIONS."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Header, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from course_lib.services.settings import Settings
from course_lib.taskapi import ch00_health
from course_lib.taskapi.deps import TasksDep
from course_lib.taskapi.repository import InMemoryTaskRepository, InMemoryUserRepository, Task
from course_lib.web.http_methods import MethodsMiddleware

RATE_LIMIT = 3  # requests per client to /demo/limited before 429


class TaskIn(BaseModel):
    title: str


def create_app(settings: Settings | None = None) -> FastAPI:
    """Chapter 00's app plus /tasks with honest status codes, HEAD/OPTIONS, and /demo routes for the rest."""
    app = ch00_health.create_app(settings)
    app.state.tasks = InMemoryTaskRepository()
    app.state.users = InMemoryUserRepository()
    app.add_middleware(MethodsMiddleware)
    app.add_exception_handler(RequestValidationError, malformed_is_400)
    add_task_routes(app)
    app.include_router(demo_router(), prefix="/demo", tags=["demo"])
    return app


async def malformed_is_400(request: Request, exc: RequestValidationError) -> JSONResponse:
    """400 when the body is not even JSON (malformed syntax), 422 when it is JSON but breaks the rules."""
    errors = exc.errors()
    status = 400 if any(error.get("type") == "json_invalid" for error in errors) else 422
    return JSONResponse({"detail": _plain(errors)}, status_code=status)


def _plain(errors) -> list[dict]:
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in errors]


def task_json(task: Task) -> dict:
    """The representation of a task in this chapter: id, title, done."""
    return {"id": task.id, "title": task.title, "done": task.done}


def add_task_routes(app: FastAPI) -> None:
    """GET/POST /tasks and GET/DELETE /tasks/{id}, stored in the app's task repository."""

    @app.get("/tasks")
    def list_tasks(tasks: TasksDep) -> list[dict]:
        """200 with every task."""
        return [task_json(task) for task in tasks.list()]

    @app.post("/tasks", status_code=201)
    def create_task(body: TaskIn, tasks: TasksDep, response: Response) -> dict:
        """201 + Location for a new task; 409 when a task with that title exists."""
        if any(task.title == body.title for task in tasks.list()):
            raise HTTPException(409, f"a task titled {body.title!r} already exists")
        task = tasks.add(body.title)
        response.headers["Location"] = f"/tasks/{task.id}"
        return task_json(task)

    @app.get("/tasks/{task_id}")
    def get_task(task_id: int, tasks: TasksDep) -> dict:
        """200 with the task, 404 when there is none."""
        task = tasks.get(task_id)
        if task is None:
            raise HTTPException(404, f"task {task_id} not found")
        return task_json(task)

    @app.delete("/tasks/{task_id}", status_code=204)
    def delete_task(task_id: int, tasks: TasksDep) -> Response:
        """204 and no body once deleted; 404 when there was nothing to delete."""
        if not tasks.delete(task_id):
            raise HTTPException(404, f"task {task_id} not found")
        return Response(status_code=204)


def demo_router() -> APIRouter:
    """Endpoints that exist only to show 202, 401, 403, 429 and 500 before later chapters earn them."""
    router = APIRouter()
    hits: dict[str, int] = {}

    @router.post("/reports", status_code=202)
    def start_report() -> dict:
        """202: accepted for later processing, not done yet."""
        return {"status": "queued", "check": "/demo/reports/1"}

    @router.get("/admin")
    def admin(authorization: str | None = Header(default=None)) -> dict:
        """401 without credentials, 403 with a non-admin token, 200 for the admin."""
        if authorization is None:
            raise HTTPException(401, "send Authorization: Bearer <token>", headers={"WWW-Authenticate": "Bearer"})
        if authorization != "Bearer admin-token":
            raise HTTPException(403, "this token may not read the admin area")
        return {"users": 1, "tasks": 0}

    @router.get("/limited")
    def limited(request: Request) -> dict:
        """429 + Retry-After once a client has sent RATE_LIMIT requests."""
        client = request.client.host if request.client else "unknown"
        hits[client] = hits.get(client, 0) + 1
        if hits[client] > RATE_LIMIT:
            raise HTTPException(429, "slow down", headers={"Retry-After": "60"})
        return {"remaining": RATE_LIMIT - hits[client]}

    @router.get("/boom")
    def boom() -> dict:
        """500: a bug in the server, never the client's fault."""
        raise RuntimeError("a bug in the handler")

    return router
