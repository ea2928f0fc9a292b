"""Each checker against its stub, its solution and known-wrong answers."""

from fastapi import HTTPException, Response

from course_lib.checks.ch01 import SITUATION_STATUS, q1, q2, q3
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED


def test_q1_raw_request():
    def stub(host, path):
        raise NotImplementedError

    def solution(host, path):
        return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()

    def no_host(host, path):
        return f"GET {path} HTTP/1.1\r\nConnection: close\r\n\r\n".encode()

    def bare_newlines(host, path):
        return f"GET {path} HTTP/1.1\nHost: {host}\n\n".encode()

    def text_not_bytes(host, path):
        return solution(host, path).decode()

    assert q1.evaluate(stub).status == NOT_ATTEMPTED
    assert q1.evaluate(solution).status == CORRECT
    missing_host = q1.evaluate(no_host)
    assert missing_host.status == INCORRECT and missing_host.got == "HTTP/1.1 400 Bad Request"
    assert q1.evaluate(bare_newlines).status == INCORRECT
    assert q1.evaluate(text_not_bytes).status == INCORRECT


def test_q2_status_codes():
    assert q2.evaluate(dict.fromkeys(SITUATION_STATUS)).status == NOT_ATTEMPTED
    assert q2.evaluate(dict(SITUATION_STATUS)).status == CORRECT
    swapped = {**SITUATION_STATUS, "no credentials sent": 403, "credentials valid, permission missing": 401}
    result = q2.evaluate(swapped)
    assert result.status == INCORRECT and result.expected == 401 and result.got == 403
    assert q2.evaluate({**SITUATION_STATUS, "a bug in the server": None}).status == INCORRECT


def test_q3_delete_note():
    def stub(app, notes):
        raise NotImplementedError

    def solution(app, notes):
        @app.delete("/notes/{note_id}", status_code=204)
        def delete_note(note_id: int):
            if notes.pop(note_id, None) is None:
                raise HTTPException(404)
            return Response(status_code=204)

    def always_200(app, notes):
        @app.delete("/notes/{note_id}")
        def delete_note(note_id: int):
            notes.pop(note_id, None)
            return {"deleted": note_id}

    def never_deletes(app, notes):
        @app.delete("/notes/{note_id}", status_code=204)
        def delete_note(note_id: int):
            if note_id not in notes:
                raise HTTPException(404)
            return Response(status_code=204)

    assert q3.evaluate(stub).status == NOT_ATTEMPTED
    assert q3.evaluate(solution).status == CORRECT
    wrong = q3.evaluate(always_200)
    assert wrong.status == INCORRECT and wrong.request == "DELETE /notes/1" and wrong.got == 200
    assert q3.evaluate(never_deletes).status == INCORRECT
