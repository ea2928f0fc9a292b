"""Checks for chapter 08 — validation."""

# No `from __future__ import annotations`: FastAPI must see the learner's model class in the handler signature.

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ValidationError

from course_lib.lab.fuzz import fuzz
from course_lib.notebook.exercises import Exercise, Incorrect, expect_equal, expect_header, expect_status
from course_lib.notebook.server import serving
from course_lib.web.problems import PROBLEM_JSON, install_problem_details

VALID_EVENT = {
    "title": "  Launch party  ",
    "venue_id": "6f1c2a3e-8b7d-4c5e-9f0a-1b2c3d4e5f60",
    "organizer_email": "ada@example.com",
    "seats": 50,
    "starts_at": "2026-05-01T18:00:00Z",
    "ends_at": "2026-05-01T20:00:00Z",
}
# Valid variants: both ends of every range, other offsets, an email with a tag and a subdomain, an upper-case UUID.
VALID_EVENTS: list[tuple[str, dict[str, Any]]] = [
    ("a 1-character title", {"title": "x"}),
    ("a 100-character title", {"title": "x" * 100}),
    ("1 seat", {"seats": 1}),
    ("500 seats", {"seats": 500}),
    ("an end one second after the start", {"ends_at": "2026-05-01T18:00:01Z"}),
    (
        "times with offsets (the end 30 minutes after the start)",
        {"starts_at": "2026-05-01T20:00:00+02:00", "ends_at": "2026-05-01T14:30:00-04:00"},
    ),
    ("an email with a tag and a subdomain", {"organizer_email": "ada+events@mail.example.co.uk"}),
    ("an upper-case UUID", {"venue_id": "6F1C2A3E-8B7D-4C5E-9F0A-1B2C3D4E5F60"}),
    ("another title to strip", {"title": "\tBoard games night "}),
]
STRIPPED = {"  Launch party  ": "Launch party", "\tBoard games night ": "Board games night", "x": "x"}
INVALID_EVENTS: list[tuple[str, dict[str, Any]]] = [
    ("a title of spaces only", {"title": "   "}),
    ("a title of tabs and newlines only", {"title": "\t\n "}),
    ("an empty title", {"title": ""}),
    ("a title of 101 characters", {"title": "x" * 101}),
    ("0 seats", {"seats": 0}),
    ("-1 seats", {"seats": -1}),
    ("501 seats", {"seats": 501}),
    ("2.5 seats", {"seats": 2.5}),
    ("an email without @", {"organizer_email": "ada.example.com"}),
    ("an email without a name", {"organizer_email": "@example.com"}),
    ("an email without a domain", {"organizer_email": "ada@"}),
    ("an email with two @", {"organizer_email": "ada@@example.com"}),
    ("an email with a space", {"organizer_email": "ada lovelace@example.com"}),
    ("a venue id that is not a UUID", {"venue_id": "venue-12"}),
    ("a venue id of 36 characters that is not a UUID", {"venue_id": "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"}),
    ("an end before the start", {"ends_at": "2026-05-01T17:00:00Z"}),
    ("an end equal to the start", {"ends_at": "2026-05-01T18:00:00Z"}),
    ("an end equal to the start, written with another offset", {"ends_at": "2026-05-01T20:00:00+02:00"}),
    ("an end that is later on the clock but earlier in time", {"ends_at": "2026-05-01T19:30:00+02:00"}),
    ("an unknown field", {"price": 10}),
]


def _is_model(answer) -> bool:
    return isinstance(answer, type) and issubclass(answer, BaseModel)


def _test_event_create(model) -> None:
    if not _is_model(model):
        raise Incorrect(
            "`EventCreate` should be a Pydantic model class.", expected="a BaseModel subclass", got=type(model).__name__
        )
    for what, change in [("VALID_EVENT", {}), *VALID_EVENTS]:
        body = {**VALID_EVENT, **change}
        request = (
            f"EventCreate.model_validate({{**VALID_EVENT, **{change!r}}})"
            if change
            else "EventCreate.model_validate(VALID_EVENT)"
        )
        try:
            event = model.model_validate(body)
        except ValidationError as error:
            raise Incorrect(
                f"a valid event ({what}) was rejected.",
                request=request,
                expected="no error",
                got=error.errors(include_url=False, include_input=False),
            ) from None
        if body["title"] in STRIPPED:
            expect_equal(
                getattr(event, "title", None),
                STRIPPED[body["title"]],
                "the title should be stored without the spaces around it.",
                request=request,
            )
    for what, change in INVALID_EVENTS:
        try:
            model.model_validate({**VALID_EVENT, **change})
        except ValidationError:
            continue
        raise Incorrect(
            f"{what} was accepted; it must be a validation error.",
            request=f"EventCreate.model_validate({{**VALID_EVENT, **{change!r}}})",
            expected="ValidationError",
            got="accepted",
        )


q1 = Exercise(
    "ch08.q1",
    "Field rules, a custom validator and a cross-field rule",
    _test_event_create,
    hint="Field(min_length=..., max_length=...), Field(ge=..., le=...), EmailStr, UUID; "
    "a @field_validator('title') that strips and rejects an empty result; a @model_validator(mode='after') "
    "comparing ends_at with starts_at; extra='forbid'.",
)


class OutOfStock(Exception):
    """Raised by the shop when an item has run out."""

    def __init__(self, sku: str) -> None:
        super().__init__(f"{sku} is out of stock")
        self.sku = sku


