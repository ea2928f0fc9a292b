"""Chapter 12 — performance: the API's first outbound call, with a timeout and honest failures.

- GET /users/{user_id}/availability asks the calendar service (CALENDAR_URL) when the user is busy, through one
  pooled httpx.AsyncClient, within CALENDAR_TIMEOUT seconds; the route is `async def`, so a slow calendar holds no
  worker thread and no database connection;
- the calendar too slow → 504; unreachable, failing (5xx) or not configured → 503 with Retry-After; an answer the
  API cannot use → 502 (RFC 9110 §15.6). All problem+json, all in the OpenAPI; never a 500.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute

from course_lib.services.settings import Settings
from course_lib.services.tls import client_tls_context
from course_lib.taskapi import availability, ch11_scaling
from course_lib.taskapi.build import build_app
from course_lib.taskapi.seams import Seams
from course_lib.web.openapi_responses import document_responses, edit_openapi

PREVIOUS = ch11_scaling
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before asking again.",
                               "schema": {"type": "integer", "minimum": 0}}}


def extend(app: FastAPI, seams: Seams) -> None:
    """The availability route, and its dependency's failures in the contract."""
    app.include_router(availability.router(seams))
    document_responses(app, dependency_failures)
    edit_openapi(app, retry_after_on_503)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """One pooled client for outbound calls while the server runs: connections to the dependency are reused."""
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=100), verify=client_tls_context()) as client:
        app.state.outbound = client
        yield


def dependency_failures(path: str, route: APIRoute) -> dict[int, str]:
    """502, 503 and 504 for the route that calls the calendar service."""
    return availability.FAILURES if route.endpoint.__name__ == "availability" else {}


def retry_after_on_503(schema: dict) -> None:
    """A 503 of the availability route says when to retry."""
    operation = schema["paths"]["/users/{user_id}/availability"]["get"]
    operation["responses"]["503"].setdefault("headers", RETRY_AFTER)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Chapter 11's API with a route that calls another service, within a timeout."""
    return build_app(__name__, settings)
