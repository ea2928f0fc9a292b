"""Checks for chapter 07 — serialization."""

# No `from __future__ import annotations`: FastAPI must see the learner's model class in the handler signature.

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from fastapi import FastAPI
from pydantic import BaseModel

from course_lib.notebook.exercises import Exercise, Incorrect, expect_equal, expect_status
from course_lib.notebook.server import serving

SECRET_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2VjcmV0LXNhbHQ$not-a-real-hash"
SECRET_KEY_HASH = "sha256:5f2b1c-api-key-hash"


@dataclass
class Account:
    """What the exercise's app stores: two secrets next to the public fields."""

    id: int
    email: str
    password_hash: str
    api_key_hash: str
    created_at: datetime = field(default_factory=lambda: datetime(2026, 1, 15, 9, 30, tzinfo=UTC))


def _is_model(answer) -> bool:
    return isinstance(answer, type) and issubclass(answer, BaseModel)


def _test_account_public(model) -> None:
    if not _is_model(model):
        raise Incorrect("`AccountPublic` should be a Pydantic model class (class AccountPublic(BaseModel): ...).",
                        expected="a BaseModel subclass", got=type(model).__name__)
    app = FastAPI()
    account = Account(1, "ada@example.com", SECRET_HASH, SECRET_KEY_HASH)

    @app.get("/accounts/1", response_model=model)
    def read_account():
        return account

    with serving(app) as server:
        response = server.get("/accounts/1")
    expect_status(response, 200, f"GET /accounts/1 with response_model=AccountPublic answered {response.status_code}: "
                                 "can the model be built from an Account (id, email, created_at)?")
    leaked = [name for name, secret in (("password_hash", SECRET_HASH), ("api_key_hash", SECRET_KEY_HASH))
              if secret in response.text or name in response.text]
    if leaked:
        raise Incorrect(f"the response leaks {', '.join(leaked)}: an output model lists only what clients may see.",
                        request="GET /accounts/1", expected="no secret in the body", got=response.json())
    expect_equal(sorted(response.json()), ["created_at", "email", "id"],
                 "the public view of an account has exactly id, email and created_at.", request="GET /accounts/1")


q1 = Exercise(
    "ch07.q1", "An output model that leaks nothing", _test_account_public,
    hint="Declare only the public fields: id: int, email: str, created_at: datetime. "
         "FastAPI drops everything the response_model does not declare.",
)


def _test_profile_update(model) -> None:
    if not _is_model(model):
        raise Incorrect("`ProfileUpdate` should be a Pydantic model class.", expected="a BaseModel subclass",
                        got=type(model).__name__)
    app = FastAPI()
    profile = {"name": "Ada", "bio": "", "role": "member"}

    @app.patch("/me")
    def update_me(body: model) -> dict:  # type: ignore[valid-type]
        profile.update(body.model_dump(exclude_unset=True))
        return profile

    with serving(app) as server:
        fine = server.patch("/me", json={"bio": "writes compilers"})
        sneaky = server.patch("/me", json={"name": "Ada", "role": "admin"})
    expect_status(fine, 200, f"PATCH /me with {{'bio': ...}} should work (200), got {fine.status_code}: "
                             "are name and bio optional?")
    expect_equal(fine.json().get("bio"), "writes compilers", "PATCH /me did not change bio.", request="PATCH /me")
    if profile["role"] != "member":
        raise Incorrect("mass assignment! A client made itself admin: the model let `role` through.",
                        request='PATCH /me {"role": "admin"}', expected="role stays 'member'", got=profile["role"])
    expect_status(sneaky, 422, 'PATCH /me {"name": "Ada", "role": "admin"} should be refused with 422: an unknown '
                               'field silently dropped leaves the client thinking it worked.')


q2 = Exercise(
    "ch07.q2", "Refuse mass assignment", _test_profile_update,
    hint='model_config = ConfigDict(extra="forbid") turns unknown fields into a 422. '
         "Give name and bio a default of None so either may be sent alone.",
)

WIRE_CASES = [
    (datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC), "2026-03-01T12:00:00Z"),
    (datetime(2026, 3, 1, 14, 30, 5, tzinfo=timezone(timedelta(hours=2))), "2026-03-01T12:30:05Z"),
    (datetime(2026, 3, 1, 23, 0, 0, tzinfo=timezone(timedelta(hours=-5))), "2026-03-02T04:00:00Z"),
    (datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=UTC), "2026-03-01T12:00:00.250000Z"),
    (datetime(2026, 3, 1, 12, 0, 0), "2026-03-01T12:00:00Z"),  # naive: stored as UTC by convention
]


def _test_to_wire(to_wire) -> None:
    for value, expected in WIRE_CASES:
        got = to_wire(value)
        expect_equal(got, expected, "a timestamp on the wire is ISO 8601, converted to UTC, ending in Z "
                     "(a naive datetime is taken to be UTC already).", request=f"to_wire({value!r})")
        json.dumps(got)


q3 = Exercise(
    "ch07.q3", "Timestamps in UTC with Z", _test_to_wire,
    hint="Attach UTC to a naive value (dt.replace(tzinfo=UTC)), convert an aware one (dt.astimezone(UTC)), then "
         "dt.isoformat() and swap the trailing '+00:00' for 'Z'.",
)
