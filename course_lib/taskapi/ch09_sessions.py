"""Chapter 09 — authentication vs authorization: browsers log in with a session cookie; API keys keep working.

- POST /session checks email and password (argon2id) and sets the session cookie; GET /session says who you are;
  DELETE /session logs out. The session lives in Redis (fakeredis, or redis-server from REDIS_URL) and expires there.
- Who is calling: a live session cookie, else the API key. Writes authenticated by the cookie must pass the CSRF
  rule (own Origin, X-CSRF-Token); whether the caller may change a task is still the route's rule (403).
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import FastAPI

from course_lib.services.cache import redis_client
from course_lib.services.settings import Settings
from course_lib.taskapi import ch08_validation
from course_lib.taskapi.build import build_app, forget_on_stop
from course_lib.taskapi.cookie_auth import session_or_api_key_user
from course_lib.taskapi.routes import sessions
from course_lib.taskapi.seams import Seams
from course_lib.web.sessions import SessionStore, session_cookie

PREVIOUS = ch08_validation


def swap_seams(seams: Seams) -> Seams:
    """Who is calling: the session cookie, else the API key."""
    return replace(seams, current_user=session_or_api_key_user)


def extend(app: FastAPI, seams: Seams) -> None:
    """A session store in Redis, the cookie's flags, and /session to log in and out."""
    settings = app.state.settings
    # Replicas on one database share its users, so they share their sessions too; an app of its own keeps its own.
    prefix = None if settings.isolate_database else "session:shared:"
    app.state.sessions = SessionStore(redis_client(settings), ttl=settings.session_ttl, prefix=prefix)
    app.state.session_cookie = session_cookie(secure=settings.session_cookie_secure)
    app.state.trusted_origins = set()  # e.g. {"https://app.example.org"} for a front end served elsewhere
    app.include_router(sessions.router(seams))
    forget_on_stop(app, app.state.sessions.clear)  # an app of its own drops its database at stop, and its sessions


def create_app(settings: Settings | None = None) -> FastAPI:
    """Chapter 08's API with session-cookie login beside API keys, and CSRF checks on cookie writes."""
    return build_app(__name__, settings)
