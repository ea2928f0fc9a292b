"""A contract collection: rows of request → expected status, run live against a server, shown as a table.

Like a Postman collection with tests, but in Python: each Case is one request and the status (and headers) it must
get. Cases run in order and may remember values from a response body (an id, an API key) for the cases after them,
written as {placeholders} in paths and header values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from course_lib.notebook.display import table

API_KEY_HEADER = "X-API-Key"


@dataclass(frozen=True)
class Case:
    """One row of the contract: a request, the status it must get, and what to remember from the answer."""

    name: str
    method: str
    path: str
    expect: int
    json: Any = None
    key: str | None = None  # the name of a remembered value to send as the X-API-Key header
    headers: dict[str, str] = field(default_factory=dict)
    must_have: tuple[str, ...] = ()  # response headers that must be present (Location on 201, Allow on 405 ...)
    save: dict[str, str] = field(default_factory=dict)  # remember body fields: {"ada_key": "api_key"}

    def request_line(self, saved: dict[str, Any]) -> str:
        return f"{self.method} {self.path.format_map(saved)}"


@dataclass(frozen=True)
class Outcome:
    """What one case got."""

    case: Case
    request: str
    got: int
    missing: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.got == self.case.expect and not self.missing


class MissingValue(KeyError):
    """A case refers to a value no earlier case remembered."""


class _Saved(dict):
    def __missing__(self, name: str):
        raise MissingValue(f"no earlier case saved {name!r}; add save={{'{name}': ...}} to the case that creates it")


def run_contract(client, cases: list[Case], saved: dict[str, Any] | None = None) -> list[Outcome]:
    """Send every case in order through `client` (a RunningServer or httpx.Client); return what each got."""
    memory = _Saved(saved or {})
    outcomes = []
    for case in cases:
        headers = {name: value.format_map(memory) for name, value in case.headers.items()}
        if case.key is not None:
            headers[API_KEY_HEADER] = str(memory[case.key])
        request = case.request_line(memory)
        options = {"headers": headers} | ({"json": case.json} if case.json is not None else {})
        response = client.request(case.method, case.path.format_map(memory), **options)
        missing = tuple(name for name in case.must_have if name not in response.headers)
        if case.save and response.headers.get("content-type", "").startswith("application/json"):
            body = response.json()
            for name, field_name in case.save.items():
                if isinstance(body, dict) and field_name in body:
                    memory[name] = body[field_name]
        outcomes.append(Outcome(case, request, response.status_code, missing))
    if saved is not None:
        saved.update(memory)
    return outcomes


def outcome_rows(outcomes: list[Outcome]) -> list[dict]:
    """One row per case: name, request, expected status, actual status, and ✓ or what is wrong."""
    rows = []
    for number, outcome in enumerate(outcomes, start=1):
        verdict = "✓" if outcome.ok else "✘" + (f" missing {', '.join(outcome.missing)}" if outcome.missing else "")
        rows.append(
            {
                "#": number,
                "case": outcome.case.name,
                "request": outcome.request,
                "expected": outcome.case.expect,
                "got": outcome.got,
                "ok": verdict,
            }
        )
    return rows


def contract_table(outcomes: list[Outcome]) -> None:
    """Print the outcomes as a table of expected vs actual."""
    table(outcome_rows(outcomes))


def failures(outcomes: list[Outcome]) -> list[Outcome]:
    """The outcomes that broke the contract."""
    return [outcome for outcome in outcomes if not outcome.ok]
