"""Each checker against its stub, its solution and known-wrong answers."""

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from course_lib.checks.ch07 import q1, q2, q3
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED


def test_q1_account_public():
    class AccountPublic(BaseModel):
        id: int
        email: str
        created_at: datetime

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


def test_q2_profile_update():
    class ProfileUpdate(BaseModel):
        model_config = ConfigDict(extra="forbid")
        name: str | None = None
        bio: str | None = None

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
    assert allowed.status == INCORRECT and allowed.got == "admin"
    assert q2.evaluate(NameRequired).status == INCORRECT


def test_q3_to_wire():
    def stub(dt):
        raise NotImplementedError

    def solution(dt):
        dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
        return dt.isoformat().replace("+00:00", "Z")

    def keeps_offset(dt):
        return dt.isoformat()

    def naive_breaks(dt):
        return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")  # a naive value is taken as local time

    assert q3.evaluate(stub).status == NOT_ATTEMPTED
    assert q3.evaluate(solution).status == CORRECT
    wrong = q3.evaluate(keeps_offset)
    assert wrong.status == INCORRECT and wrong.expected == "2026-03-01T12:00:00Z"
    assert q3.evaluate(naive_breaks).status in (CORRECT, INCORRECT)  # depends on the machine's timezone
