"""Chapter 05 — API design in practice: API keys, owners, and every failure mode written into the contract.

- POST /users answers the new user's API key once (201); the key goes in X-API-Key.
- Writes to tasks need a valid key (401 + WWW-Authenticate without one), and only a task's owner may change it (403).
- Reading users needs a key too: your own account whole, other users' profiles (id and name, no email or role).
- Reads of tasks stay public. A taken email is 409. Each route documents its failure statuses in the OpenAPI, with the
  JSON body each one carries, so the contract a client reads (Swagger UI, a Postman collection) lists them.
"""

from dataclasses import replace

from fastapi.routing import APIRoute

from course_lib.services.settings import Settings
from course_lib.taskapi import ch04_resources
from course_lib.taskapi.api_keys import API_KEY, issue_api_key
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import TaskAPI
from course_lib.taskapi.login_schemes import logged_in_by
from course_lib.taskapi.schemas import UserCreated
from course_lib.taskapi.seams import Seams
from course_lib.web.openapi_responses import document_responses, uses_dependency

ERRORS = {
    400: "The body is not JSON at all (malformed syntax)",
    401: "No API key, or an unknown one (see WWW-Authenticate)",
    403: "The key is valid, but this user may not change this resource",
    404: "No resource with this id",
    406: "Accept names no media type this route can answer",
    409: "Conflicts with the current state (e.g. the email is taken)",
    422: "The body or a parameter breaks the schema",
}
# FastAPI's error body, {"detail": "..."}; a malformed body (400) lists its errors like a 422 does.
ERROR_BODY = {"title": "Error", "type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
VALIDATION_BODY = {"$ref": "#/components/schemas/HTTPValidationError"}


def swap_seams(seams: Seams) -> Seams:
    """Writers say who they are with an API key, which sign-up hands out once."""
    return replace(
        seams,
        current_user=logged_in_by(API_KEY),
        credentials_at_signup=issue_api_key,
        user_models=replace(seams.user_models, created=UserCreated),
    )


def extend(app: TaskAPI, seams: Seams) -> None:
    """Every route documents the failures it can answer."""
    document_errors(app)


CHAPTER = Chapter(__name__, previous=ch04_resources.CHAPTER, swap_seams=swap_seams, extend=extend)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 04's API with authenticated writes, ownership, and documented failure responses."""
    return build_app(CHAPTER, settings)


def failure_statuses(path: str, route: APIRoute, current_user) -> dict[int, str]:
    """The failure statuses a route can answer, from its path, its body and what it depends on."""
    statuses = [406]  # every route answers JSON, and only JSON or CSV (chapter 02)
    if route.body_field is not None:
        statuses.append(400)
    if uses_dependency(route, current_user):
        statuses += [401, 403]
    if "{" in path:
        statuses.append(404)
    if path == "/users" and "POST" in (route.methods or set()):
        statuses.append(409)
    return {status: ERRORS[status] for status in sorted(statuses)}


def error_content(status: int) -> dict:
    """What an error response carries: JSON, with the body FastAPI's handlers write."""
    return {"application/json": {"schema": VALIDATION_BODY if status == 400 else ERROR_BODY}}


def document_errors(app: TaskAPI) -> None:
    """Add each route's failure statuses and their bodies to its OpenAPI responses (FastAPI documents 422 itself)."""
    current_user = app.context.seams.current_user
    document_responses(app, lambda path, route: failure_statuses(path, route, current_user), error_content)
