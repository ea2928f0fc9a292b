"""Each checker against its stub, its solution and known-wrong answers."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

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


def test_q2_problem_handler():
    def stub(request, exc):
        raise NotImplementedError

    async def solution(request, exc):
        return problem(409, f"{exc.sku} is out of stock", sku=exc.sku)

    async def plain_json(request, exc):
        return JSONResponse({"type": "about:blank", "title": "Conflict", "status": 409, "detail": str(exc),
                             "sku": exc.sku}, status_code=409)

    async def no_sku(request, exc):
        return problem(409, "out of stock")

    assert q2.evaluate(None).status == NOT_ATTEMPTED
    assert q2.evaluate(stub).status == INCORRECT  # the server answers 500: the handler raised
    assert q2.evaluate(solution).status == CORRECT
    assert q2.evaluate(plain_json).status == INCORRECT
    assert q2.evaluate(no_sku).status == INCORRECT


def test_q3_split_bill():
    class SplitBill(BaseModel):
        total: int = Field(ge=0)
        people: int = Field(ge=1)
        currency: Literal["EUR", "USD", "GBP"]

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
