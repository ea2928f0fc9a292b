"""The calendar service the availability route calls: CALENDAR_URL, else an embedded one in this process.

As SQLite stands in for PostgreSQL and fakeredis for Redis, the embedded calendar stands in for a real one: an ASGI
app reached through httpx.ASGITransport, so the route makes the same outbound call, under the same deadline, with
no server to run and no port to open.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from course_lib.services.settings import Settings
from course_lib.services.tls import client_tls_context

EMBEDDED_URL = "http://calendar.embedded"  # never resolved: the embedded transport answers every request itself
DAY = datetime(2026, 1, 5, tzinfo=UTC)  # a fixed Monday: the same calendar every run


def busy_slots(user_id: int) -> list[dict[str, str]]:
    """A deterministic calendar: two meetings, their hours depending on the user."""
    first = DAY + timedelta(hours=9 + user_id % 4)
    return [
        {"start": first.isoformat(), "end": (first + timedelta(minutes=30)).isoformat()},
        {"start": (first + timedelta(hours=4)).isoformat(), "end": (first + timedelta(hours=5)).isoformat()},
    ]


def embedded_calendar() -> Starlette:
    """GET /calendars/{user_id}: the user's busy slots, answered at once (plain Starlette: nothing to build lazily)."""

    async def calendar(request: Request) -> JSONResponse:
        user_id = request.path_params["user_id"]
        return JSONResponse({"user_id": user_id, "busy": busy_slots(user_id)})

    return Starlette(routes=[Route("/calendars/{user_id:int}", calendar)])


def calendar_url(settings: Settings) -> str:
    """CALENDAR_URL, else the embedded calendar's base URL."""
    return (settings.calendar_url or EMBEDDED_URL).rstrip("/")


def calendar_client(settings: Settings) -> httpx.AsyncClient:
    """A pooled client for outbound calls; without CALENDAR_URL, one wired to the embedded calendar."""
    if settings.calendar_url:
        return httpx.AsyncClient(limits=httpx.Limits(max_connections=100), verify=client_tls_context())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=embedded_calendar()))
