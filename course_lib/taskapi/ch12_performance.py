"""Chapter 12 — performance: the API's first outbound call, within a deadline, with honest failures.

- GET /users/{user_id}/availability asks the calendar service (CALENDAR_URL, else an embedded one in this process)
  when the user is busy, through one pooled httpx.AsyncClient; the whole call, body included, has CALENDAR_TIMEOUT
  seconds; the route is `async def`, so a slow calendar holds no worker thread and no database connection;
- the calendar too slow → 504; unreachable or failing (5xx) → 503 with Retry-After; an answer the API cannot use
  (not JSON, too large) → 502 (the statuses RFC 9110 §15.6 gives gateways). All problem+json, in the OpenAPI.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi.routing import APIRoute

from course_lib.services.calendar import calendar_client
from course_lib.services.settings import Settings
from course_lib.taskapi import ch11_scaling
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import TaskAPI
from course_lib.taskapi.routes import availability
from course_lib.taskapi.seams import Seams
from course_lib.web.openapi_responses import document_responses, edit_openapi

RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before asking again.", "schema": {"type": "integer", "minimum": 0}}
}


def extend(app: TaskAPI, seams: Seams) -> None:
    """The availability route, and its dependency's failures in the contract."""
    app.include_router(availability.router(seams))
    document_responses(app, dependency_failures)
    edit_openapi(app, retry_after_on_503)


@asynccontextmanager
async def lifespan(app: TaskAPI) -> AsyncIterator[None]:
    """One pooled client for outbound calls while the server runs: connections to the dependency are reused."""
    async with calendar_client(app.context.settings) as client:
        app.context.outbound = client
        yield


def dependency_failures(path: str, route: APIRoute) -> dict[int, str]:
    """502, 503 and 504 for the route that calls the calendar service."""
    return availability.FAILURES if route.endpoint.__name__ == "availability" else {}


def retry_after_on_503(schema: dict) -> None:
    """A 503 of the availability route says when to retry."""
    operation = schema["paths"]["/users/{user_id}/availability"]["get"]
    operation["responses"]["503"].setdefault("headers", RETRY_AFTER)


CHAPTER = Chapter(__name__, previous=ch11_scaling.CHAPTER, extend=extend, lifespan=lifespan)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 11's API with a route that calls another service, within a deadline."""
    return build_app(CHAPTER, settings)
