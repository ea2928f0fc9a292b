"""/session: the caller's login session, as a resource (chapter 09).

| path | methods |
|---|---|
| /session | POST (log in → 201 + Set-Cookie), GET (who am I, and the CSRF token), DELETE (log out → 204) |

Redis down: 503 + Retry-After (a dependency failed, the client may try again), never a 500.
"""

# No `from __future__ import annotations`: FastAPI reads the body and response models at run time.

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import create_model

from course_lib.taskapi.cookie_auth import (
    SESSION,
    cookie_of,
    refuse_cross_site,
    refuse_csrf,
    session_hint,
    session_id_of,
    session_store,
    session_store_reachable,
)
from course_lib.taskapi.deps import UnitOfWorkDep
from course_lib.taskapi.password_login import WRONG_CREDENTIALS, Login, authenticate
from course_lib.taskapi.seams import Seams
from course_lib.web.cache_control import NEVER_STORED
from course_lib.web.openapi_responses import Responses
from course_lib.web.sessions import CSRF_HEADER

CHALLENGE = {"WWW-Authenticate": SESSION.challenge}  # a 401 of /session names the way in that it is about
UNAVAILABLE: Responses = {
    503: {"description": "The session store (Redis) cannot be reached: try again after Retry-After"}
}


def router(seams: Seams) -> APIRouter:
    """Log in, see who you are, log out: the session cookie's life."""
    SessionPublic = create_model("SessionPublic", user=(seams.user_models.public, ...), csrf_token=(str, ...))
    session = APIRouter(prefix="/session", tags=["session"])

    @session.post(
        "",
        status_code=201,
        response_model=SessionPublic,
        responses={
            401: {"description": "Wrong email or password"},
            403: {"description": "Sent by another site (login CSRF)"},
            **UNAVAILABLE,
        },
    )
    def log_in(body: Login, request: Request, response: Response, uow: UnitOfWorkDep) -> dict:
        """201 with the user and a CSRF token; the session id travels only in Set-Cookie. 401 when wrong."""
        store = session_store(request)
        refuse_cross_site(request)  # login CSRF: signing the victim in as the attacker
        user = authenticate(uow, body.email, body.password.get_secret_value())
        if user is None:
            raise HTTPException(401, WRONG_CREDENTIALS, headers=CHALLENGE)
        with session_store_reachable():
            store.delete(session_id_of(request))  # rotate: an id that existed before login is never a logged-in one
            session_id, created = store.create(user.id)
        cookie_of(request).set(response, session_id)  # no Max-Age: the server's timeouts end the session
        response.headers.update({"Location": "/session", **NEVER_STORED})
        return {"user": user, "csrf_token": created.csrf_token}

    @session.get("", response_model=SessionPublic, responses={401: {"description": "Not logged in"}, **UNAVAILABLE})
    def who_am_i(request: Request, response: Response, uow: UnitOfWorkDep) -> dict:
        """200 with the logged-in user and the session's CSRF token; 401 without a live session."""
        with session_store_reachable():
            found = session_store(request).get(session_id_of(request))
        user = uow.users.get(found.user_id) if found else None
        if user is None or found is None:  # no session found (or it has ended): no user either
            raise HTTPException(401, session_hint(session_id_of(request)), headers=CHALLENGE)
        response.headers.update(NEVER_STORED)
        return {"user": user, "csrf_token": found.csrf_token}

    @session.delete(
        "", status_code=204, responses={403: {"description": f"No {CSRF_HEADER}, or another site"}, **UNAVAILABLE}
    )
    def log_out(request: Request) -> Response:
        """204: the session is deleted on the server and the cookie cleared; logging out twice is fine."""
        store, session_id = session_store(request), session_id_of(request)
        with session_store_reachable():
            found = store.get(session_id)
        if found is not None:
            refuse_csrf(request, found)
            with session_store_reachable():
                store.delete(session_id)
        response = Response(status_code=204)
        cookie_of(request).clear(response)
        return response

    return session
