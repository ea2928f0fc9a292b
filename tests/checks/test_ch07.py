"""Each checker against its stub, its solution, valid alternatives and plausible wrong answers."""

import os
import time
from datetime import UTC, date, datetime

import pytest
from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, SecretStr, field_serializer, model_validator

from course_lib.checks.ch07 import local_time_zone, q1, q2, q3
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED


class AccountPublic(BaseModel):
    id: int
    email: str
    created_at: datetime


def test_q1_account_public():
    class Leaky(AccountPublic):
        password_hash: str

    class TooLittle(BaseModel):
        id: int

    assert q1.evaluate(None).status == NOT_ATTEMPTED
    assert q1.evaluate(AccountPublic).status == CORRECT
    leaky = q1.evaluate(Leaky)
    assert leaky.status == INCORRECT and "password_hash" in leaky.message and leaky.request == "GET /accounts/1"
    assert q1.evaluate(TooLittle).status == INCORRECT
    assert q1.evaluate({"id": 1}).status == INCORRECT


class _ExcludedSecret(AccountPublic):
    password_hash: str = Field(exclude=True)


class _EmailStr(BaseModel):
    id: int
    email: EmailStr
    created_at: AwareDatetime


class _UtcOnTheWire(AccountPublic):
    @field_serializer("created_at")
    def utc(self, value: datetime) -> str:
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("valid", [_ExcludedSecret, _EmailStr, _UtcOnTheWire])
def test_q1_valid_alternatives(valid):
    assert q1.evaluate(valid).status == CORRECT


class _NullSecret(AccountPublic):
    api_key_hash: str | None = None


class _Masked(AccountPublic):
    password_hash: SecretStr


class _IdAsText(BaseModel):
    id: str
    email: str
    created_at: datetime


class _DateOnly(BaseModel):
    id: int
    email: str
    created_at: date


class _NaiveOnTheWire(AccountPublic):
    @field_serializer("created_at")
    def naive(self, value: datetime) -> str:
        return value.replace(tzinfo=None).isoformat()


class _WrongClock(AccountPublic):
    @field_serializer("created_at")
    def local_label(self, value: datetime) -> str:
        return value.replace(tzinfo=None).isoformat() + "Z"  # wall-clock time labelled as UTC


class _Renamed(BaseModel):
    id: int
    email_address: str = Field(validation_alias="email")
    created_at: datetime


class _Extra(AccountPublic):
    model_config = ConfigDict(extra="allow")
    kind: str = "account"


class _FixedEmail(AccountPublic):
    @model_validator(mode="after")
    def masked(self):
        self.email = "ada@example.com"
        return self


@pytest.mark.parametrize(
    "wrong", [_NullSecret, _Masked, _IdAsText, _DateOnly, _NaiveOnTheWire, _WrongClock, _Renamed, _Extra, _FixedEmail]
)
def test_q1_wrong_models(wrong):
    assert q1.evaluate(wrong).status == INCORRECT


class ProfileUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    bio: str | None = None


def test_q2_profile_update():
    class Ignores(BaseModel):
        name: str | None = None
        bio: str | None = None

    class Allows(Ignores):
        model_config = ConfigDict(extra="allow")

    class NameRequired(ProfileUpdate):
        name: str

    assert q2.evaluate(None).status == NOT_ATTEMPTED
    assert q2.evaluate(ProfileUpdate).status == CORRECT
    ignored = q2.evaluate(Ignores)
    assert ignored.status == INCORRECT and ignored.expected == 422 and ignored.got == 200
    allowed = q2.evaluate(Allows)
    assert allowed.status == INCORRECT and allowed.got["role"] == "admin"
    assert q2.evaluate(NameRequired).status == INCORRECT