def shop_app() -> FastAPI:
    """A shop whose orders fail with OutOfStock for the sku in the path."""
    app = FastAPI()

    @app.post("/orders/{sku}")
    def order(sku: str) -> dict:
        raise OutOfStock(sku)

    return app


SKUS = ["sku-42", "pen-7"]


def _test_out_of_stock(handler) -> None:
    if not callable(handler):
        raise Incorrect(
            "`out_of_stock` should be a function (request, exc) -> Response.",
            expected="a function",
            got=type(handler).__name__,
        )
    app = shop_app()
    app.add_exception_handler(OutOfStock, handler)
    with serving(app) as server:
        responses = [server.post(f"/orders/{sku}") for sku in SKUS]
    for sku, response in zip(SKUS, responses):
        request = f"POST /orders/{sku}"
        expect_status(
            response,
            409,
            f"an order for something out of stock conflicts with the shop's state: 409, got {response.status_code}.",
        )
        expect_header(
            response,
            "content-type",
            PROBLEM_JSON,
            why="a problem details body is announced as application/problem+json (RFC 9457).",
        )
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if not isinstance(body, dict):
            raise Incorrect("a problem details body is a JSON object.", request=request, expected="an object", got=body)
        missing = [member for member in ("type", "title", "status", "detail") if member not in body]
        if missing:
            raise Incorrect(
                f"the problem lacks {', '.join(missing)}.",
                request=request,
                expected="type, title, status, detail",
                got=sorted(body),
            )
        for member in ("type", "title", "detail"):
            if not isinstance(body[member], str) or not body[member].strip():
                raise Incorrect(
                    f'"{member}" should be a non-empty string.', request=request, expected="a string", got=body[member]
                )
        expect_equal(body["status"], 409, '"status" must equal the HTTP status, as a number.', request=request)
        expect_equal(
            body.get("sku"),
            sku,
            'add the sku of the exception as an extension member: "sku": exc.sku.',
            request=request,
        )
        if sku not in body["detail"]:
            raise Incorrect(
                '"detail" should tell a human which item ran out.',
                request=request,
                expected=f"a detail naming {sku}",
                got=body["detail"],
            )


q2 = Exercise(
    "ch08.q2",
    "Your own error as problem details",
    _test_out_of_stock,
    hint="course_lib.web.problems.problem(status, detail, **extensions) builds the response; "
    "or JSONResponse(body, status_code=409, media_type='application/problem+json').",
)

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
SPLIT_EXAMPLE = {"total": 100, "people": 4, "currency": "EUR"}
FUZZ_COUNT = 150
FUZZ_SEED = 8


def split_app(model) -> FastAPI:
    """POST /split: each person's share of a bill, read with the learner's model."""
    app = FastAPI()

    @app.post("/split")
    def split(bill: model) -> dict:
        return {"each": f"{SYMBOLS[bill.currency]}{bill.total // bill.people}"}

    return install_problem_details(app)


# Bills the model must accept, one per currency and the smallest party, with the share each gets.
VALID_BILLS = [
    (SPLIT_EXAMPLE, "€25"),
    ({"total": 7, "people": 1, "currency": "USD"}, "$7"),
    ({"total": 90, "people": 3, "currency": "GBP"}, "£30"),
]
# Bills that crash the handler unless the model refuses them: checked every time, not left to the fuzz's luck.
CRASHING_BILLS = [
    {"total": 100, "people": 0, "currency": "EUR"},
    {"total": 100, "people": 4, "currency": "JPY"},
    {"total": 100, "people": 4, "currency": "eur"},
    {"total": 100, "people": 4, "currency": ""},
]


def _test_split_bill(model) -> None:
    if not _is_model(model):
        raise Incorrect(
            "`SplitBill` should be a Pydantic model class.", expected="a BaseModel subclass", got=type(model).__name__
        )
    with serving(split_app(model)) as server:
        valid = [(bill, share, server.post("/split", json=bill)) for bill, share in VALID_BILLS]
        crashing = [(bill, server.post("/split", json=bill)) for bill in CRASHING_BILLS]
        report = fuzz(
            server, ["POST /split"], count=FUZZ_COUNT, seed=FUZZ_SEED, examples={"POST /split": SPLIT_EXAMPLE}
        )
    for bill, share, response in valid:
        expect_status(response, 200, f"a valid bill ({bill}) should still be split (200), got {response.status_code}.")
        expect_equal(
            response.json(),
            {"each": share},
            f"{bill['total']} {bill['currency']} for {bill['people']} is {share} each.",
            request=f"POST /split {bill}",
        )
    for bill, response in crashing:
        if not 400 <= response.status_code < 500:
            raise Incorrect(
                "the handler cannot take this bill, so the model must refuse it (4xx).",
                request=f"POST /split {bill}",
                expected="a 4xx",
                got=response.status_code,
            )
    if not report.ok:
        raise Incorrect(
            f"{len(report.failures)} of {FUZZ_COUNT} fuzzed requests crashed the handler. Which input "
            "does the model let through that the handler cannot take?",
            request=report.failures[0],
            expected="a 4xx for bad input",
            got="500",
        )


q3 = Exercise(
    "ch08.q3",
    "Fuzz-proof the bill splitter",
    _test_split_bill,
    hint="The handler divides by people and looks the currency up in SYMBOLS. "
    "Field(ge=1) and Literal['EUR', 'USD', 'GBP'] turn both crashes into 422s.",
)
