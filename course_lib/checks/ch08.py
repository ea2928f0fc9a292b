"""Checks for chapter 08 — validation."""

# No `from __future__ import annotations`: FastAPI must see the learner's model class in the handler signature.

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
INVALID_EVENTS = [
    ("a title of spaces only", {"title": "   "}),
    ("an empty title", {"title": ""}),
    ("a title of 101 characters", {"title": "x" * 101}),
    ("0 seats", {"seats": 0}),
    ("501 seats", {"seats": 501}),
    ("an email without @", {"organizer_email": "ada.example.com"}),
    ("a venue id that is not a UUID", {"venue_id": "venue-12"}),
    ("an end before the start", {"ends_at": "2026-05-01T17:00:00Z"}),
    ("an end equal to the start", {"ends_at": "2026-05-01T18:00:00Z"}),
    ("an unknown field", {"price": 10}),
]


def _is_model(answer) -> bool:
    return isinstance(answer, type) and issubclass(answer, BaseModel)


def _test_event_create(model) -> None:
    if not _is_model(model):
        raise Incorrect("`EventCreate` should be a Pydantic model class.", expected="a BaseModel subclass",
                        got=type(model).__name__)
    try:
        event = model.model_validate(VALID_EVENT)
    except ValidationError as error:
        raise Incorrect("a valid event was rejected.", request="EventCreate.model_validate(VALID_EVENT)",
                        expected="no error", got=error.errors(include_url=False, include_input=False)) from None
    expect_equal(getattr(event, "title", None), "Launch party", "the title should be stored without the spaces "
                 "around it.", request="EventCreate.model_validate(VALID_EVENT)")
    for what, change in INVALID_EVENTS:
        try:
            model.model_validate({**VALID_EVENT, **change})
        except ValidationError:
            continue
        raise Incorrect(f"{what} was accepted; it must be a validation error.",
                        request=f"EventCreate.model_validate({{**VALID_EVENT, **{change!r}}})",
                        expected="ValidationError", got="accepted")


q1 = Exercise(
    "ch08.q1", "Field rules, a custom validator and a cross-field rule", _test_event_create,
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
    """A one-route shop whose orders fail with OutOfStock."""
    app = FastAPI()

    @app.post("/orders")
    def order() -> dict:
        raise OutOfStock("sku-42")

    return app


def _test_out_of_stock(handler) -> None:
    if not callable(handler):
        raise Incorrect("`out_of_stock` should be a function (request, exc) -> Response.", expected="a function",
                        got=type(handler).__name__)
    app = shop_app()
    app.add_exception_handler(OutOfStock, handler)
    with serving(app) as server:
        response = server.post("/orders")
    expect_status(response, 409, f"an order for something out of stock conflicts with the shop's state: 409, "
                                 f"got {response.status_code}.")
    expect_header(response, "content-type", PROBLEM_JSON,
                  why="a problem details body is announced as application/problem+json (RFC 9457).")
    body = response.json()
    missing = [member for member in ("type", "title", "status", "detail") if member not in body]
    if missing:
        raise Incorrect(f"the problem lacks {', '.join(missing)}.", request="POST /orders",
                        expected="type, title, status, detail", got=sorted(body))
    expect_equal(body["status"], 409, '"status" must equal the HTTP status.', request="POST /orders")
    expect_equal(body.get("sku"), "sku-42", 'add the sku as an extension member: "sku": exc.sku.',
                 request="POST /orders")
    if "sku-42" not in str(body["detail"]):
        raise Incorrect('"detail" should tell a human which item ran out.', request="POST /orders",
                        expected="a detail naming sku-42", got=body["detail"])


q2 = Exercise(
    "ch08.q2", "Your own error as problem details", _test_out_of_stock,
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


def _test_split_bill(model) -> None:
    if not _is_model(model):
        raise Incorrect("`SplitBill` should be a Pydantic model class.", expected="a BaseModel subclass",
                        got=type(model).__name__)
    with serving(split_app(model)) as server:
        valid = server.post("/split", json=SPLIT_EXAMPLE)
        report = fuzz(server, ["POST /split"], count=FUZZ_COUNT, seed=FUZZ_SEED,
                      examples={"POST /split": SPLIT_EXAMPLE})
    expect_status(valid, 200, f"a valid bill should still be split (200), got {valid.status_code}.")
    expect_equal(valid.json(), {"each": "€25"}, "100 EUR for 4 people is €25 each.", request="POST /split")
    if not report.ok:
        raise Incorrect(f"{len(report.failures)} of {FUZZ_COUNT} fuzzed requests crashed the handler. Which input "
                        "does the model let through that the handler cannot take?",
                        request=report.failures[0], expected="a 4xx for bad input", got="500")


q3 = Exercise(
    "ch08.q3", "Fuzz-proof the bill splitter", _test_split_bill,
    hint="The handler divides by people and looks the currency up in SYMBOLS. "
         "Field(ge=1) and Literal['EUR', 'USD', 'GBP'] turn both crashes into 422s.",
)
