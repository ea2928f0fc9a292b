"""Checks for chapter 01 — network and HTTP."""

from __future__ import annotations

import json

from fastapi import FastAPI, Request

from course_lib.lab.rawhttp import send_raw, split_response
from course_lib.notebook.exercises import Exercise, Incorrect, NotAttempted, expect_equal
from course_lib.notebook.server import serving

# (host, path): the server's own address first, then another host and a path with a query, so neither can be typed in
RAW_CASES = [(None, "/health"), ("tasks.example:8080", "/notes/7?sort=title")]


def _echo_app() -> FastAPI:
    app = FastAPI()

    @app.get("/{path:path}")
    def echo(path: str, request: Request) -> dict:
        query = request.scope["query_string"].decode("latin-1")
        return {
            "target": request.scope["raw_path"].decode("latin-1") + (f"?{query}" if query else ""),
            "host": request.headers.get("host"),
        }

    return app


def _head_fields(data: bytes) -> dict[str, list[str]]:
    """The header fields of a request head, by lower-case name; Incorrect when a line is not `Name: value`."""
    fields: dict[str, list[str]] = {}
    for line in data[:-4].split(b"\r\n")[1:]:
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon or not name or name != name.strip():
            raise Incorrect(
                "each header line is `Name: value`, with no space before the colon.",
                request=repr(data),
                expected="Name: value",
                got=line,
            )
        fields.setdefault(name.lower(), []).append(value.strip())
    return fields


def _test_build_request(build_request) -> None:
    with serving(_echo_app()) as server:
        for host, path in RAW_CASES:
            host = host or f"127.0.0.1:{server.port}"
            _check_raw(build_request(host, path), host, path, server.port)


def _check_raw(data: bytes, host: str, path: str, port: int) -> None:
    call = f"build_request({host!r}, {path!r})"
    if not isinstance(data, bytes):
        raise Incorrect(
            "build_request should return bytes (b'...' or text.encode()).",
            request=call,
            expected="bytes",
            got=type(data).__name__,
        )
    request_line = data.split(b"\r\n", 1)[0]
    expect_equal(
        request_line,
        f"GET {path} HTTP/1.1".encode(),
        "the first line should be the method, the path (with its query) and the version, separated by "
        "single spaces and ended by \\r\\n.",
        request=call,
    )
    if not data.endswith(b"\r\n\r\n") or b"\r\n\r\n" in data[:-4]:
        raise Incorrect(
            "the head of a request ends with one empty line: finish with \\r\\n\\r\\n, and nothing after.",
            request=call,
            expected=b"...\r\n\r\n",
            got=data[-4:],
        )
    fields = _head_fields(data)
    expect_equal(
        fields.get("host"), [host], "HTTP/1.1 needs exactly one Host header naming the host it was given.", request=call
    )
    connection = [token.strip().lower() for value in fields.get("connection", []) for token in value.split(",")]
    if "close" not in connection:
        raise Incorrect(
            "without `Connection: close` an HTTP/1.1 server keeps the connection open for a next request, "
            "so a client that reads until the socket closes waits until the server gives up. "
            "Add the header: the server then closes the socket right after answering.",
            request=call,
            expected="Connection: close",
            got=", ".join(fields.get("connection", [])) or None,
        )
    status_line, _, body = split_response(send_raw("127.0.0.1", port, data))
    expect_equal(status_line, "HTTP/1.1 200 OK", "the server did not answer 200 to your bytes.", request=repr(data))
    try:
        echoed = json.loads(body)
    except ValueError:
        echoed = body
    expect_equal(
        echoed,
        {"target": path, "host": host},
        "the server read another target or Host from your bytes.",
        request=repr(data),
    )


q1 = Exercise(
    "ch01.q1",
    "Write an HTTP request by hand",
    _test_build_request,
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
        raise Incorrect(
            "`status_for` should be a dict from each situation to a status code.",
            expected="dict",
            got=type(answer).__name__,
        )
    if all(value is None for value in answer.values()):
        raise NotAttempted
    for situation, expected in SITUATION_STATUS.items():
        got = answer.get(situation)
        if got is None:
            raise Incorrect(f"no status code for {situation!r} yet.", expected=expected, got=None)
        if got != expected:
            raise Incorrect(f"wrong status for {situation!r}.", expected=expected, got=got)


q2 = Exercise(
    "ch01.q2",
    "Pick the status code",
    _test_status_codes,
    hint="2xx success, 4xx the client must change the request, 5xx the server failed. "
    "401 = who are you?, 403 = I know you, but no.",
)


NOTES = {1: "buy milk", 2: "call Ada", 3: "", 4: "water the plants"}  # an empty note is a note too
DELETIONS = [(2, 204), (2, 404), (99, 404), (3, 204), (1, 204)]  # ids vary; a second delete finds nothing


def _test_delete_note(add_delete_note) -> None:
    app = FastAPI()
    notes = dict(NOTES)
    add_delete_note(app, notes)
    remaining = dict(NOTES)
    with serving(app) as server:
        for note_id, expected in DELETIONS:
            response = server.delete(f"/notes/{note_id}")
            request = f"DELETE /notes/{note_id}"
            if expected == 204:
                why = f"note {note_id} exists ({NOTES[note_id]!r}): delete it and answer 204 No Content."
            else:
                why = f"there is no note {note_id}{' any more' if note_id in NOTES else ''}, so the answer is 404."
            if response.status_code != expected:
                raise Incorrect(why, request=request, expected=expected, got=response.status_code)
            if expected == 204:
                expect_equal(response.content, b"", "a 204 response has no body.", request=request)
            remaining.pop(note_id, None)
            expect_equal(
                notes, remaining, f"after {request} `notes` should hold exactly the notes not deleted.", request=request
            )


q3 = Exercise(
    "ch01.q3",
    "DELETE with the right codes",
    _test_delete_note,
    hint="Use @app.delete('/notes/{note_id}', status_code=204); raise HTTPException(404) when the id is missing; "
    "return Response(status_code=204).",
)
