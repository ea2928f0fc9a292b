"""Strict CORS: listed origins only, a foreign origin never echoed and never told about credentials, '*' refused."""

import pytest
from fastapi import FastAPI

from course_lib.notebook.server import serve
from course_lib.web.cors import StrictCORSMiddleware
from course_lib.web.problems import PROBLEM_JSON

FRONT = "https://app.example.org"
FOREIGN = "https://evil.example"


@pytest.fixture
def api():
    app = FastAPI()

    @app.get("/tasks")
    def tasks() -> list:
        return []

    app.add_middleware(StrictCORSMiddleware, allowed_origins=[FRONT])
    running = serve(app, name="test-cors")
    yield running
    running.stop()


def preflight(api, origin: str, method: str = "PATCH", headers: str = "authorization, if-match"):
    return api.client.options(
        "/tasks",
        headers={"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers},
    )


def test_a_listed_origins_preflight_is_answered_with_credentials(api):
    answer = preflight(api, FRONT)
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == FRONT
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert "PATCH" in answer.headers["access-control-allow-methods"]
    assert "If-Match" in answer.headers["access-control-allow-headers"]


@pytest.mark.parametrize(
    ("origin", "method", "headers"),
    [(FOREIGN, "PATCH", "authorization"), (FRONT + ".evil.example", "GET", "accept"), (FRONT, "TRACE", "accept"),
     (FRONT, "GET", "x-unknown")],
)  # fmt: skip
def test_a_refused_preflight_is_problem_json_without_any_cors_field(api, origin, method, headers):
    answer = preflight(api, origin, method, headers)
    assert answer.status_code == 400 and answer.headers["content-type"] == PROBLEM_JSON
    assert answer.json()["status"] == 400
    assert not [name for name in answer.headers if name.startswith("access-control-")]


def test_a_listed_origins_request_reads_the_answer_with_credentials(api):
    answer = api.get("/tasks", headers={"Origin": FRONT, "Cookie": "session=1"})
    assert answer.headers["access-control-allow-origin"] == FRONT
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert "ETag" in answer.headers["access-control-expose-headers"]
    assert "Origin" in answer.headers["vary"]


def test_a_foreign_origin_with_a_cookie_gets_no_echo_and_no_credentials_flag(api):
    answer = api.get("/tasks", headers={"Origin": FOREIGN, "Cookie": "session=1"})
    assert answer.status_code == 200  # the server answers; the browser keeps the answer from the page
    assert not [name for name in answer.headers if name.startswith("access-control-")]
    assert "Origin" in answer.headers["vary"]


def test_no_origin_no_cors_fields(api):
    assert not [name for name in api.get("/tasks").headers if name.startswith("access-control-")]


def test_a_wildcard_is_refused():
    with pytest.raises(ValueError, match="explicit origins"):
        StrictCORSMiddleware(FastAPI(), allowed_origins=["*"])
