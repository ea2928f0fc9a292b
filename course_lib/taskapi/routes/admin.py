"""/admin: what only admins may do (chapter 15). Users get 403, nobody gets 401.

| path | methods | the admin check |
|---|---|---|
| /admin/users | GET (every user with their role) | looked up per request |
| /admin/users/{user_id}/role | PUT (make a user admin or member) | looked up per request |
| /admin/stats | GET (how many users and tasks) | the token's role claim: no query, stale until exp |
"""

# No `from __future__ import annotations`: FastAPI reads the body models at run time.

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict

from course_lib.taskapi.bearer_auth import admin_by_claim, admin_by_lookup
from course_lib.taskapi.cookie_auth import end_sessions_of
from course_lib.taskapi.deps import UnitOfWorkDep, UserId
from course_lib.taskapi.records import TaskQuery, User
from course_lib.taskapi.seams import Seams
from course_lib.web.openapi_responses import Responses

FORBIDDEN: Responses = {401: {"description": "Not logged in"}, 403: {"description": "Not an admin"}}


class RoleChange(BaseModel):
    """PUT /admin/users/{user_id}/role: the user's new role."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["member", "admin"]


class Stats(BaseModel):
    """How big the API is."""

    users: int
    tasks: int


def router(seams: Seams) -> APIRouter:
    """Admin routes, each guarded by one of the two role checks."""
    admin = APIRouter(prefix="/admin", tags=["admin"], responses=FORBIDDEN)
    ByLookup = Annotated[User, Depends(admin_by_lookup)]
    ByClaim = Annotated[dict, Depends(admin_by_claim)]

    @admin.get("/users", response_model=list[seams.user_models.public])
    def list_users(uow: UnitOfWorkDep, who: ByLookup) -> list[User]:
        """200 with every user and their role."""
        return uow.users.list()

    @admin.put("/users/{user_id}/role", response_model=seams.user_models.public, responses={404: {}})
    def set_role(user_id: UserId, body: RoleChange, request: Request, uow: UnitOfWorkDep, who: ByLookup) -> User:
        """200 with the user in their new role (their sessions ended); 404 when there is no such user."""
        user = uow.users.set_role(user_id, body.role)
        if user is None:
            raise HTTPException(404, f"user {user_id} not found")
        uow.commit()
        end_sessions_of(request, user_id)  # a privilege change: the next session gets a new id (OWASP)
        return user

    @admin.get("/stats", response_model=Stats)
    def stats(uow: UnitOfWorkDep, claims: ByClaim) -> dict:
        """200 with counts (the database counts: no row is loaded); the caller's role is taken from their token,
        unchecked against the database."""
        return {"users": uow.users.count(), "tasks": uow.tasks.count(TaskQuery())}

    return admin
