"""Chapter 04 — resources by nouns: tasks and users, full CRUD, a sub-collection and an action route.

| resource | methods |
|---|---|
| /tasks | GET (list), POST (create → 201 + Location) |
| /tasks/{task_id} | GET, PUT (replace), PATCH (change some fields), DELETE (→ 204) |
| /tasks/{task_id}/complete | POST: an action, beside PATCH {"done": true} |
| /users | GET (list), POST (create → 201 + Location, 409 when the email is taken) |
| /users/{user_id} | GET |
| /users/{user_id}/tasks | GET (the user's tasks), POST (a task owned by that user) |

Routes are registered by functions (add_task_routes, add_user_routes) that take the body models and the writer
dependency as arguments, so a later chapter re-registers them with stricter models or with authentication.
"""

import threading
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response

from course_lib.services.settings import Settings
from course_lib.taskapi.deps import TasksDep, UsersDep
from course_lib.taskapi.repository import Task, TaskQuery, User
from course_lib.taskapi.routing import remove_routes
from course_lib.taskapi.schemas import TASK_MODELS, USER_MODELS, TaskModels, UserModels

# Extra fields for the answer to POST /users, computed from the new user (chapter 05: its API key).
CreatedExtras = Callable[[Request, User], dict[str, Any]]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Chapter 03's API with its task routes replaced by the full resource model of tasks and users."""
    from course_lib.taskapi import app_factory

    app = app_factory(3)(settings)
    remove_routes(app, "/tasks", prefix=True)
    remove_routes(app, "/users", prefix=True)
    add_task_routes(app)
    add_user_routes(app)
    return app


def anyone() -> None:
    """The writer of a request before authentication exists: nobody in particular (chapter 05 replaces this)."""
    return None


def find_task(tasks: TasksDep, task_id: int) -> Task:
    """The task, or 404."""
    task = tasks.get(task_id)
    if task is None:
        raise HTTPException(404, f"task {task_id} not found")
    return task


def find_user(users: UsersDep, user_id: int) -> User:
    """The user, or 404."""
    user = users.get(user_id)
    if user is None:
        raise HTTPException(404, f"user {user_id} not found")
    return user


def ensure_owner(writer: User | None, task: Task) -> None:
    """403 unless `writer` owns `task`; with no authentication (writer is None) there is no one to check."""
    if writer is not None and task.owner_id != writer.id:
        raise HTTPException(403, f"task {task.id} belongs to another user; only its owner may change it")


def ensure_self(writer: User | None, user_id: int) -> None:
    """403 unless `writer` is user `user_id` (no check without authentication)."""
    if writer is not None and writer.id != user_id:
        raise HTTPException(403, f"you may only add tasks to your own list (/users/{writer.id}/tasks)")


