"""Each checker against its stub, its solution and known-wrong answers."""

from fastapi import Header, HTTPException, Response
from fastapi.responses import JSONResponse

from course_lib.checks.ch02 import CONSTRAINT_FOR, q1, q2, q3
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.web.negotiation import negotiate, to_csv


def test_q1_constraints():
    assert q1.evaluate(dict.fromkeys(CONSTRAINT_FOR)).status == NOT_ATTEMPTED
    assert q1.evaluate(dict(CONSTRAINT_FOR)).status == CORRECT
    swapped = {**CONSTRAINT_FOR, "a reverse proxy answers for the API and the client cannot tell": "cacheable"}
    result = q1.evaluate(swapped)
    assert result.status == INCORRECT and result.expected == "layered system" and result.got == "cacheable"
    made_up = q1.evaluate({**CONSTRAINT_FOR, "the server sends a script that the browser runs": "javascript"})
    assert made_up.status == INCORRECT and "not one of the six" in made_up.message


def test_q2_negotiation():
    def stub(accept, offered):
        raise NotImplementedError

    def first_match_ignoring_q(accept, offered):
        for part in (accept or "*/*").split(","):
            media_range = part.split(";")[0].strip()
            for media_type in offered:
                if media_range in (media_type, "*/*", media_type.split("/")[0] + "/*"):
                    return media_type
        return None

    def always_json(accept, offered):
        return "application/json"

    assert q2.evaluate(stub).status == NOT_ATTEMPTED
    assert q2.evaluate(negotiate).status == CORRECT
    ignoring_q = q2.evaluate(first_match_ignoring_q)
    assert ignoring_q.status == INCORRECT and ignoring_q.expected == "application/json"
    assert ignoring_q.request == "GET /tasks with Accept: text/csv;q=0.5, application/json;q=0.9"
    assert q2.evaluate(always_json).status == INCORRECT


def _solution(app, notes):
    @app.get("/notes")
    def list_notes(accept: str | None = Header(default=None)):
        chosen = negotiate(accept, ["application/json", "text/csv"])
        if chosen is None:
            raise HTTPException(406)
        headers = {"Cache-Control": "max-age=60", "Vary": "Accept"}
        if chosen == "text/csv":
            return Response(to_csv(notes), media_type="text/csv", headers=headers)
        return JSONResponse(notes, headers=headers)


def test_q3_notes_route():
    def stub(app, notes):
        raise NotImplementedError

    def json_only(app, notes):
        @app.get("/notes")
        def list_notes():
            return JSONResponse(notes, headers={"Cache-Control": "max-age=60", "Vary": "Accept"})

    def csv_but_no_406(app, notes):
        @app.get("/notes")
        def list_notes(accept: str | None = Header(default=None)):
            headers = {"Cache-Control": "max-age=60", "Vary": "Accept"}
            if accept == "text/csv":
                return Response(to_csv(notes), media_type="text/csv", headers=headers)
            return JSONResponse(notes, headers=headers)

    def no_cache_headers(app, notes):
        @app.get("/notes")
        def list_notes(accept: str | None = Header(default=None)):
            chosen = negotiate(accept, ["application/json", "text/csv"])
            if chosen is None:
                raise HTTPException(406)
            if chosen == "text/csv":
                return Response(to_csv(notes), media_type="text/csv")
            return notes

    assert q3.evaluate(stub).status == NOT_ATTEMPTED
    assert q3.evaluate(_solution).status == CORRECT
    wrong = q3.evaluate(json_only)
    assert wrong.status == INCORRECT and wrong.request == "GET /notes (Accept: text/csv)"
    assert wrong.got == "application/json"
    no_406 = q3.evaluate(csv_but_no_406)
    assert no_406.status == INCORRECT and no_406.expected == 406 and no_406.got == 200
    uncached = q3.evaluate(no_cache_headers)
    assert uncached.status == INCORRECT and uncached.expected == "cache-control: max-age=60"
