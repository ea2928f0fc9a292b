"""What goes over the wire: the request and response bodies of the task API, one Pydantic model per role.

A record (records.Task, records.User) is what the application stores; these models are what a client may send
(TaskCreate, TaskReplace, TaskUpdate, UserCreate) and what it gets back (TaskPublic, UserPublic). Routes declare them
as `response_model`, so a field a model does not list (a password hash) can never leave the server.

The routers take the models as a bundle (TaskModels, UserModels, a seam), so a later chapter swaps in stricter models
without rewriting a route.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TaskCreate(BaseModel):
    """POST /tasks: a title is required; the rest has defaults."""

    title: str
    description: str = ""
    done: bool = False


class TaskReplace(TaskCreate):
    """PUT /tasks/{id}: the complete new state; a field left out goes back to its default."""


# PostgreSQL's text cannot hold U+0000 (the statement fails), SQLite's can: the API refuses it on every backend alike.
NO_NUL = r"^[^\x00]*$"


def not_null(schema: dict[str, Any]) -> None:
    """A field's JSON schema without its null branch and null default: it may be left out, never sent as null."""
    choices = schema.pop("anyOf", None)
    if choices:
        schema.update(next(choice for choice in choices if choice.get("type") != "null"))
    schema.pop("default", None)


def omittable() -> Any:
    """A field of a partial update: None in Python means "left out"; the OpenAPI says so and refuses null."""
    return Field(None, description="Leave out to keep the current value; null is refused.", json_schema_extra=not_null)


class TaskUpdate(BaseModel):
    """PATCH /tasks/{id}: only the fields sent change; a field sent as null is an error, not a reset."""

    title: str | None = omittable()
    description: str | None = omittable()
    done: bool | None = omittable()

    @model_validator(mode="after")
    def no_nulls(self) -> TaskUpdate:
        nulls = sorted(name for name in self.model_fields_set if getattr(self, name) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null; leave a field out to keep its value")
        return self


class TaskPublic(BaseModel):
    """A task as clients see it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str
    done: bool
    owner_id: int | None
    created_at: datetime
    updated_at: datetime


class UserCreate(BaseModel):
    """POST /users."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Grace Hopper", "email": "grace@example.org"}]})

    name: str
    email: str

    def to_record(self) -> dict:
        """The fields storage keeps for a new user."""
        return {"name": self.name, "email": self.email}


class UserPublic(BaseModel):
    """A user as clients see it: never the password hash."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str
    role: str
    created_at: datetime


class UserProfile(BaseModel):
    """Another user as a caller sees them (from chapter 05 on): who they are, not how to reach them (OWASP API3)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str


class UserCreated(UserPublic):
    """The answer to POST /users once users have API keys (chapter 05): the key, shown this one time."""

    api_key: str


@dataclass(frozen=True)
class TaskModels:
    """The body models the task routes use; swap one to tighten a route without rewriting it."""

    create: type[BaseModel] = TaskCreate
    replace: type[BaseModel] = TaskReplace
    update: type[BaseModel] = TaskUpdate
    public: type[BaseModel] = TaskPublic


@dataclass(frozen=True)
class UserModels:
    """The body models the user routes use; `created` is what POST /users answers, `profile` what others see."""

    create: type[BaseModel] = UserCreate
    public: type[BaseModel] = UserPublic
    created: type[BaseModel] = UserPublic
    profile: type[BaseModel] = UserProfile


TASK_MODELS = TaskModels()
USER_MODELS = UserModels()
