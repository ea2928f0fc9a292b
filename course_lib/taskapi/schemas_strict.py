"""Chapter 07's wire models: schemas.py's family closed to unknown fields, passwords in, UTC timestamps with Z out.

- input models are closed to unknown fields (extra="forbid"): {"title": "x", "owner_id": 1} is a 422, never a
  silent change of owner;
- users sign up with a password (a Secret, so it never shows in a repr or a log) that is stored only as a hash;
- every timestamp leaves as ISO 8601 in UTC with a Z: 2026-01-15T09:30:00.123456Z.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, PlainSerializer, Secret, StringConstraints, WithJsonSchema

from course_lib.taskapi import schemas
from course_lib.web.passwords import hash_password

CLOSED = ConfigDict(extra="forbid")  # unknown fields are an error (not "strict": that means no coercion)
MIN_PASSWORD, MAX_PASSWORD = 15, 128  # NIST SP 800-63B-4: 15 for a password used alone; a cap bounds hashing cost

# A Secret shows as '**********' in a repr, a log line or model_dump_json(); .get_secret_value() reads it on purpose.
Password = Secret[Annotated[str, StringConstraints(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)]]


def as_utc(value: datetime) -> datetime:
    """`value` in UTC; a naive datetime is taken to be UTC already (what SQLite gives back)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_wire(value: datetime) -> str:
    """ISO 8601 in UTC with a Z, the one timestamp format of the API."""
    return as_utc(value).isoformat().replace("+00:00", "Z")


UTCDateTime = Annotated[
    datetime,
    AfterValidator(as_utc),
    PlainSerializer(to_wire, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-01-15T09:30:00Z"]}),
]


class TaskCreate(schemas.TaskCreate):
    """POST /tasks: title, description, done — and nothing else."""

    model_config = CLOSED


class TaskReplace(TaskCreate):
    """PUT /tasks/{id}: the complete new state, and nothing else."""


class TaskUpdate(schemas.TaskUpdate):
    """PATCH /tasks/{id}: some of title, description, done, and nothing else."""

    model_config = CLOSED


class TaskPublic(schemas.TaskPublic):
    """A task as clients see it, timestamps in UTC."""

    created_at: UTCDateTime
    updated_at: UTCDateTime


class UserCreate(schemas.UserCreate):
    """POST /users: name, email and a password; role and the rest are the server's to decide."""

    # The example (Swagger UI's "Try it out", a generated Postman body) keeps every rule of the model it documents.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "Grace Hopper", "email": "grace@example.org", "password": "tulip orbit canyon 1906"}]
        },
    )

    password: Password = Field(
        description=f"{MIN_PASSWORD} to {MAX_PASSWORD} characters; stored only as a hash.",
        json_schema_extra={"format": "password", "writeOnly": True},
    )

    def to_record(self) -> dict:
        """The fields storage keeps: the password's argon2id hash, never the password."""
        return {
            "name": self.name,
            "email": self.email,
            "password_hash": hash_password(self.password.get_secret_value()),
        }


class UserPublic(schemas.UserPublic):
    """A user as clients see it: no password, no hash, no key."""

    created_at: UTCDateTime


class UserCreated(UserPublic):
    """The answer to POST /users: the public user plus its API key, shown this one time."""

    api_key: str


TASK_MODELS = schemas.TaskModels(create=TaskCreate, replace=TaskReplace, update=TaskUpdate, public=TaskPublic)
USER_MODELS = schemas.UserModels(create=UserCreate, public=UserPublic, created=UserCreated)
