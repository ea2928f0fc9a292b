"""Request ids: a well-formed X-Request-ID kept, anything else replaced; echoed; seen by sync code in worker threads."""

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from course_lib.web.request_ids import (
    RequestIdMiddleware,
    current_request,
    current_request_id,
    note_user,
    request_context,
    request_id_for,
    well_formed,
)


@pytest.mark.parametrize("sent", ["abc-123", "0", "-", "a" * 64, "req_1.2:3", "550e8400-e29b-41d4-a716-446655440000"])
def test_a_well_formed_id_is_kept(sent):
    assert well_formed(sent) and request_id_for(sent) == sent


@pytest.mark.parametrize(
    "sent", [None, "", "a" * 65, "has space", "two\nlines", 'q"uote', "café", "٣", "a;b", "x\r\ny", "tab\t"]
)
def test_anything_else_gets_a_new_well_formed_id(sent):
    new = request_id_for(sent)
    assert new != sent and well_formed(new) and len(new) == 32


def test_new_ids_differ():
    assert len({request_id_for(None) for _ in range(1000)}) == 1000


def app_seeing_the_id() -> FastAPI:
    app = FastAPI()

    def seen_in_a_dependency() -> str | None:  # a plain def: FastAPI runs it in a worker thread
        note_user(7)
        return current_request_id()

    @app.get("/seen")
    def seen(in_dependency: str | None = Depends(seen_in_a_dependency)) -> dict:
        return {"endpoint": current_request_id(), "dependency": in_dependency}

    app.add_middleware(RequestIdMiddleware)
    return app


def test_the_id_is_echoed_and_seen_by_sync_dependencies_and_endpoints():
    with TestClient(app_seeing_the_id()) as client:
        kept = client.get("/seen", headers={"X-Request-ID": "ticket-1"})
        assert kept.headers["x-request-id"] == "ticket-1"
        assert kept.json() == {"endpoint": "ticket-1", "dependency": "ticket-1"}
        replaced = client.get("/seen", headers={"X-Request-ID": "bad id"})
        assert replaced.headers["x-request-id"] != "bad id" and well_formed(replaced.headers["x-request-id"])
        assert replaced.json()["endpoint"] == replaced.headers["x-request-id"]
        assert client.get("/nowhere").headers["x-request-id"]  # a 404 has one too
    assert current_request() is None and current_request_id() is None  # nothing leaks out of the request


def test_one_echoed_header_even_when_the_app_sets_its_own():
    app = FastAPI()

    @app.get("/")
    def root():
        from fastapi.responses import JSONResponse

        return JSONResponse({}, headers={"X-Request-ID": "from-the-app"})

    app.add_middleware(RequestIdMiddleware)
    with TestClient(app) as client:
        answer = client.get("/", headers={"X-Request-ID": "mine"})
    assert answer.headers.get_list("x-request-id") == ["mine"]


def test_a_job_runs_in_the_context_of_the_request_that_enqueued_it():
    meta = {"request_id": "ticket-9"}  # what the request stored with the job
    with request_context(meta.get("request_id"), user_id=3):
        assert current_request_id() == "ticket-9" and current_request().user_id == 3
    assert current_request_id() is None
    with request_context("bad id\n"):
        assert current_request_id() != "bad id\n" and well_formed(current_request_id())
