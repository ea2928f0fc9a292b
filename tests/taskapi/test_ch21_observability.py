"""Chapter 21: every request gets an id (kept or new) echoed and in its log line with the user id; the access log holds
no secret; /metrics is for admins and counts by route template; one request is one trace through the database and
the cache; sampling at the door leaves untraced requests without spans."""

import json
import logging
import time

import pytest

from course_lib.services.settings import Settings
from course_lib.taskapi import app_for
from course_lib.taskapi.api_keys import sign_up
from course_lib.web.metrics import UNMATCHED
from course_lib.web.request_ids import current_request_id, well_formed
from tests.taskapi.conftest import chapters_from


def app_of(api):
    return api.server.config.app


def make_admin(api, user_id: int) -> None:
    with app_of(api).context.storage.unit_of_work() as uow:
        uow.users.set_role(user_id, "admin")
        uow.commit()


@pytest.mark.parametrize("chapter", chapters_from(21))
def test_a_request_id_is_kept_or_made_echoed_and_on_its_log_line_with_the_user(api_at, chapter):
    api = api_at(chapter)
    auth = sign_up(api, "Ada")
    url = api.post("/tasks", json={"title": "draft"}, headers=auth).headers["location"]
    kept = api.get(url, headers={**auth, "X-Request-ID": "ticket-4711"})
    assert kept.status_code == 200 and kept.headers["x-request-id"] == "ticket-4711"
    (line,) = app_of(api).context.request_log.for_request("ticket-4711")
    assert line["route"] == "/tasks/{task_id}" and line["status"] == 200 and line["method"] == "GET"
    assert isinstance(line["user_id"], int)
    for bad in ("a" * 65, "has space", 'q"uote', "café".encode()):
        answer = api.get(url, headers={**auth, "X-Request-ID": bad})
        assert answer.headers["x-request-id"] not in (bad, "caf\u00c3\u00a9") and well_formed(
            answer.headers["x-request-id"]
        )
    missing = api.get("/tasks/999999", headers=auth)
    assert missing.status_code == 404 and well_formed(missing.headers["x-request-id"])
    (line,) = app_of(api).context.request_log.for_request(missing.headers["x-request-id"])
    assert line["status"] == 404


@pytest.mark.parametrize("chapter", chapters_from(21))
def test_no_credential_or_body_reaches_the_log(api_at, chapter):
    api = api_at(chapter)
    auth = sign_up(api, "Ada")
    api.post("/tokens", json={"email": "ada@example.org", "password": "violet harbor lantern 42"})
    api.post("/tasks?secret=shh", json={"title": "private title"}, headers=auth)
    text = json.dumps(app_of(api).context.request_log.lines())
    for secret in (auth["X-API-Key"], "violet harbor lantern 42", "private title", "shh", "ada@example.org"):
        assert secret not in text


@pytest.mark.parametrize("chapter", chapters_from(21))
def test_metrics_are_for_admins_and_labelled_by_route_template(api_at, chapter):
    api = api_at(chapter)
    ada, bob = sign_up(api, "Ada"), sign_up(api, "Bob")
    make_admin(api, 1)
    for n in range(10):
        api.get(f"/tasks/{500 + n}", headers=ada)
        api.get(f"/no/such/{n}", headers=ada)
    api.client.auth = None  # the anonymous request must stay anonymous
    assert api.get("/metrics").status_code == 401
    assert api.get("/metrics", headers=bob).status_code == 403
    answer = api.get("/metrics", headers=ada)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    assert 'http_requests_total{method="GET",route="/tasks/{task_id}",status="404"} 10.0' in answer.text
    assert f'http_requests_total{{method="GET",route="{UNMATCHED}",status="404"}} 10.0' in answer.text
    assert "/tasks/500" not in answer.text and "/no/such" not in answer.text
    assert 'http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/tasks/{task_id}"} 10.0' in answer.text


@pytest.mark.parametrize("chapter", chapters_from(21))
def test_one_request_is_one_trace_through_the_database_and_the_cache(api_at, chapter):
    api = api_at(chapter)
    auth = sign_up(api, "Ada")
    url = api.post("/tasks", json={"title": "draft"}, headers=auth).headers["location"]
    tracing = app_of(api).context.tracing
    tracing.exporter.clear()
    api.get(url, headers={**auth, "X-Request-ID": "one-trace"})
    spans = tracing.trace_of("one-trace")  # waits: the server span ends just after the answer
    server = next(span for span in spans if span.kind.name == "SERVER")
    assert server.name == "GET /tasks/{task_id}" and server.attributes["http.response.status_code"] == 200
    assert any(span.attributes.get("db.system") for span in spans)  # a SQL statement
    assert any(span.attributes.get("db.system") == "redis" or "redis" in str(span.attributes) for span in spans)
    line = app_of(api).context.request_log.for_request("one-trace")[0]
    assert line["trace_id"] == format(server.context.trace_id, "032x")


def test_requests_left_out_by_sampling_leave_no_span():
    app = app_for(21, Settings(trace_sample_rate=0.0))
    from course_lib.notebook.server import serve

    api = serve(app, name="test-ch21-unsampled")
    try:
        at_start = app.context.tracing.spans()  # work outside requests (chapter 17 makes its job tables) is traced
        auth = sign_up(api, "Ada")
        url = api.post("/tasks", json={"title": "draft"}, headers=auth).headers["location"]
        for _ in range(5):
            assert api.get(url, headers=auth).status_code == 200
        assert app.context.tracing.spans() == at_start
        assert len(app.context.request_log.lines()) == 7  # logs and metrics still see every request
    finally:
        api.stop()


class RequestIdsAtEmit(logging.Handler):
    """The request id current where each record is emitted (in the job's thread, for a job's record)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.getMessage(), current_request_id()))


@pytest.mark.parametrize("chapter", chapters_from(21))
def test_a_job_carries_the_id_of_the_request_that_asked_for_it(api_at, chapter):
    api = api_at(chapter)
    auth = sign_up(api, "Ada")
    api.post("/tasks", json={"title": "remind me"}, headers=auth).raise_for_status()
    handler, logger = RequestIdsAtEmit(), logging.getLogger("course_lib.taskapi.reminders")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        accepted = api.post("/reminders", headers={**auth, "X-Request-ID": "ticket-0815"})
        assert accepted.status_code == 202 and accepted.headers["x-request-id"] == "ticket-0815"
        job = app_of(api).context.jobs.fetch(accepted.json()["id"])
        assert job is not None and job.meta["request_id"] == "ticket-0815"
        if app_of(api).context.settings.job_worker != "thread":
            return  # an rq worker process logs where this test cannot listen: the id in the meta is what it reads
        deadline = time.monotonic() + 60
        while not handler.seen and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        logger.removeHandler(handler)
    assert handler.seen and handler.seen[0][1] == "ticket-0815", handler.seen
