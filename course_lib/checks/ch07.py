"""Checks for chapter 07 — serialization."""

# No `from __future__ import annotations`: FastAPI must see the learner's model class in the handler signature.

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from pydantic import BaseModel

from course_lib.notebook.exercises import Exercise, Incorrect, expect_equal, expect_status, local_time_zone
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


ACCOUNTS = [
    Account(1, "ada@example.com", SECRET_HASH, SECRET_KEY_HASH),
    Account(
        2,
        "grace@example.org",
        SECRET_HASH,
        SECRET_KEY_HASH,
        datetime(2026, 7, 4, 23, 5, 30, tzinfo=timezone(timedelta(hours=-4))),
    ),
]


def _test_account_public(model) -> None:
    if not _is_model(model):
        raise Incorrect(
            "`AccountPublic` should be a Pydantic model class (class AccountPublic(BaseModel): ...).",
            expected="a BaseModel subclass",
            got=type(model).__name__,
        )
    app = FastAPI()
    accounts = {account.id: account for account in ACCOUNTS}

    @app.get("/accounts/{account_id}", response_model=model)
    def read_account(account_id: int):
        return accounts[account_id]

    with serving(app) as server:
        responses = [server.get(f"/accounts/{account.id}") for account in ACCOUNTS]
    for account, response in zip(ACCOUNTS, responses):
        request = f"GET /accounts/{account.id}"
        expect_status(
            response,
            200,
            f"{request} with response_model=AccountPublic answered "
            f"{response.status_code}: can the model be built from an Account (id, email, "
            "created_at)?",
        )
        leaked = [
            name
            for name, secret in (("password_hash", SECRET_HASH), ("api_key_hash", SECRET_KEY_HASH))
            if secret in response.text or name in response.text
        ]
        if leaked:
            raise Incorrect(
                f"the response leaks {', '.join(leaked)}: an output model lists only what clients may see.",
                request=request,
                expected="no secret in the body",
                got=response.json(),
            )
        body = response.json()
        expect_equal(
            sorted(body),
            ["created_at", "email", "id"],
            "the public view of an account has exactly id, email and created_at.",
            request=request,
        )
        expect_equal(
            {"id": body["id"], "email": body["email"]},
            {"id": account.id, "email": account.email},
            "id and email should be the account's own, with their types (id a number).",
            request=request,
        )
        if _instant(body["created_at"]) != account.created_at:
            raise Incorrect(
                "created_at should be the account's creation time, with its offset (a datetime).",
                request=request,
                expected=account.created_at.isoformat(),
                got=body["created_at"],
            )


def _instant(text) -> datetime | None:
    """An aware datetime from ISO 8601 text, or None."""
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo is not None else None


q1 = Exercise(
    "ch07.q1",
    "An output model that leaks nothing",
    _test_account_public,
    hint="Declare only the public fields: id: int, email: str, created_at: datetime. "
    "FastAPI drops everything the response_model does not declare.",
)


# Fields a client must not set through PATCH /me, each sent alone and next to an allowed one.
UNKNOWN_FIELDS: list[dict[str, Any]] = [
    {"role": "admin"},
    {"name": "Ada", "role": "admin"},
    {"is_admin": True},
    {"bio": "hi", "id": 1},
    {"email": "eve@example.com"},
]
# Bodies that must be accepted: either field alone, both, none, and falsy values.
ALLOWED_BODIES = [
    {"bio": "writes compilers"},
    {"name": "Ada Lovelace"},
    {"name": "Ada", "bio": "counts"},
    {"bio": ""},
    {},
]


