"""Logging in with an email and a password: the body and the check that /session (chapter 09) and /tokens (15) share."""

# No `from __future__ import annotations`: FastAPI reads the Login model at run time.

import secrets
from functools import cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Secret, StringConstraints

from course_lib.taskapi.records import User
from course_lib.taskapi.schemas_strict import MAX_PASSWORD
from course_lib.taskapi.storage import UnitOfWork
from course_lib.web.passwords import hash_password, verify_password

WRONG_CREDENTIALS = "wrong email or password"  # one message for both: it must not say which of the two was wrong


class Login(BaseModel):
    """POST /session and POST /tokens: the email and password the user signed up with."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=1, max_length=320)
    password: Secret[Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD)]] = Field(
        json_schema_extra={"format": "password", "writeOnly": True}
    )


@cache
def dummy_hash() -> str:
    """An argon2id hash of a password nobody knows, made with the same cost as real ones."""
    return hash_password(secrets.token_urlsafe(32))


def authenticate(uow: UnitOfWork, email: str, password: str) -> User | None:
    """The user with this email and password, or None, after the same work in every case."""
    user = uow.users.get_by_email(email)
    # Verify even when there is no such user, so that a wrong email takes as long as a wrong password.
    matches = verify_password(password, user.password_hash if user and user.password_hash else dummy_hash())
    return user if matches and user is not None else None
