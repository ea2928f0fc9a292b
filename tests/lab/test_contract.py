"""The contract runner: cases in order, remembered values, expected vs actual."""

import pytest
from fastapi import FastAPI, Header, HTTPException, Response

from course_lib.lab.contract import Case, MissingValue, contract_table, failures, outcome_rows, run_contract
from course_lib.notebook.server import serve


@pytest.fixture
def notes_api():
    app = FastAPI()
    notes: dict[int, str] = {}

    @app.post("/notes", status_code=201)
    def create(body: dict, response: Response, x_api_key: str | None = Header(default=None)) -> dict:
        if x_api_key != "secret":
            raise HTTPException(401, headers={"WWW-Authenticate": "ApiKey"})
        notes[len(notes) + 1] = body["text"]
        response.headers["Location"] = f"/notes/{len(notes)}"
        return {"id": len(notes), "key": "secret"}

    @app.get("/notes/{note_id}")
    def read(note_id: int) -> dict:
        if note_id not in notes:
            raise HTTPException(404)
        return {"text": notes[note_id]}

    return serve(app, name="test-contract")


def test_cases_run_in_order_and_pass_remembered_values(notes_api):
    cases = [
        Case("no key", "POST", "/notes", 401, json={"text": "a"}, must_have=("www-authenticate",)),
        Case(
            "create",
            "POST",
            "/notes",
            201,
            json={"text": "a"},
            headers={"X-API-Key": "secret"},
            must_have=("location",),
            save={"note": "id", "key": "key"},
        ),
        Case("read it", "GET", "/notes/{note}", 200),
        Case("create with the saved key", "POST", "/notes", 201, json={"text": "b"}, key="key"),
        Case("missing", "GET", "/notes/99", 404),
    ]
    saved = {}
    outcomes = run_contract(notes_api, cases, saved)
    assert [o.got for o in outcomes] == [401, 201, 200, 201, 404] and failures(outcomes) == []
    assert outcomes[2].request == "GET /notes/1" and saved == {"note": 1, "key": "secret"}


def test_a_wrong_status_or_a_missing_header_is_a_failure(notes_api, capsys):
    cases = [
        Case("expects 200", "GET", "/notes/5", 200),
        Case("expects a header", "POST", "/notes", 401, json={"text": "a"}, must_have=("retry-after",)),
    ]
    outcomes = run_contract(notes_api, cases)
    assert [o.ok for o in outcomes] == [False, False] and outcomes[1].missing == ("retry-after",)
    rows = outcome_rows(outcomes)
    assert rows[0] == {"#": 1, "case": "expects 200", "request": "GET /notes/5", "expected": 200, "got": 404, "ok": "✘"}
    assert rows[1]["ok"] == "✘ missing retry-after"
    contract_table(outcomes)
    assert "expected  got" in capsys.readouterr().out


def test_a_value_nobody_saved_is_named(notes_api):
    with pytest.raises(MissingValue, match="no earlier case saved 'note'"):
        run_contract(notes_api, [Case("read", "GET", "/notes/{note}", 200)])
