"""/users/{user_id}/availability: when a user is busy, from the calendar service, an outbound call with a deadline."""

# No `from __future__ import annotations`: FastAPI reads the response model at run time.

import inspect
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated

import anyio
import httpx
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ValidationError

from course_lib.services.calendar import calendar_client, calendar_url
from course_lib.taskapi.context import ContextDep, context_of
from course_lib.taskapi.deps import UserId
from course_lib.taskapi.records import User
from course_lib.taskapi.seams import Seams
from course_lib.taskapi.storage import Storage
from course_lib.web.outbound import dependency_problem, get_json
from course_lib.web.problems import Problem

SERVICE = "calendar service"
FAILURES = {
    502: "The calendar service gave an answer the API cannot use",
    503: "The calendar service is unreachable or failing (see Retry-After)",
    504: "The calendar service did not answer completely within the deadline",
}


class Slot(BaseModel):
    """One busy interval."""

    start: datetime
    end: datetime


class Availability(BaseModel):
    """When a user is busy, as their calendar says."""

    user_id: int
    busy: list[Slot]


def user_exists(storage: Storage, user_id: int) -> bool:
    """True when the user is there: one short unit of work of its own."""
    with storage.unit_of_work() as uow:
        return uow.users.get(user_id) is not None


def may_read(who: User | None, user_id: int) -> bool:
    """A calendar is its owner's and an admin's (no check when nobody has to say who they are)."""
    return who is None or who.id == user_id or who.role == "admin"


def in_a_short_unit_of_work(current_user: Callable[..., User | None]) -> Callable[..., User | None]:
    """The seam's current user (a dependency taking `uow`), found in a unit of work of its own that ends at once, not
    the request's, which would hold a database connection for as long as the route waits on the other service."""
    signature = inspect.signature(current_user, eval_str=True)
    others = [parameter for name, parameter in signature.parameters.items() if name not in ("uow", "request")]

    def caller(request: Request, **kwargs) -> User | None:
        with context_of(request.app).storage.unit_of_work() as uow:
            return (
                current_user(request=request, uow=uow, **kwargs)
                if "request" in signature.parameters
                else current_user(uow=uow, **kwargs)
            )

    request = inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)
    # FastAPI reads it through inspect.signature; typeshed gives functions no __signature__ to assign.
    caller.__signature__ = signature.replace(parameters=[request, *others])  # type: ignore[attr-defined]
    return caller


async def outbound_client(context: ContextDep) -> AsyncIterator[httpx.AsyncClient]:
    """The app's pooled client for outbound calls (the chapter's lifespan opens it), else one for this request."""
    if context.outbound is not None:
        yield context.outbound
        return
    async with calendar_client(context.settings) as client:
        yield client


def router(seams: Seams) -> APIRouter:
    """GET /users/{user_id}/availability, for the seams' current user."""
    users = APIRouter(prefix="/users", tags=["users"])

    # Who asks is checked first (401), so an anonymous request costs no lookup and no outbound call.
    Caller = Annotated[User | None, Depends(in_a_short_unit_of_work(seams.current_user))]

    @users.get(
        "/{user_id}/availability",
        response_model=Availability,
        responses={401: {"description": "No credentials, or ones the API does not know (see WWW-Authenticate)"}},
    )
    async def availability(
        who: Caller,
        user_id: UserId,
        context: ContextDep,
        client: Annotated[httpx.AsyncClient, Depends(outbound_client)],
    ) -> Availability:
        """200 with your own busy slots (an admin's: anyone's); 404 for an unknown user or someone else's calendar;
        502/503/504 when the calendar service fails."""
        settings, storage = context.settings, context.storage
        if not may_read(who, user_id):
            raise Problem(404, f"user {user_id} not found")  # the same 404 as a missing user: nothing tells them apart
        # The lookup takes a pooled connection and gives it back before the slow call: a request waiting on
        # another service must not hold a database connection the whole time.
        if not await anyio.to_thread.run_sync(user_exists, storage, user_id):
            raise Problem(404, f"user {user_id} not found")
        answer = await get_json(
            client, f"{calendar_url(settings)}/calendars/{user_id}", service=SERVICE, timeout=settings.calendar_timeout
        )
        try:
            return Availability.model_validate(answer)
        except ValidationError:
            raise dependency_problem(502, SERVICE, "its answer has not the expected shape") from None

    return users
