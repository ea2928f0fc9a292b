"""Checks for chapter 01 — network and HTTP."""

from __future__ import annotations

from fastapi import FastAPI

from course_lib.lab.rawhttp import send_raw
from course_lib.notebook.exercises import Exercise, Incorrect, NotAttempted, expect_equal, expect_status
from course_lib.notebook.server import serving
from course_lib.taskapi import ch00_health


def _test_build_request(build_request) -> None:
    with serving(ch00_health.create_app()) as server:
        host = f"127.0.0.1:{server.port}"
        data = build_request(host, "/health")
        if not isinstance(data, bytes):
            raise Incorrect("build_request should return bytes (b'...' or text.encode()).",
                            expected="bytes", got=type(data).__name__)
        request_line = data.split(b"\r\n", 1)[0]
        expect_equal(request_line, b"GET /health HTTP/1.1",
                     "the first line should be the method, the path and the version, separated by single spaces "
                     "and ended by \\r\\n.", request=repr(data[:60]))
        if not data.endswith(b"\r\n\r\n"):
            raise Incorrect("the head of a request ends with an empty line: finish with \\r\\n\\r\\n.",
                            request=repr(data[-20:]), expected=b"...\r\n\r\n", got=data[-4:])
        answer = send_raw("127.0.0.1", server.port, data)
    status_line = answer.split(b"\r\n", 1)[0].decode("latin-1")
    expect_equal(status_line, "HTTP/1.1 200 OK",
                 "the server did not answer 200 to your bytes. HTTP/1.1 needs a Host header, and "
                 "'Connection: close' tells the server to close the socket after answering.",
                 request=repr(data))


q1 = Exercise(
    "ch01.q1", "Write an HTTP request by hand", _test_build_request,
    hint="Lines end with \\r\\n: the request line, 'Host: ...', 'Connection: close', then an empty line.",
)

SITUATION_STATUS = {
    "read a task that exists": 200,
    "created a new task": 201,
    "accepted work that runs later": 202,
    "deleted, nothing to send back": 204,
    "body is not valid JSON": 400,
    "no credentials sent": 401,
    "credentials valid, permission missing": 403,
    "no task with that id": 404,
    "room already booked": 409,
    "JSON valid, but a field breaks a rule": 422,
    "too many requests from this client": 429,
    "a bug in the server": 500,
}


def _test_status_codes(answer: dict) -> None:
    if not isinstance(answer, dict):
        raise Incorrect("`status_for` should be a dict from each situation to a status code.",
                        expected="dict", got=type(answer).__name__)
    if all(value is None for value in answer.values()):
        raise NotAttempted
    for situation, expected in SITUATION_STATUS.items():
        got = answer.get(situation)
        if got is None:
            raise Incorrect(f"no status code for {situation!r} yet.", expected=expected, got=None)
        if got != expected:
            raise Incorrect(f"wrong status for {situation!r}.", expected=expected, got=got)


q2 = Exercise(
    "ch01.q2", "Pick the status code", _test_status_codes,
    hint="2xx success, 4xx the client must change the request, 5xx the server failed. "
         "401 = who are you?, 403 = I know you, but no.",
)


def _test_delete_note(add_delete_note) -> None:
    app = FastAPI()
    notes = {1: "buy milk", 2: "call Ada"}
    add_delete_note(app, notes)
    with serving(app) as server:
        first = server.delete("/notes/1")
        again = server.delete("/notes/1")
        missing = server.delete("/notes/99")
    expect_status(first, 204, f"deleting an existing note should answer 204 No Content, got {first.status_code}.")
    expect_equal(first.content, b"", "a 204 response has no body.", request="DELETE /notes/1")
    expect_equal(sorted(notes), [2], "note 1 should be gone from `notes` after DELETE /notes/1.",
                 request="DELETE /notes/1")
    expect_status(again, 404, "deleting the same note again: it is gone, so the answer is 404.")
    expect_status(missing, 404)


q3 = Exercise(
    "ch01.q3", "DELETE with the right codes", _test_delete_note,
    hint="Use @app.delete('/notes/{note_id}', status_code=204); raise HTTPException(404) when the id is missing; "
         "return Response(status_code=204).",
)
