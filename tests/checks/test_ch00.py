"""Each checker against its stub, its solution and known-wrong answers."""

import httpx
import pytest

from course_lib.checks.ch00 import q1, q2, q3
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.notebook.server import serve
from course_lib.taskapi import ch00_health

SOLVED_PARTS = {"scheme": "http", "host": "127.0.0.1", "port": 8000, "path": "/tasks", "query": "done=true"}


def test_q1_url_parts():
    assert q1.evaluate(dict.fromkeys(SOLVED_PARTS)).status == NOT_ATTEMPTED
    assert q1.evaluate(SOLVED_PARTS).status == CORRECT
    wrong = q1.evaluate({**SOLVED_PARTS, "port": "8000"})
    assert wrong.status == INCORRECT and "port" in wrong.message
    assert q1.evaluate({**SOLVED_PARTS, "query": "?done=true"}).status == INCORRECT
    assert q1.evaluate(["not", "a", "dict"]).status == INCORRECT


@pytest.fixture
def api():
    return serve(ch00_health.create_app())


def test_q2_health_response(api):
    assert q2.evaluate(None).status == NOT_ATTEMPTED
    assert q2.evaluate(api.get("/health")).status == CORRECT
    wrong_path = q2.evaluate(api.get("/docs"))
    assert wrong_path.status == INCORRECT and wrong_path.request == "GET /docs"
    assert q2.evaluate(httpx.get(f"{api.url}/health").json()).status == INCORRECT


def test_q3_version_route():
    def stub(app):
        raise NotImplementedError

    def solution(app):
        @app.get("/version")
        def version():
            return {"version": app.version}

    def hard_coded(app):
        @app.get("/version")
        def version():
            return {"version": "0.1"}

    def wrong_path(app):
        @app.get("/versions")
        def version():
            return {"version": app.version}

    def version_of_the_first_app(app):
        @app.get("/version")
        def version():
            return {"version": "1.2.3"}

    assert q3.evaluate(stub).status == NOT_ATTEMPTED
    assert q3.evaluate(solution).status == CORRECT
    assert q3.evaluate(hard_coded).status == INCORRECT
    typed_in = q3.evaluate(version_of_the_first_app)
    assert typed_in.status == INCORRECT and typed_in.request == "GET /version (app version 0.10.0-beta)"
    missing = q3.evaluate(wrong_path)
    assert missing.status == INCORRECT and missing.got == 404
