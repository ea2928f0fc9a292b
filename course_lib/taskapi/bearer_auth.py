"""Who is calling, from chapter 15 on: a Bearer access token (JWT), else the session cookie, else the API key.

Also what a caller may do: tasks are private (another user's task answers 404, exactly like a missing one, so task
ids reveal nothing), and admin routes need the admin role — read from the token's claim (no query, but stale until the
token expires) or looked up per request (one query, a demotion counts at once).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from course_lib.taskapi.api_keys import API_KEY
from course_lib.taskapi.context import context_of, need
from course_lib.taskapi.cookie_auth import SESSION
from course_lib.taskapi.login_schemes import LoginScheme, logged_in_by
from course_lib.taskapi.records import Task, TaskQuery, User
from course_lib.taskapi.storage import UnitOfWork
from course_lib.web.problems import Problem
from course_lib.web.tokens import InvalidToken, TokenConfig, verify

ADMIN = "admin"
BEARER_CHALLENGE = 'Bearer realm="task-api"'  # every 401 says how to authenticate (RFC 9110 §15.5.2)

bearer_scheme = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="The access_token that POST /tokens answered (a JWT, valid for minutes).",
)


def token_config(request: Request) -> TokenConfig:
    """The app's token settings (chapter 15 adds them)."""
    return need(context_of(request.app).tokens, "token settings", 15)


def invalid_token(why: str) -> Problem:
    """401 for a token that cannot be trusted, with the RFC 6750 §3 challenge."""
    return Problem(
        401,
        f"invalid access token: {why}",
        headers={"WWW-Authenticate": f'{BEARER_CHALLENGE}, error="invalid_token", error_description="{why}"'},
    )


async def bearer_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> str | None:
    """The token of the Authorization header ("" when it carries no Bearer token); None when there is no header."""
    # Bearer is the one scheme this API reads there: any other value (Basic, a bare string) is credentials sent that
    # cannot be checked, so they are refused as an invalid token, not skipped for the next scheme.
    if "authorization" not in request.headers:
        return None
    return credentials.credentials if credentials else ""


def claims_of(request: Request, token: str) -> dict[str, Any]:
    """The claims of a Bearer token that verifies; 401 invalid_token when it does not."""
    try:
        claims = verify(token_config(request), token)
    except InvalidToken as refused:
        raise invalid_token(str(refused)) from None
    if not str(claims["sub"]).isdigit():
        raise invalid_token("the token's subject is not a user id")
    return claims


async def bearer_claims(request: Request, token: Annotated[str | None, Depends(bearer_token)]) -> dict | None:
    """The claims of the request's Bearer token; None when it sends none; 401 when the token does not verify."""
    return None if token is None else claims_of(request, token)


Claims = Annotated[dict[str, Any] | None, Depends(bearer_claims)]


def bearer_user(request: Request, uow: UnitOfWork, token: str) -> User:
    """The user a verified token names; 401 invalid_token when the token does not verify or its user is gone."""
    # A 401 of its own (RFC 6750 §3): invalid_token tells the client to fetch a new token, and no cookie or key sent
    # beside the token may answer in its place.
    user = uow.users.get(int(claims_of(request, token)["sub"]))
    if user is None:
        raise invalid_token("the token's user no longer exists")
    return user


BEARER = LoginScheme(
    "bearer",
    sent=bearer_token,
    user=bearer_user,
    challenge=BEARER_CHALLENGE,
    hint=lambda token: "send Authorization: Bearer <token> from POST /tokens",
)

# Chapter 15's order: a token first (a client's code adds it on purpose), then the cookie a browser sends by itself,
# then chapter 05's key. OwnTasksOnly and the admin check depend on this very function: FastAPI runs it once a request.
bearer_session_or_api_key = logged_in_by(BEARER, SESSION, API_KEY)
CurrentUser = Annotated[User, Depends(bearer_session_or_api_key)]


class OwnTasksOnly:
    """A caller sees only their own tasks: another user's task is "not found", the same answer as a missing one."""

    def __init__(self, who: User) -> None:
        self.who = who

    def scope(self, query: TaskQuery) -> TaskQuery:
        """Lists show the caller's tasks; another user's list is 403 (their tasks are theirs alone)."""
        if query.owner_id not in (None, self.who.id):
            raise Problem(403, f"you may list only your own tasks (/users/{self.who.id}/tasks)")
        return replace(query, owner_id=self.who.id)

    def check(self, task: Task) -> None:
        """404 with the very words of a missing task: the answer must not tell 'exists, not yours' from 'absent'."""
        if task.owner_id != self.who.id:
            raise HTTPException(404, f"task {task.id} not found")


async def own_tasks_only(who: CurrentUser) -> OwnTasksOnly:
    """The task access of a request: the caller's own tasks, nothing else."""
    return OwnTasksOnly(who)


async def admin_by_lookup(who: CurrentUser) -> User:
    """The caller if their role, as the database says now, is admin; 403 otherwise. One query per request."""
    if who.role != ADMIN:
        raise Problem(403, f"admins only (your role is {who.role!r})")
    return who


async def admin_by_claim(claims: Claims) -> dict[str, Any]:
    """The token's claims if they say role=admin; 403 otherwise. No query: a demotion counts only at the next token."""
    if claims is None:
        raise HTTPException(
            401,
            "send Authorization: Bearer <token> from POST /tokens: this route reads the role from the token",
            headers={"WWW-Authenticate": BEARER_CHALLENGE},
        )
    if claims.get("role") != ADMIN:
        raise Problem(403, f"admins only (your token says role {claims.get('role')!r})")
    return claims
