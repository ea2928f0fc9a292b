"""Chapter 08's wire models: chapter 07's strict family plus the rules each field must keep.

- field rules: lengths (title 1..200, description up to 2000, name 1..100), formats (email), ranges (password 15..128);
- a custom validator: a title or name of whitespace only is refused, and text is stored without surrounding spaces;
- a cross-field rule: a password may not contain the user's name or the local part of the email.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field, model_validator

from course_lib.taskapi import schemas
from course_lib.taskapi.schemas_strict import TaskCreate as StrictTaskCreate
from course_lib.taskapi.schemas_strict import TaskPublic, UserCreated, UserPublic
from course_lib.taskapi.schemas_strict import TaskReplace as StrictTaskReplace
from course_lib.taskapi.schemas_strict import TaskUpdate as StrictTaskUpdate
from course_lib.taskapi.schemas_strict import UserCreate as StrictUserCreate

MAX_TITLE, MAX_DESCRIPTION, MAX_NAME = 200, 2000, 100


def has_text(value: str) -> str:
    """`value` without surrounding whitespace; a ValueError when nothing else is left."""
    stripped = value.strip()
    if not stripped:
        raise ValueError("must contain more than whitespace")
    return stripped


Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE), AfterValidator(has_text)]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME), AfterValidator(has_text)]


class TaskCreate(StrictTaskCreate):
    """POST /tasks: a title with text in it (1..200 characters), a description of up to 2000."""

    title: Title
    description: Description = ""


class TaskReplace(StrictTaskReplace):
    """PUT /tasks/{id}: the same rules as creating."""

    title: Title
    description: Description = ""


class TaskUpdate(StrictTaskUpdate):
    """PATCH /tasks/{id}: the same rules, for the fields sent."""

    title: Title | None = None
    description: Description | None = None


class UserCreate(StrictUserCreate):
    """POST /users: a name, a valid email address, and a password that does not contain either."""

    name: Name
    email: EmailStr

    @model_validator(mode="after")
    def password_is_not_personal(self) -> UserCreate:
        """The cross-field rule: it needs name, email and password at once, so it runs after the fields."""
        password = self.password.get_secret_value().lower()
        personal = {self.name.lower(), self.email.split("@")[0].lower()}
        if any(len(part) >= 3 and part in password for part in personal):
            raise ValueError("password must not contain your name or the first part of your email")
        return self


TASK_MODELS = schemas.TaskModels(create=TaskCreate, replace=TaskReplace, update=TaskUpdate, public=TaskPublic)
USER_MODELS = schemas.UserModels(create=UserCreate, public=UserPublic, created=UserCreated)
