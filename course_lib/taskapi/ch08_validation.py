"""Chapter 08 — validation: field rules on every body, every error as RFC 9457 problem details, 413 and 415 guards.

- the task and user routes again, with schemas_validated's models (lengths, email, a custom and a cross-field rule);
- every error (422, 400, 401, 403, 404, 405, 406, 409, 413, 415, 500) as application/problem+json;
- a body over MAX_BODY_BYTES is 413, a body that is not JSON (or not what the route reads) is 415;
- an id in a path must fit the database's 64-bit integers, so no id can crash a query.
"""

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError

from course_lib.services.settings import Settings
from course_lib.taskapi import ch07_serialization
from course_lib.taskapi.schemas_validated import TASK_MODELS, USER_MODELS
from course_lib.web.limits import MAX_BODY_BYTES, install_limits
from course_lib.web.problems import install_problem_details

MAX_ID = 2**31 - 1  # the largest INTEGER of PostgreSQL (SQLite allows 2**63 - 1): ids must fit both


def create_app(settings: Settings | None = None) -> FastAPI:
    """Chapter 07's API with validated models, problem details for every error, and limits on request bodies."""
    from course_lib.taskapi import app_factory

    app = app_factory(7)(settings)
    install_problem_details(app)
    install_limits(app, max_bytes=MAX_BODY_BYTES)
    app.router.dependencies.append(Depends(ids_in_range))  # every route registered from here on
    ch07_serialization.register_routes(app, TASK_MODELS, USER_MODELS)
    document_limits(app)
    return app


def ids_in_range(request: Request) -> None:
    """422 for a path id (task_id, user_id, ...) outside 1..MAX_ID, before it reaches the database."""
    errors = []
    for name, value in request.path_params.items():
        if name.endswith("_id") and value.lstrip("-").isdigit() and not 1 <= int(value) <= MAX_ID:
            errors.append({"type": "id_range", "loc": ("path", name), "input": value,
                           "msg": f"ids are whole numbers from 1 to {MAX_ID}"})
    if errors:
        raise RequestValidationError(errors)


def document_limits(app: FastAPI) -> None:
    """Add 413 and 415 to the OpenAPI responses of every route that reads a body."""
    for route in app.routes:
        if getattr(route, "body_field", None) is not None:
            route.responses.setdefault(413, {"description": f"The body is larger than {MAX_BODY_BYTES} bytes"})
            route.responses.setdefault(415, {"description": "The body is not application/json"})
    app.openapi_schema = None
