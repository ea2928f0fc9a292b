"""Chapter 08 — validation: field rules on every body, every error as RFC 9457 problem details, 413 and 415 guards.

- every route's models from schemas_validated (lengths, email, a custom and a cross-field rule);
- every error (400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 500) as application/problem+json;
- a body over MAX_BODY_BYTES is 413, a body that is not JSON (or not what the route reads) is 415, a JSON body that
  names a member twice is 400 (parsers disagree on which value wins).
Path ids were checked from the start (deps.TaskId: digits only, 1..MAX_ID), so no id can reach a query unchecked.
"""

from dataclasses import replace

from fastapi.routing import APIRoute

from course_lib.services.settings import Settings
from course_lib.taskapi import ch07_serialization, schemas_validated
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import TaskAPI
from course_lib.taskapi.seams import Seams
from course_lib.web.json_members import UniqueMembersMiddleware
from course_lib.web.limits import MAX_BODY_BYTES, install_limits
from course_lib.web.openapi_responses import document_responses
from course_lib.web.problems import document_problems, install_problem_details


def swap_seams(seams: Seams) -> Seams:
    """What goes over the wire: schemas_validated's models, with the rules each field must keep."""
    return replace(seams, task_models=schemas_validated.TASK_MODELS, user_models=schemas_validated.USER_MODELS)


def extend(app: TaskAPI, seams: Seams) -> None:
    """Problem details for every error, limits on request bodies, no JSON member twice; the OpenAPI documents them."""
    install_problem_details(app)
    app.add_middleware(UniqueMembersMiddleware)  # inside the limits: only a JSON body of bounded size reaches it
    install_limits(app, max_bytes=MAX_BODY_BYTES)
    document_responses(app, body_limits)
    document_problems(app)


def body_limits(path: str, route: APIRoute) -> dict[int, str]:
    """413 and 415 for every route that reads a body."""
    if route.body_field is None:
        return {}
    return {413: f"The body is larger than {MAX_BODY_BYTES} bytes", 415: "The body is not application/json"}


CHAPTER = Chapter(__name__, previous=ch07_serialization.CHAPTER, swap_seams=swap_seams, extend=extend)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 07's API with validated models, problem details for every error, and limits on request bodies."""
    return build_app(CHAPTER, settings)
