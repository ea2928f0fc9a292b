"""Chapter 07 — serialization: strict input models, passwords stored as argon2 hashes, UTC timestamps with Z.

The routes are chapter 05's, registered again with schemas_strict's models (chapter 06's paginated lists stay), and
POST /users now takes a password and keeps only its hash.
"""

# No `from __future__ import annotations`: FastAPI reads the handler's body model (models.create) at run time.

import threading

from fastapi import FastAPI, HTTPException, Request, Response

from course_lib.services.settings import Settings
from course_lib.taskapi import ch05_api_design, ch06_pagination
from course_lib.taskapi.auth import issue_api_key
from course_lib.taskapi.deps import UsersDep
from course_lib.taskapi.repository import User
from course_lib.taskapi.routing import remove_routes
from course_lib.taskapi.schemas import TaskModels, UserModels
from course_lib.taskapi.schemas_strict import TASK_MODELS, USER_MODELS
from course_lib.web.passwords import hash_password


def create_app(settings: Settings | None = None) -> FastAPI:
    """Chapter 06's API with strict models on every route that reads a body, and sign-up with a password."""
    from course_lib.taskapi import app_factory

    app = app_factory(6)(settings)
    register_routes(app, TASK_MODELS, USER_MODELS)
    return app


def register_routes(app: FastAPI, task_models: TaskModels, user_models: UserModels) -> None:
    """Every task and user route again, with these models: chapter 05's routes, chapter 06's lists, sign-up."""
    remove_routes(app, "/tasks", prefix=True)
    remove_routes(app, "/users", prefix=True)
    ch05_api_design.add_task_routes(app, task_models)
    ch05_api_design.add_user_routes(app, user_models, task_models)
    keep_paginated_lists(app, task_models)
    remove_routes(app, "/users", {"POST"})
    add_signup_route(app, user_models)
    ch05_api_design.document_errors(app)


def keep_paginated_lists(app: FastAPI, task_models: TaskModels = TASK_MODELS) -> None:
    """Chapter 06's GET /tasks and GET /users/{id}/tasks (pages, sort, filters) instead of chapter 05's full lists."""
    remove_routes(app, "/tasks", {"GET"})
    ch06_pagination.add_task_list_route(app, task_models)
    remove_routes(app, "/users/{user_id}/tasks", {"GET"})
    ch06_pagination.add_user_task_list_route(app, task_models)


def add_signup_route(app: FastAPI, models: UserModels = USER_MODELS) -> None:
    """POST /users: 201 with the user and its API key; the password is hashed, and only the hash is stored."""
    creating = threading.Lock()  # the email check and the insert happen as one step

    @app.post("/users", status_code=201, response_model=models.created, tags=["users"])
    def create_user(body: models.create, users: UsersDep, request: Request, response: Response) -> dict:
        """201 with the new user and its API key (shown once); 409 when the email is taken."""
        password_hash = hash_password(body.password.get_secret_value())  # slow by design: outside the lock
        with creating:
            if users.get_by_email(body.email) is not None:
                raise HTTPException(409, f"a user with email {body.email!r} already exists")
            user: User = users.add(body.name, body.email, password_hash=password_hash)
        response.headers["Location"] = f"/users/{user.id}"
        return {**models.public.model_validate(user).model_dump(), **issue_api_key(request, user)}
