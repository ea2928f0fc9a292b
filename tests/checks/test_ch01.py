"""Each checker against its stub, its solution and known-wrong answers."""

import time

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
    assert missing_host.status == INCORRECT and "Host" in missing_host.message
    assert q1.evaluate(bare_newlines).status == INCORRECT
    assert q1.evaluate(text_not_bytes).status == INCORRECT


def test_q1_valid_spellings_of_the_head_are_correct():
    def terse(host, path):
        return f"GET {path} HTTP/1.1\r\nhost:{host}\r\nconnection: Keep-Alive, Close\r\n\r\n".encode()

    assert q1.evaluate(terse).status == CORRECT


def test_q1_a_connection_left_open_is_incorrect_at_once():
    def keep_alive(host, path):
        return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()

    started = time.monotonic()
    result = q1.evaluate(keep_alive)
    assert result.status == INCORRECT and result.expected == "Connection: close"
    assert "Connection: close" in result.message
    assert time.monotonic() - started < 2  # refused from the bytes, not after the server's keep-alive timeout


def test_q1_a_typed_in_path_or_host_is_incorrect():
    def health_only(host, path):
        return f"GET /health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()

    def local_host_only(host, path):
        return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()

    wrong_path = q1.evaluate(health_only)
    assert wrong_path.status == INCORRECT
    assert wrong_path.request == "build_request('tasks.example:8080', '/notes/7?sort=title')"
    assert q1.evaluate(local_host_only).status == INCORRECT


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

    def falsy_means_missing(app, notes):
        @app.delete("/notes/{note_id}", status_code=204)
        def delete_note(note_id: int):
            if not notes.pop(note_id, None):
                raise HTTPException(404)

    def first_id_only(app, notes):
        @app.delete("/notes/{note_id}", status_code=204)
        def delete_note(note_id: int):
            if notes.pop(2, None) is None:
                raise HTTPException(404)

    def crashes_when_missing(app, notes):
        @app.delete("/notes/{note_id}", status_code=204)
        def delete_note(note_id: int):
            del notes[note_id]

    assert q3.evaluate(stub).status == NOT_ATTEMPTED
    assert q3.evaluate(solution).status == CORRECT
    wrong = q3.evaluate(always_200)
    assert wrong.status == INCORRECT and wrong.request == "DELETE /notes/2" and wrong.got == 200
    assert q3.evaluate(never_deletes).status == INCORRECT
    empty_note = q3.evaluate(falsy_means_missing)
    assert empty_note.status == INCORRECT and empty_note.request == "DELETE /notes/3" and empty_note.got == 404
    fixed = q3.evaluate(first_id_only)
    assert fixed.status == INCORRECT and fixed.request == "DELETE /notes/3"
    crashed = q3.evaluate(crashes_when_missing)
    assert crashed.status == INCORRECT and crashed.request == "DELETE /notes/2" and crashed.got == 500
    assert "Your route raised KeyError: 2 (line" in repr(crashed) and "`del notes[note_id]`" in repr(crashed)
