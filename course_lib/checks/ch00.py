"""Checks for chapter 00 — what a backend is."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from course_lib.notebook.exercises import Exercise, Incorrect, NotAttempted, describe, expect_equal, expect_status
from course_lib.notebook.server import serving

EXAMPLE_URL = "http://127.0.0.1:8000/tasks?done=true"
URL_PARTS = {"scheme": "http", "host": "127.0.0.1", "port": 8000, "path": "/tasks", "query": "done=true"}


def _test_url_parts(answer: dict) -> None:
    if not isinstance(answer, dict):
        raise Incorrect(
            "`url_parts` should be a dict with the keys scheme, host, port, path and query.",
            expected="a dict",
            got=type(answer).__name__,
        )
    if all(value is None for value in answer.values()):
        raise NotAttempted
    for part, expected in URL_PARTS.items():
        if part not in answer:
            raise Incorrect(f"`url_parts` has no {part!r} key.", expected=sorted(URL_PARTS), got=sorted(answer))
        expect_equal(answer[part], expected, f"the {part} of {EXAMPLE_URL} is not {answer[part]!r}.")


q1 = Exercise(
    "ch00.q1",
    "Take a URL apart",
    _test_url_parts,
    hint="scheme://host:port/path?query — the port is a number, the query has no '?'.",
)


def _test_health_response(answer: httpx.Response) -> None:
    if not isinstance(answer, httpx.Response):
        raise Incorrect(
            "`health_response` should be what `api.get(...)` returns: an httpx.Response.",
            expected="httpx.Response",
            got=type(answer).__name__,
        )
    expect_equal(describe(answer), "GET /health", "that response answers another request.", request=describe(answer))
    expect_status(answer, 200)
    expect_equal(
        answer.json(), {"status": "ok"}, "the body of GET /health is not the expected JSON.", request=describe(answer)
    )


q2 = Exercise(
    "ch00.q2",
    "Send your first request",
    _test_health_response,
    hint="The server object has a client: `api.get(path)` sends GET to that path and returns the response.",
)


VERSIONS = ("1.2.3", "0.10.0-beta")  # two apps: a version typed into the route cannot answer both


def _test_version_route(add_version_route) -> None:
    host = FastAPI()
    for index, version in enumerate(VERSIONS):
        app = FastAPI(title="check", version=version)
        add_version_route(app)
        host.mount(f"/app{index}", app)
    with serving(host) as server:
        responses = [server.get(f"/app{index}/version") for index in range(len(VERSIONS))]
    for version, response in zip(VERSIONS, responses, strict=True):
        request = f"GET /version (app version {version})"
        if response.status_code != 200:
            raise Incorrect(
                f"GET /version answered {response.status_code}: is the route registered with "
                "@app.get('/version') inside your function?",
                request=request,
                expected=200,
                got=response.status_code,
            )
        expect_equal(
            _json(response),
            {"version": version},
            "GET /version should return the app's own version (app.version) as JSON.",
            request=request,
        )


def _json(response) -> object:
    try:
        return response.json()
    except ValueError:
        return response.text


q3 = Exercise(
    "ch00.q3",
    "Add a /version endpoint",
    _test_version_route,
    hint="Inside the function, decorate a new function with @app.get('/version') and return a dict.",
)
