"""The session cookie as a login scheme (chapter 09 tries it before the API key), and the CSRF rule its writes pass.

Browsers log in once (POST /session) and send the session cookie by themselves; scripts and servers keep sending
X-API-Key. A cookie arrives with every request the browser makes to this API — also those another site makes it
send — so a write authenticated by the cookie must pass the CSRF rule (web/sessions.csrf_refusal); a write with an
API key need not: no browser adds that header on another site's behalf. The session store lives in Redis: when Redis
cannot be reached, a request that needs a session is a 503 with Retry-After within about a second, never a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import redis
from fastapi import Request

from course_lib.taskapi.context import context_of, need
from course_lib.taskapi.login_schemes import LoginScheme
from course_lib.taskapi.records import User
from course_lib.taskapi.storage import UnitOfWork
from course_lib.web.outbound import dependency_problem
from course_lib.web.problems import Problem
from course_lib.web.sessions import CSRF_HEADER, Session, SessionCookie, SessionStore, cross_site_refusal, csrf_refusal

CSRF_PROBLEM = "tag:backend-course.example,2026:problems/csrf"  # a tag URI names the kind; no page behind it


def session_store(request: Request) -> SessionStore:
    """The app's session store (chapter 09 adds it)."""
    return need(context_of(request.app).sessions, "session store", 9)


def cookie_of(request: Request) -> SessionCookie:
    """The name and flags of the app's session cookie."""
    return need(context_of(request.app).session_cookie, "session cookie", 9)


def session_id_of(request: Request) -> str | None:
    """The session id the request's cookie carries, if any."""
    return request.cookies.get(cookie_of(request).name)


@contextmanager
def session_store_reachable() -> Iterator[None]:
    """Turn a Redis failure inside the block into a 503 + Retry-After problem: the store is down, not the request."""
    try:
        yield
    except redis.RedisError as error:
        why = f"{type(error).__name__}, try again later"
        raise dependency_problem(503, "the session store (Redis)", why) from error


def allowed_origins(request: Request) -> frozenset[str]:
    """Origins configured to send cookie-authenticated writes (ALLOWED_ORIGINS), never read from the request."""
    return context_of(request.app).allowed_origins


def refuse_cross_site(request: Request) -> None:
    """403 when the browser says another site sent the request (for a login: signing the victim in as someone)."""
    refusal = cross_site_refusal(
        request.headers.get("origin"), request.headers.get("sec-fetch-site"), allowed_origins(request)
    )
    if refusal:
        raise Problem(
            403, f"{refusal}: use this API's own pages", type=CSRF_PROBLEM, title="Possible cross-site request forgery"
        )


def refuse_csrf(request: Request, session: Session) -> None:
    """403 when a cookie-authenticated request may have been sent by another site."""
    reason = csrf_refusal(
        request.method,
        request.headers.get("origin"),
        allowed_origins(request),
        request.headers.get(CSRF_HEADER),
        session.csrf_token,
        request.headers.get("sec-fetch-site"),
    )
    if reason:
        raise Problem(403, reason, type=CSRF_PROBLEM, title="Possible cross-site request forgery")


def end_sessions_of(request: Request, user_id: int) -> int:
    """End every session of `user_id`: what a password change or a role change calls (privilege changed)."""
    with session_store_reachable():
        return session_store(request).end_all(user_id)


async def session_cookie(request: Request) -> str | None:
    """What the request sent for the session scheme: its cookie's session id, if any (async: no I/O, no thread)."""
    return session_id_of(request)


def session_user(request: Request, uow: UnitOfWork, session_id: str) -> User | None:
    """The user of the live session the cookie names (its writes CSRF-checked); None when the session has ended."""
    with session_store_reachable():
        session = session_store(request).get(session_id)
    if session is None:
        return None  # the browser keeps sending a cookie after its session ended: not an error, try the next scheme
    refuse_csrf(request, session)
    return uow.users.get(session.user_id)


def session_hint(session_id: str | None) -> str:
    """What a 401 says about the session cookie: whether a session has ended, else where to log in."""
    if session_id:
        return "your session has ended (logged out or expired): log in again at POST /session"
    return "log in at POST /session"


SESSION = LoginScheme(
    "session", sent=session_cookie, user=session_user, challenge='Session login="/session"', hint=session_hint
)
