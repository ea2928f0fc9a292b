"""Chapter 15 — JWT and roles: log in for a short-lived access token and a rotating refresh token; tasks are private;
admins have routes of their own.

- POST /tokens (email + password) → 200 with an access token (JWT, HS256 with the server's key, named by its kid;
  exp, iat, sub, aud, iss required) and a refresh token (opaque, stored as a digest, one family per login).
  POST /tokens/refresh rotates it; a spent token presented again revokes its family. POST /tokens/revoke logs out.
  Redis unreachable: 503 + Retry-After within about a second, not a 500 after the client library's retries.
- Who is calling: a Bearer token, else chapter 09's session cookie, else chapter 05's API key. A bad token is 401
  with WWW-Authenticate: Bearer error="invalid_token", never a 500.
- Tasks are private: another user's task is 404, the same answer as a missing one (no BOLA).
- /admin/*: 403 for members, 401 for nobody; the role from the token's claim or from the database (the trade-off).
"""

from __future__ import annotations

from dataclasses import replace

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from course_lib.services.cache import redis_client
from course_lib.services.settings import Settings
from course_lib.taskapi import ch14_cursor_pagination
from course_lib.taskapi.bearer_auth import bearer_session_or_api_key, own_tasks_only
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import TaskAPI
from course_lib.taskapi.routes import admin, tokens
from course_lib.taskapi.seams import Seams
from course_lib.web.refresh_tokens import RefreshStore
from course_lib.web.tokens import TokenConfig

REDIS_TIMEOUT = 0.5  # seconds to connect, and to wait for each answer, before a login answers 503


def swap_seams(seams: Seams) -> Seams:
    """Who is calling: a Bearer token first; which tasks they see: their own."""
    return replace(seams, current_user=bearer_session_or_api_key, task_access=own_tasks_only)


def extend(app: TaskAPI, seams: Seams) -> None:
    """Token settings, a refresh-token store in Redis, /tokens and /admin."""
    settings = app.context.settings
    app.context.tokens = TokenConfig(
        key=settings.signing_key, ttl=settings.access_token_ttl, previous_keys=tuple(settings.previous_secret_keys)
    )
    prefix = None if settings.isolate_database else "refresh:shared:"  # replicas share their refresh tokens
    refresh_tokens = RefreshStore(refresh_redis(settings), ttl=settings.refresh_token_ttl, prefix=prefix)
    app.context.refresh_tokens = refresh_tokens
    app.include_router(tokens.router())
    app.include_router(admin.router(seams))
    app.context.at_stop(refresh_tokens.clear)  # as chapter 09's sessions


def refresh_redis(settings: Settings) -> redis.Redis:
    """The refresh tokens' Redis client: short timeouts and one retry (redis-py's default retries for ~5 s)."""
    return redis_client(
        settings, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT, retry=Retry(NoBackoff(), 1)
    )


CHAPTER = Chapter(__name__, previous=ch14_cursor_pagination.CHAPTER, swap_seams=swap_seams, extend=extend)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 14's API with JWT access tokens, rotating refresh tokens, private tasks and admin routes."""
    return build_app(CHAPTER, settings)
