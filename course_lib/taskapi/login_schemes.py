"""Who is calling: an ordered list of login schemes, tried in turn by one current_user dependency.

A scheme reads what the request sent for it (`sent`: a FastAPI dependency, no lookup; None when nothing was sent),
then finds the user those credentials name (`user`: None when they name nobody, and the next scheme is tried).
When no scheme finds a user, one 401 answers with every scheme's challenge in WWW-Authenticate, in the order they are
tried (RFC 9110 §11.6.1 allows several challenges), and its detail says what each scheme wants.

A scheme raises its own 401 only where its standard defines the refusal of bad credentials: a Bearer token that does
not verify is answered with error="invalid_token" (RFC 6750 §3), which a client's library reads to fetch a new token,
and no later scheme may then log the request in under another name. Any other miss (an unknown API key, a cookie
whose session has ended, which the browser keeps sending by itself) is None with a hint, so the one 401 still offers
every way in.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from course_lib.taskapi.deps import UnitOfWorkDep
from course_lib.taskapi.records import User
from course_lib.taskapi.storage import UnitOfWork
from course_lib.web.request_ids import note_user


@dataclass(frozen=True)
class LoginScheme:
    """One way to say who you are: what the request sent for it, whose those credentials are, its challenge."""

    name: str  # its parameter in the current_user dependency: api_key, session, bearer
    sent: Callable[..., Any]  # a FastAPI dependency: the credentials the request carries for this scheme, or None
    user: Callable[[Request, UnitOfWork, Any], User | None]  # their user; None: nobody, try the next scheme
    challenge: str  # its WWW-Authenticate challenge
    hint: Callable[[Any], str]  # what the 401 tells a caller to do, given what it sent for this scheme (or None)


def logged_in_by(*schemes: LoginScheme) -> Callable[..., User]:
    """The current_user dependency of an API that accepts `schemes`: the user of the first that names one, else 401."""

    def current_user(request: Request, uow: UnitOfWork, **sent: Any) -> User:
        for scheme in schemes:
            if sent[scheme.name] is not None:
                user = scheme.user(request, uow, sent[scheme.name])
                if user is not None:
                    note_user(user.id)  # for the request's log lines (chapter 21); nothing else reads it
                    return user
        raise HTTPException(
            401,
            ", or ".join(scheme.hint(sent[scheme.name]) for scheme in schemes),
            headers={"WWW-Authenticate": ", ".join(scheme.challenge for scheme in schemes)},
        )

    # FastAPI reads the parameters from the signature: one per scheme, so it documents each scheme's security in the
    # OpenAPI (in the order they are tried) and hands current_user what each one sent.
    parameter = inspect.Parameter
    current_user.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            parameter("request", parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
            parameter("uow", parameter.POSITIONAL_OR_KEYWORD, annotation=UnitOfWorkDep),
            *(
                parameter(scheme.name, parameter.KEYWORD_ONLY, annotation=Annotated[Any, Depends(scheme.sent)])
                for scheme in schemes
            ),
        ],
        return_annotation=User,
    )
    current_user.__name__ = f"logged_in_by({', '.join(scheme.name for scheme in schemes)})"
    return current_user