def add_task_routes(app: FastAPI, models: TaskModels = TASK_MODELS,
                    writer: Callable[..., User | None] = anyone) -> None:
    """/tasks, /tasks/{task_id} and the action /tasks/{task_id}/complete; `writer` says who is writing."""
    Writer = Annotated[User | None, Depends(writer)]
    Public = models.public

    @app.get("/tasks", response_model=list[Public], tags=["tasks"])
    def list_tasks(tasks: TasksDep) -> list[Task]:
        """200 with every task, oldest first."""
        return tasks.list(TaskQuery(sort=("id",)))

    @app.post("/tasks", status_code=201, response_model=Public, tags=["tasks"])
    def create_task(body: models.create, tasks: TasksDep, response: Response, who: Writer) -> Task:
        """201 with the new task and its URL in Location."""
        task = tasks.add(**body.model_dump(), owner_id=who.id if who else None)
        response.headers["Location"] = f"/tasks/{task.id}"
        return task

    @app.get("/tasks/{task_id}", response_model=Public, tags=["tasks"])
    def get_task(task_id: int, tasks: TasksDep) -> Task:
        """200 with the task; 404 when there is none."""
        return find_task(tasks, task_id)

    @app.put("/tasks/{task_id}", response_model=Public, tags=["tasks"])
    def replace_task(task_id: int, body: models.replace, tasks: TasksDep, who: Writer) -> Task:
        """200 with the task replaced by the body (fields left out go back to their defaults); 404 when missing."""
        ensure_owner(who, find_task(tasks, task_id))
        return tasks.update(task_id, **body.model_dump())

    @app.patch("/tasks/{task_id}", response_model=Public, tags=["tasks"])
    def update_task(task_id: int, body: models.update, tasks: TasksDep, who: Writer) -> Task:
        """200 with the task after changing only the fields sent; 404 when missing."""
        task = find_task(tasks, task_id)
        ensure_owner(who, task)
        changes = body.model_dump(exclude_unset=True)
        return tasks.update(task_id, **changes) if changes else task

    @app.delete("/tasks/{task_id}", status_code=204, tags=["tasks"])
    def delete_task(task_id: int, tasks: TasksDep, who: Writer) -> Response:
        """204 and no body once deleted; 404 when there is nothing to delete."""
        ensure_owner(who, find_task(tasks, task_id))
        tasks.delete(task_id)
        return Response(status_code=204)

    @app.post("/tasks/{task_id}/complete", response_model=Public, tags=["tasks"])
    def complete_task(task_id: int, tasks: TasksDep, who: Writer) -> Task:
        """200 with the task marked done (already done: unchanged); 404 when missing. An action, not a field."""
        task = find_task(tasks, task_id)
        ensure_owner(who, task)
        return task if task.done else tasks.update(task_id, done=True)


def add_user_routes(app: FastAPI, models: UserModels = USER_MODELS, task_models: TaskModels = TASK_MODELS,
                    writer: Callable[..., User | None] = anyone, created_extras: CreatedExtras | None = None) -> None:
    """/users, /users/{user_id} and the sub-collection /users/{user_id}/tasks."""
    Writer = Annotated[User | None, Depends(writer)]
    creating = threading.Lock()  # the email check and the insert happen as one step

    @app.get("/users", response_model=list[models.public], tags=["users"])
    def list_users(users: UsersDep) -> list[User]:
        """200 with every user."""
        return users.list()

    @app.post("/users", status_code=201, response_model=models.created, tags=["users"])
    def create_user(body: models.create, users: UsersDep, request: Request, response: Response) -> dict:
        """201 with the new user and its URL in Location; 409 when the email is taken."""
        with creating:
            if users.get_by_email(body.email) is not None:
                raise HTTPException(409, f"a user with email {body.email!r} already exists")
            user = users.add(**body.model_dump())
        response.headers["Location"] = f"/users/{user.id}"
        extras = created_extras(request, user) if created_extras else {}
        return {**models.public.model_validate(user, from_attributes=True).model_dump(), **extras}

    @app.get("/users/{user_id}", response_model=models.public, tags=["users"])
    def get_user(user_id: int, users: UsersDep) -> User:
        """200 with the user; 404 when there is none."""
        return find_user(users, user_id)

    @app.get("/users/{user_id}/tasks", response_model=list[task_models.public], tags=["users"])
    def list_user_tasks(user_id: int, users: UsersDep, tasks: TasksDep) -> list[Task]:
        """200 with the user's tasks, oldest first; 404 when there is no such user."""
        find_user(users, user_id)
        return tasks.list(TaskQuery(owner_id=user_id, sort=("id",)))

    @app.post("/users/{user_id}/tasks", status_code=201, response_model=task_models.public, tags=["users"])
    def create_user_task(user_id: int, body: task_models.create, users: UsersDep, tasks: TasksDep,
                         response: Response, who: Writer) -> Task:
        """201 with a new task owned by the user; its URL is the canonical /tasks/{id}. 404 for an unknown user."""
        ensure_self(who, find_user(users, user_id).id)
        task = tasks.add(**body.model_dump(), owner_id=user_id)
        response.headers["Location"] = f"/tasks/{task.id}"
        return task
