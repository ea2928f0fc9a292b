"""Each checker against its stub, its solution, valid alternatives and plausible wrong answers."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import pytest
from fastapi.responses import JSONResponse, Response
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from course_lib.checks.ch08 import q1, q2, q3
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.web.problems import problem


class EventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=100)
    venue_id: UUID
    organizer_email: EmailStr
    seats: int = Field(ge=1, le=500)
    starts_at: datetime
    ends_at: datetime

    @field_validator("title")
    @classmethod
    def title_has_text(cls, title: str) -> str:
        if not title.strip():
            raise ValueError("title must contain more than whitespace")
        return title.strip()

    @model_validator(mode="after")
    def ends_after_start(self):
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


def test_q1_event_create():
    class NoCustomValidator(BaseModel):
        model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
        title: str = Field(max_length=100)
        venue_id: UUID
        organizer_email: EmailStr
        seats: int = Field(ge=1, le=500)
        starts_at: datetime
        ends_at: datetime

    class NoCrossField(EventCreate):
        @model_validator(mode="after")
        def ends_after_start(self):
            return self

    class PlainStrings(BaseModel):
        title: str
        venue_id: str
        organizer_email: str
        seats: int
        starts_at: str
        ends_at: str

    assert q1.evaluate(None).status == NOT_ATTEMPTED
    assert q1.evaluate(EventCreate).status == CORRECT
    result = q1.evaluate(NoCustomValidator)
    assert result.status == INCORRECT and "spaces only" in result.message
    cross = q1.evaluate(NoCrossField)
    assert cross.status == INCORRECT and "end before the start" in cross.message
    assert q1.evaluate(PlainStrings).status == INCORRECT


class _StripConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(min_length=1, max_length=100)
    venue_id: UUID
    organizer_email: EmailStr
    seats: int = Field(ge=1, le=500)
    starts_at: datetime
    ends_at: datetime

    @model_validator(mode="after")
    def ends_after_start(self):
        if not self.ends_at > self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class _AnnotatedTypes(EventCreate):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    seats: Annotated[int, Field(gt=0, lt=501)]


@pytest.mark.parametrize("valid", [_StripConfig, _AnnotatedTypes])
def test_q1_valid_alternatives(valid):
    assert q1.evaluate(valid).status == CORRECT


class _SeatsFromTwo(EventCreate):
    seats: int = Field(gt=1, le=500)


class _SeatsBelow500(EventCreate):
    seats: int = Field(ge=1, lt=500)


class _Title99(EventCreate):
    title: str = Field(min_length=1, max_length=99)


class _TitleTwoChars(EventCreate):
    title: str = Field(min_length=2, max_length=100)


def _has_at_sign(value: str) -> str:
    if "@" not in value:
        raise ValueError("an email has an @")
    return value


class _AtSignEmail(EventCreate):
    organizer_email: Annotated[str, AfterValidator(_has_at_sign)]


class _UuidByLength(EventCreate):
    venue_id: str = Field(min_length=36, max_length=36)


class _NaiveOnlyOrder(EventCreate):
    @model_validator(mode="after")
    def ends_after_start(self):
        if self.ends_at.replace(tzinfo=None) <= self.starts_at.replace(tzinfo=None):
            raise ValueError("ends_at must be after starts_at")
        return self


class _ClockHours(EventCreate):
    @model_validator(mode="after")
    def ends_after_start(self):
        if (self.ends_at.hour, self.ends_at.minute) <= (self.starts_at.hour, self.starts_at.minute):
            raise ValueError("ends_at must be after starts_at")
        return self


class _StripsOnlySpaces(EventCreate):
    @field_validator("title")
    @classmethod
    def title_has_text(cls, title: str) -> str:
        if not title.strip(" "):
            raise ValueError("title must contain more than whitespace")
        return title.strip(" ")


class _FloatSeats(EventCreate):
    seats: float = Field(ge=1, le=500)


class _AllowsExtra(EventCreate):
    model_config = ConfigDict(extra="ignore")


@pytest.mark.parametrize(
    "wrong",
    [
        _SeatsFromTwo,
        _SeatsBelow500,
        _Title99,
        _TitleTwoChars,
        _AtSignEmail,
        _UuidByLength,
        _NaiveOnlyOrder,
        _ClockHours,
        _StripsOnlySpaces,
        _FloatSeats,
        _AllowsExtra,
    ],
)
def test_q1_wrong_models(wrong):
    assert q1.evaluate(wrong).status == INCORRECT


async def _problem_handler(request, exc):
    return problem(409, f"{exc.sku} is out of stock", sku=exc.sku)


def test_q2_problem_handler():
    def stub(request, exc):
        raise NotImplementedError

    async def plain_json(request, exc):
        return JSONResponse(
            {"type": "about:blank", "title": "Conflict", "status": 409, "detail": str(exc), "sku": exc.sku},
            status_code=409,
        )

    async def no_sku(request, exc):
        return problem(409, "out of stock")

    assert q2.evaluate(None).status == NOT_ATTEMPTED
    assert q2.evaluate(stub).status == NOT_ATTEMPTED
    assert q2.evaluate(_problem_handler).status == CORRECT
    assert q2.evaluate(plain_json).status == INCORRECT
    assert q2.evaluate(no_sku).status == INCORRECT


def _json_problem(body, status=409, media_type="application/problem+json"):
    async def handler(request, exc):
        return JSONResponse(body(exc), status_code=status, media_type=media_type)

    return handler


def _members(exc, **changes):
    return {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": f"{exc.sku} is out of stock",
        "sku": exc.sku,
        **changes,
    }


@pytest.mark.parametrize(
    "valid",
    [
        _json_problem(_members, media_type="application/problem+json; charset=utf-8"),
        _json_problem(
            lambda exc: _members(exc, type="https://shop.example/problems/out-of-stock", title="Out of stock")
        ),
    ],
)
def test_q2_valid_alternatives(valid):
    assert q2.evaluate(valid).status == CORRECT


def test_q2_sync_handler_is_fine():
    def sync(request, exc):
        return problem(409, f"Sorry, {exc.sku} has run out", sku=exc.sku)

    assert q2.evaluate(sync).status == CORRECT


@pytest.mark.parametrize(
    "wrong",
    [
        _json_problem(lambda exc: _members(exc, sku="sku-42", detail="sku-42 is out of stock")),
        _json_problem(lambda exc: _members(exc, detail="out of stock")),
        _json_problem(lambda exc: _members(exc, status="409")),
        _json_problem(_members, status=400),
        _json_problem(_members, status=422),
        _json_problem(lambda exc: _members(exc, status=400)),
        _json_problem(_members, media_type="application/json"),
        _json_problem(_members, media_type="application/problem+json-seq"),
        _json_problem(lambda exc: {key: value for key, value in _members(exc).items() if key != "type"}),
        _json_problem(lambda exc: _members(exc, title=None)),
        _json_problem(lambda exc: [_members(exc)]),
    ],
)
def test_q2_wrong_handlers(wrong):
    assert q2.evaluate(wrong).status == INCORRECT


def test_q2_text_body_is_wrong():
    async def text(request, exc):
        return Response(f"{exc.sku} is out of stock", status_code=409, media_type="application/problem+json")

    assert q2.evaluate(text).status == INCORRECT


class SplitBill(BaseModel):
    total: int = Field(ge=0)
    people: int = Field(ge=1)
    currency: Literal["EUR", "USD", "GBP"]


def test_q3_split_bill():
    class OnlyPeople(BaseModel):
        total: int
        people: int = Field(ge=1)
        currency: str

    class OnlyCurrency(BaseModel):
        total: int
        people: int
        currency: Literal["EUR", "USD", "GBP"]

    assert q3.evaluate(None).status == NOT_ATTEMPTED
    assert q3.evaluate(SplitBill).status == CORRECT
    for half_fixed in (OnlyPeople, OnlyCurrency):
        result = q3.evaluate(half_fixed)
        assert result.status == INCORRECT and result.request.startswith("POST /split")


class _PositiveTotal(SplitBill):
    total: int = Field(gt=0)


class _EnumLike(BaseModel):
    model_config = ConfigDict(extra="forbid")
    total: int = Field(ge=0, le=10**9)
    people: int = Field(gt=0, le=1000)
    currency: Literal["GBP", "USD", "EUR"]


@pytest.mark.parametrize("valid", [_PositiveTotal, _EnumLike])
def test_q3_valid_alternatives(valid):
    assert q3.evaluate(valid).status == CORRECT


class _PeopleFromZero(SplitBill):
    people: int = Field(ge=0)


class _PeopleFromTwo(SplitBill):
    people: int = Field(ge=2)


class _NoGbp(SplitBill):
    currency: Literal["EUR", "USD"]


class _ThreeLetters(SplitBill):
    currency: str = Field(pattern="^[A-Z]{3}$")


class _CaseInsensitive(SplitBill):
    currency: str = Field(pattern="^(?i:eur|usd|gbp)$")


class _NotZero(SplitBill):
    people: int

    @field_validator("people")
    @classmethod
    def not_zero(cls, people: int) -> int:
        if people == 0:
            raise ValueError("people must not be 0")
        return people


class _Eu(SplitBill):
    currency: Literal["EU", "USD", "GBP"]


class _NonEmptyCurrency(SplitBill):
    currency: str = Field(min_length=1)


@pytest.mark.parametrize(
    "wrong", [_PeopleFromZero, _PeopleFromTwo, _NoGbp, _ThreeLetters, _CaseInsensitive, _Eu, _NonEmptyCurrency]
)
def test_q3_wrong_models(wrong):
    assert q3.evaluate(wrong).status == INCORRECT


def test_q3_refusing_only_zero_people_is_enough():
    assert q3.evaluate(_NotZero).status == CORRECT  # -1 people does not crash the handler: the exercise asks no more
