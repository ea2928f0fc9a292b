"""Chapter 17: POST /reminders → 202 + Location of a job; GET /jobs/{id} with status, progress and result; another
user's job and an unknown id the same 404; an expired job's owner told so; a retried job sends nothing twice; the
job timeout enforced in a worker thread; the worker stops with the server (no thread or process left)."""

import threading
import time

import pytest
from rq import Retry

from course_lib.notebook.server import serve
from course_lib.services.settings import Settings, get_settings
from course_lib.taskapi import app_for
from course_lib.taskapi.api_keys import sign_up
from course_lib.taskapi.reminders import outbox, send_reminders
from tests.taskapi.conftest import chapters_from
from tests.taskapi.jobs_for_tests import crash, spin

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def follow(api, location: str, headers: dict, deadline_s: float = 60.0) -> list[dict]:
    """Every distinct state of a job until it ends (bounded)."""
    seen, deadline = [], time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        answer = api.get(location, headers=headers)
        assert answer.status_code == 200, answer.text
        if not seen or answer.json() != seen[-1]:
            seen.append(answer.json())
        if seen[-1]["status"] in ("finished", "failed"):
            return seen
        time.sleep(0.02)
    raise AssertionError(f"the job did not end within {deadline_s} s: {seen[-1:]}")


@pytest.fixture
def jobs_api():
    """A live API at a chapter (its settings optional), and a user with `tasks` open tasks: (api, headers, id)."""
    started = []

    def start(chapter: int, settings: Settings | None = None):
        api = serve(app_for(chapter, settings), name=f"test-jobs-{chapter}-{len(started)}")
        started.append(api)
        return api

    yield start
    for api in started:
        api.stop()


def user_with_tasks(api, name: str, tasks: int) -> tuple[dict, int]:
    headers = sign_up(api, name)
    for n in range(tasks):
        api.post("/tasks", json={"title": f"{name} {n}"}, headers=headers).raise_for_status()
    user_id = api.post("/tasks", json={"title": "done one"}, headers=headers).json()["owner_id"]
    return headers, user_id


@pytest.mark.parametrize("chapter", chapters_from(17))
def test_post_is_202_with_the_location_of_a_job_that_reports_progress_and_its_result(jobs_api, chapter):
    api = jobs_api(chapter, Settings(mail_latency=0.02))
    ada, _ = user_with_tasks(api, "Ada", 5)
    answer = api.post("/reminders", headers=ada)
    assert answer.status_code == 202
    location = answer.headers["location"]
    assert location == f"/jobs/{answer.json()['id']}" and answer.json()["status"] == "queued"
    states = follow(api, location, ada)
    assert states[-1]["status"] == "finished", states[-1]
    assert states[-1]["progress"] == {"done": 6, "total": 6}
    assert states[-1]["result"] == {"sent": 6, "already_sent": 0, "tasks": 6}
    assert any(s["status"] == "started" and 0 < s["progress"]["done"] < 6 for s in states if s["progress"]), states
    engine = api.server.config.app.context.storage.database.engine
    assert sorted(mail["subject"] for mail in outbox(engine)) == sorted(
        [f"Reminder: Ada {n}" for n in range(5)] + ["Reminder: done one"]
    )


@pytest.mark.parametrize("chapter", chapters_from(17))
def test_another_users_job_and_an_unknown_id_get_the_same_404(jobs_api, chapter):
    api = jobs_api(chapter)
    ada, _ = user_with_tasks(api, "Ada", 1)
    bob, _ = user_with_tasks(api, "Bob", 0)
    job_id = api.post("/reminders", headers=ada).json()["id"]
    theirs, unknown = api.get(f"/jobs/{job_id}", headers=bob), api.get(f"/jobs/{UNKNOWN}", headers=bob)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.headers["content-type"] == unknown.headers["content-type"] == "application/problem+json"

    def shape(answer, asked: str) -> dict:
        body = {k: v for k, v in answer.json().items() if k != "instance"}  # instance: one per error, by design
        return {**body, "detail": body["detail"].replace(asked, "<id>")}

    assert shape(theirs, job_id) == shape(unknown, UNKNOWN)
    assert follow(api, f"/jobs/{job_id}", ada)[-1]["status"] == "finished"  # the owner still sees it
    assert api.get(f"/jobs/{job_id}", headers={"X-API-Key": "nobody"}).status_code == 401
    assert api.get("/jobs/not-a-uuid", headers=ada).status_code == 422
    assert api.post("/reminders").status_code == 401


