"""Chapter 09 — authentication vs authorization: browsers log in with a session cookie; API keys keep working.

- POST /session checks email and password (argon2id) and sets the session cookie; GET /session says who you are;
  DELETE /session logs out. The session lives in Redis (fakeredis, or redis-server from REDIS_URL) and ends there:
  30 minutes without a request, 8 hours after login at most. A Redis that is down is a 503, not a 500.
- Who is calling: a live session cookie, else the API key. Writes authenticated by the cookie must pass the CSRF
  rule (not from another site: Sec-Fetch-Site, else Origin against ALLOWED_ORIGINS; the session's X-CSRF-Token);
  whether the caller may change a task is still the route's rule (403).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from course_lib.services.cache import redis_client
from course_lib.services.settings import Settings
from course_lib.taskapi import ch08_validation
from course_lib.taskapi.api_keys import API_KEY
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import TaskAPI
from course_lib.taskapi.cookie_auth import SESSION
from course_lib.taskapi.login_schemes import logged_in_by
from course_lib.taskapi.routes import sessions
from course_lib.taskapi.seams import Seams
from course_lib.web.sessions import SessionStore, session_cookie

# A session read takes well under a millisecond: a Redis that answers in none of a second is down. One retry, at
# once, and only for a broken connection (a restarted Redis), not a silent one: 503 within about a second, not
# redis-py's default of 5 s timeouts and 10 retries with backoff.
SESSION_REDIS: dict[str, Any] = {
    "socket_timeout": 1.0,
    "socket_connect_timeout": 0.5,
    "retry": Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
}


def swap_seams(seams: Seams) -> Seams:
    """Who is calling: the session cookie, else the API key."""
    return replace(seams, current_user=logged_in_by(SESSION, API_KEY))


def extend(app: TaskAPI, seams: Seams) -> None:
    """A session store in Redis, the cookie's flags, and /session to log in and out."""
    settings = app.context.settings
    # Replicas on one database share its users, so they share their sessions too; an app of its own keeps its own.
    prefix = None if settings.isolate_database else "session:shared:"
    client = redis_client(settings, **SESSION_REDIS)
    store = SessionStore(
        client, idle=settings.session_idle_timeout, absolute=settings.session_absolute_timeout, prefix=prefix
    )
    app.context.sessions = store
    app.context.session_cookie = session_cookie(secure=settings.session_cookie_secure)
    app.context.allowed_origins = frozenset(settings.allowed_origins)  # configured, never taken from Host
    app.include_router(sessions.router(seams))
    app.context.at_stop(store.clear)  # an app of its own drops its database at stop, and its sessions


CHAPTER = Chapter(__name__, previous=ch08_validation.CHAPTER, swap_seams=swap_seams, extend=extend)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 08's API with session-cookie login beside API keys, and CSRF checks on cookie writes."""
    return build_app(CHAPTER, settings)