def _test_profile_update(model) -> None:
    if not _is_model(model):
        raise Incorrect(
            "`ProfileUpdate` should be a Pydantic model class.",
            expected="a BaseModel subclass",
            got=type(model).__name__,
        )
    app = FastAPI()
    profile = {"name": "Ada", "bio": "", "role": "member"}

    @app.patch("/me")
    def update_me(body: model) -> dict:
        profile.update(body.model_dump(exclude_unset=True))
        return dict(profile)

    with serving(app) as server:
        for sent in ALLOWED_BODIES:
            request = f"PATCH /me {sent}"
            fine = server.patch("/me", json=sent)
            expect_status(
                fine,
                200,
                f"{request} should work (200), got {fine.status_code}: are name and bio both "
                "optional, and is an empty bio a bio?",
            )
            expect_equal(
                {name: fine.json().get(name) for name in sent},
                sent,
                "PATCH /me did not apply what was sent.",
                request=request,
            )
        for sent in UNKNOWN_FIELDS:
            request = f"PATCH /me {sent}"
            sneaky = server.patch("/me", json=sent)
            if profile["role"] != "member" or set(profile) != {"name", "bio", "role"}:
                raise Incorrect(
                    "mass assignment! A client set a field it must not: the model let it through.",
                    request=request,
                    expected={"role": "member"},
                    got=profile,
                )
            expect_status(
                sneaky,
                422,
                f"{request} should be refused with 422: an unknown field silently dropped "
                "leaves the client thinking it worked.",
            )


q2 = Exercise(
    "ch07.q2",
    "Refuse mass assignment",
    _test_profile_update,
    hint='model_config = ConfigDict(extra="forbid") turns unknown fields into a 422. '
    "Give name and bio a default of None so either may be sent alone.",
)

WIRE_CASES = [
    (datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC), "2026-03-01T12:00:00Z"),
    (datetime(2026, 3, 1, 14, 30, 5, tzinfo=timezone(timedelta(hours=2))), "2026-03-01T12:30:05Z"),
    (datetime(2026, 3, 1, 23, 0, 0, tzinfo=timezone(timedelta(hours=-5))), "2026-03-02T04:00:00Z"),
    (datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=UTC), "2026-03-01T12:00:00.250000Z"),
    (datetime(2026, 3, 1, 12, 0, 0), "2026-03-01T12:00:00Z"),  # naive: stored as UTC by convention
    (datetime(2026, 7, 1, 8, 15, 0, tzinfo=ZoneInfo("America/New_York")), "2026-07-01T12:15:00Z"),  # summer time
    (datetime(2025, 12, 31, 23, 59, 59, 500000, tzinfo=timezone(timedelta(hours=-1))), "2026-01-01T00:59:59.500000Z"),
    (datetime(2026, 11, 1, 1, 30), "2026-11-01T01:30:00Z"),  # naive, in the hour New York's clocks repeat
]
# A naive datetime taken as the machine's local time is only right where the machine runs in UTC, so the cases run
# twice: in the kernel's own time zone and with the process's local time zone set to New York.
TIME_ZONES = (None, "America/New_York")
RFC3339_Z = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")


def _same_instant(got, expected: str) -> bool:
    """True when `got` is RFC 3339 text in UTC with Z for the instant `expected` names (any fraction digits)."""
    if not isinstance(got, str) or not RFC3339_Z.fullmatch(got):
        return False
    return datetime.fromisoformat(got.replace("Z", "+00:00")) == datetime.fromisoformat(expected.replace("Z", "+00:00"))


def _test_to_wire(to_wire) -> None:
    for zone in TIME_ZONES:
        with local_time_zone(zone):
            for value, expected in WIRE_CASES:
                got = to_wire(value)
                if not _same_instant(got, expected):
                    where = f" (with the machine's local time zone set to {zone})" if zone else ""
                    raise Incorrect(
                        "a timestamp on the wire is ISO 8601, converted to UTC, ending in Z (a naive "
                        f"datetime is taken to be UTC already, whatever the machine's time zone){where}.",
                        request=f"to_wire({value!r})",
                        expected=expected,
                        got=got,
                    )


q3 = Exercise(
    "ch07.q3",
    "Timestamps in UTC with Z",
    _test_to_wire,
    hint="Attach UTC to a naive value (dt.replace(tzinfo=UTC)), convert an aware one (dt.astimezone(UTC)), then "
    "dt.isoformat() and swap the trailing '+00:00' for 'Z'.",
)