@pytest.mark.parametrize("chapter", chapters_from(17))
def test_an_expired_jobs_owner_hears_expired_and_everyone_else_the_plain_404(jobs_api, chapter):
    api = jobs_api(chapter, Settings(job_result_ttl=1))
    ada, _ = user_with_tasks(api, "Ada", 0)
    bob, _ = user_with_tasks(api, "Bob", 0)
    location = api.post("/reminders", headers=ada).headers["location"]
    deadline = time.monotonic() + 30
    while (answer := api.get(location, headers=ada)).status_code == 200:
        assert time.monotonic() < deadline, answer.json()
        time.sleep(0.05)
    assert answer.status_code == 404 and answer.json()["type"] == "/problems/job-expired", answer.json()
    assert answer.json()["title"] == "Job record expired"  # a title of its type (RFC 9457 §3.1.3)
    assert "expired" in answer.json()["detail"]
    other = api.get(location, headers=bob)
    assert other.status_code == 404 and other.json()["type"] == "about:blank"


def test_a_retried_job_sends_each_email_once(jobs_api):
    api = jobs_api(17)
    ada, ada_id = user_with_tasks(api, "Ada", 9)
    app = api.server.config.app
    job = app.context.jobs.enqueue(send_reminders, ada_id, 0.0, fail_after=4, owner_id=ada_id, retry=Retry(max=2))
    final = follow(api, f"/jobs/{job.id}", ada)[-1]
    assert final["status"] == "finished" and final["result"] == {"sent": 6, "already_sent": 4, "tasks": 10}
    mails = [mail["task_id"] for mail in outbox(app.context.storage.database.engine) if mail["job_id"] == job.id]
    assert sorted(mails) == sorted(set(mails)) and len(mails) == 10


def test_without_retries_the_failure_is_reported_without_its_internals(jobs_api):
    api = jobs_api(17)
    ada, ada_id = user_with_tasks(api, "Ada", 0)
    job = api.server.config.app.context.jobs.enqueue(crash, owner_id=ada_id)
    final = follow(api, f"/jobs/{job.id}", ada)[-1]
    assert final["status"] == "failed" and final["error"] == "failed" and final["result"] is None
    assert "hunter2" not in api.get(f"/jobs/{job.id}", headers=ada).text


def test_the_job_timeout_stops_a_job_in_a_worker_thread(jobs_api):
    if get_settings().job_worker != "thread":
        pytest.skip("the worker is a process here (REDIS_URL): RQ's own SIGALRM timeout, tested by RQ")
    api = jobs_api(17, Settings(job_timeout=1))
    ada, ada_id = user_with_tasks(api, "Ada", 0)
    started = time.monotonic()
    job = api.server.config.app.context.jobs.enqueue(spin, 30, owner_id=ada_id)
    final = follow(api, f"/jobs/{job.id}", ada)[-1]
    assert final["status"] == "failed" and final["error"] == "timed out"
    assert time.monotonic() - started < 15


def test_a_stopped_server_leaves_no_worker_behind():
    before = set(threading.enumerate())
    app = app_for(17)
    api = serve(app, name="test-jobs-stop")
    worker = app.context.jobs.worker
    assert worker.running
    api.stop()
    assert not worker.running
    assert {thread for thread in threading.enumerate() if thread.name.startswith("rq-")} - before == set()
    assert not list(app.context.jobs.redis.scan_iter(match=f"jobs:{app.context.jobs.name}:*"))


def test_with_redis_down_the_app_starts_and_job_routes_answer_503_with_retry_after(jobs_api):
    api = jobs_api(17, Settings(redis_url="redis://127.0.0.1:1/0", worker="external"))  # nothing listens on port 1
    ada = sign_up(api, "Ada")
    for answer in (api.post("/reminders", headers=ada), api.get(f"/jobs/{UNKNOWN}", headers=ada)):
        assert answer.status_code == 503 and answer.headers["retry-after"] == "5", answer.text
        assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("chapter", chapters_from(17))
def test_post_reminders_takes_no_body_or_an_empty_object_and_refuses_any_member_with_422(jobs_api, chapter):
    api = jobs_api(chapter)
    ada, _ = user_with_tasks(api, "Ada", 0)
    assert api.post("/reminders", json={}, headers=ada).status_code == 202
    for body in ({"user_id": 2}, [1], "all", 7):
        refused = api.post("/reminders", json=body, headers=ada)
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json", body


@pytest.mark.parametrize("chapter", chapters_from(20))
def test_each_user_may_ask_for_reminders_reminder_limit_times_then_429_with_retry_after(jobs_api, chapter):
    api = jobs_api(chapter, Settings(reminder_limit="2/hour"))
    ada, _ = user_with_tasks(api, "Ada", 0)
    bob, _ = user_with_tasks(api, "Bob", 0)
    assert [api.post("/reminders", headers=ada).status_code for _ in range(3)] == [202, 202, 429]
    refused = api.post("/reminders", headers=ada)
    assert refused.headers["content-type"] == "application/problem+json" and refused.json()["policy"] == "reminders"
    assert 1 <= int(refused.headers["retry-after"]) <= 3600 and "reminders" in refused.headers["ratelimit-policy"]
    assert api.post("/reminders", headers=bob).status_code == 202  # per user: Bob has his own count
