"""/tokens: log in for an access token (JWT) and a refresh token; refresh with rotation; revoke to log out (chapter 15).

| path | methods |
|---|---|
| /tokens | POST (email + password → 200 with access_token, refresh_token) |
| /tokens/refresh | POST (a refresh token → 200 with a new pair; the old one is spent) |
| /tokens/revoke | POST (log out: the refresh token's family stops working → 204, also for an unknown token) |

A token response is 200, as OAuth's token endpoint answers (RFC 6749 §5.1): it creates no resource a client could
GET, so a 201 would have no Location to name (RFC 9110 §9.3.3). The refresh tokens live in Redis: when Redis cannot be
reached, these routes answer 503 with Retry-After (the fault is a dependency's, and retrying later can help).
"""

# No `from __future__ import annotations`: FastAPI reads the body models at run time.

from collections.abc import Iterator
from contextlib import contextmanager

import redis
from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from course_lib.taskapi.bearer_auth import BEARER_CHALLENGE, token_config
from course_lib.taskapi.context import context_of, need
from course_lib.taskapi.deps import UnitOfWorkDep
from course_lib.taskapi.password_login import WRONG_CREDENTIALS, Login, authenticate
from course_lib.taskapi.records import User
from course_lib.web.cache_control import NEVER_STORED
from course_lib.web.openapi_responses import Responses
from course_lib.web.outbound import dependency_problem
from course_lib.web.problems import Problem
from course_lib.web.refresh_tokens import RefreshRefused, RefreshStore
from course_lib.web.tokens import issue

REFRESH_PROBLEM = "tag:backend-course.example,2026:problems/refresh-refused"
STORE = "refresh-token store (Redis)"
STORE_DOWN: Responses = {
    503: {
        "description": "The refresh-token store (Redis) cannot be reached: retry after Retry-After seconds",
        "headers": {
            "Retry-After": {"description": "Seconds to wait before asking again.", "schema": {"type": "integer"}}
        },
    }
}


class TokenPair(BaseModel):
    """An access token for requests and a refresh token for the next access token (RFC 6749 §5.1's names)."""

    access_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str


class RefreshBody(BaseModel):
    """POST /tokens/refresh and /tokens/revoke: the refresh token, in the body (never in a URL, which gets logged)."""

    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=200)


def refresh_store(request: Request) -> RefreshStore:
    """The app's refresh-token store (chapter 15 adds it)."""
    return need(context_of(request.app).refresh_tokens, "refresh-token store", 15)


@contextmanager
def store_reachable() -> Iterator[None]:
    """Redis down, hung or refusing: 503 + Retry-After (problem+json), never a 500."""
    try:
        yield
    except redis.RedisError as error:
        raise dependency_problem(503, STORE, f"{type(error).__name__}, try again later") from None


def refused(detail: str, **extensions) -> Problem:
    """401 for a refresh that cannot be honoured, with the challenge every 401 carries (RFC 9110 §15.5.2)."""
    return Problem(
        401,
        detail,
        type=REFRESH_PROBLEM,
        title="Refresh token refused",
        headers={"WWW-Authenticate": BEARER_CHALLENGE},
        **extensions,
    )


def pair(request: Request, user: User, refresh_token: str) -> dict:
    """A fresh access token for `user` (its role as a claim) beside `refresh_token`."""
    config = token_config(request)
    return {
        "access_token": issue(config, user.id, role=user.role),
        "token_type": "Bearer",
        "expires_in": config.ttl,
        "refresh_token": refresh_token,
    }


def router() -> APIRouter:
    """Log in for tokens, refresh them, revoke them."""
    tokens = APIRouter(prefix="/tokens", tags=["tokens"])

    @tokens.post(
        "", response_model=TokenPair, responses={401: {"description": "Wrong email or password"}, **STORE_DOWN}
    )
    def log_in(body: Login, request: Request, response: Response, uow: UnitOfWorkDep) -> dict:
        """200 with an access token and a refresh token; 401 when the email or password is wrong (same answer)."""
        user = authenticate(uow, body.email, body.password.get_secret_value())
        if user is None:
            raise HTTPException(401, WRONG_CREDENTIALS, headers={"WWW-Authenticate": BEARER_CHALLENGE})
        with store_reachable():
            refresh_token = refresh_store(request).start(user.id)
        response.headers.update(NEVER_STORED)
        return pair(request, user, refresh_token)

    @tokens.post(
        "/refresh",
        response_model=TokenPair,
        responses={401: {"description": "Unknown, expired, revoked or reused refresh token"}, **STORE_DOWN},
    )
    def refresh(body: RefreshBody, request: Request, response: Response, uow: UnitOfWorkDep) -> dict:
        """200 with a new pair; the token sent is spent. A spent token sent again revokes its whole family (401)."""
        with store_reachable():
            try:
                grant, next_token = refresh_store(request).rotate(body.refresh_token)
            except RefreshRefused as refusal:
                raise refused(str(refusal), reused=refusal.reused) from None
            user = uow.users.get(grant.user_id)
            if user is None:
                refresh_store(request).revoke_family(grant.family)
                raise refused("this user no longer exists", reused=False)
        response.headers.update(NEVER_STORED)
        return pair(request, user, next_token)  # the role is read again now: a refresh picks up a demotion

    @tokens.post("/revoke", status_code=204, responses=STORE_DOWN)
    def revoke(body: RefreshBody, request: Request) -> Response:
        """204: the refresh token's family is revoked (log out). Access tokens already out stay valid until exp."""
        with store_reachable():
            refresh_store(request).revoke(body.refresh_token)
        return Response(status_code=204)

    return tokens