class _EmptyDefaults(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = ""
    bio: str = ""


class _Bounded(ProfileUpdate):
    name: str | None = Field(default=None, max_length=100)
    bio: str | None = Field(default=None, max_length=2000)


@pytest.mark.parametrize("valid", [_EmptyDefaults, _Bounded])
def test_q2_valid_alternatives(valid):
    assert q2.evaluate(valid).status == CORRECT


class _RoleFieldOnly(BaseModel):
    name: str | None = None
    bio: str | None = None
    role: None = None  # refuses a role, lets every other unknown field through


class _RejectsRoleKey(BaseModel):
    name: str | None = None
    bio: str | None = None

    @model_validator(mode="before")
    @classmethod
    def no_role(cls, data):
        if isinstance(data, dict) and "role" in data:
            raise ValueError("role cannot be changed")
        return data


class _NonEmptyBio(ProfileUpdate):
    bio: str | None = Field(default=None, min_length=1)


class _BothRequired(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    bio: str


class _BioRequired(ProfileUpdate):
    bio: str


class _FrozenIgnore(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    name: str | None = None
    bio: str | None = None


class _BioAsInt(ProfileUpdate):
    bio: int | None = None


class _ForbidsName(ProfileUpdate):
    name: None = None


@pytest.mark.parametrize(
    "wrong",
    [
        _RoleFieldOnly,
        _RejectsRoleKey,
        _NonEmptyBio,
        _BothRequired,
        _BioRequired,
        _FrozenIgnore,
        _BioAsInt,
        _ForbidsName,
    ],
)
def test_q2_wrong_models(wrong):
    assert q2.evaluate(wrong).status == INCORRECT


def _to_wire(dt):
    dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    return dt.isoformat().replace("+00:00", "Z")


def test_q3_to_wire():
    def stub(dt):
        raise NotImplementedError

    def keeps_offset(dt):
        return dt.isoformat()

    assert q3.evaluate(stub).status == NOT_ATTEMPTED
    assert q3.evaluate(_to_wire).status == CORRECT
    wrong = q3.evaluate(keeps_offset)
    assert wrong.status == INCORRECT and wrong.expected == "2026-03-01T12:00:00Z"


@pytest.mark.parametrize(
    "valid",
    [
        lambda dt: (
            (dt if dt.tzinfo else dt.replace(tzinfo=UTC))
            .astimezone(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        ),
        lambda dt: (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        lambda dt: (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC).replace(tzinfo=None).isoformat() + "Z",
    ],
)
def test_q3_valid_alternatives(valid):
    assert q3.evaluate(valid).status == CORRECT


@pytest.mark.parametrize(
    "wrong",
    [
        lambda dt: dt.astimezone(UTC).isoformat().replace("+00:00", "Z"),  # a naive value taken as local time
        lambda dt: datetime.fromtimestamp(dt.timestamp(), UTC).isoformat().replace("+00:00", "Z"),
        lambda dt: dt.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z"),  # drops the offset, keeps the wall clock
        lambda dt: _to_wire(dt).replace("Z", "+00:00"),
        lambda dt: _to_wire(dt) + "Z" if dt.tzinfo else _to_wire(dt),
        lambda dt: _to_wire(dt).replace("T", " "),
        lambda dt: _to_wire(dt).lower(),
        lambda dt: (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        lambda dt: _to_wire(dt)[:-1],
        lambda dt: datetime.fromisoformat(_to_wire(dt)),
        lambda dt: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(dt.timestamp())),  # seconds only, naive as local
    ],
)
def test_q3_wrong_answers(wrong):
    assert q3.evaluate(wrong).status == INCORRECT


def test_local_time_zone_is_restored():
    before = os.environ.get("TZ"), time.tzname
    with local_time_zone("America/New_York"):
        assert time.tzname[0] == "EST"
    assert (os.environ.get("TZ"), time.tzname) == before


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata"])
def test_solutions_are_correct_in_any_local_time_zone(zone):
    with local_time_zone(zone):
        assert q1.evaluate(AccountPublic).status == CORRECT
        assert q3.evaluate(_to_wire).status == CORRECT
