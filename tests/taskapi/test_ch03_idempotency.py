import base64
import json
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

import httpx
import pytest
import redis

from course_lib.lab.lossy import LoseResponses, new_key, post_with_retries
from course_lib.notebook.server import serve
from course_lib.services.cache_aside import FAIL_FAST
from course_lib.services.db import isolated_database
from course_lib.services.settings import Settings
from course_lib.taskapi import app_for
from course_lib.taskapi.api_keys import sign_up
from course_lib.taskapi.storage import MemoryStorage
from tests.taskapi.conftest import chapters_from, public_task_chapters
from tests.taskapi.test_ch02_rest import new_task, writer_headers

WAIT = 10  # seconds: a bound on waits for events that should happen at once, never a sleep
PASSWORD = "violet harbor lantern 42"
BOOKKEEPING = {"updated_at"}  # when the server last wrote a task; not part of the state a client sets


def all_tasks(api, headers: dict[str, str] | None = None) -> list[dict]:
    params = {"limit": 100} if "limit" in api.get("/openapi.json").text else None
    body = api.get("/tasks", params=params, headers=headers).json()
    return body["items"] if isinstance(body, dict) else body


def state(task: dict) -> dict:
    return {name: value for name, value in task.items() if name not in BOOKKEEPING}


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": f'"{value}"'}


@pytest.mark.parametrize("chapter", chapters_from(3))
def test_safe_methods_change_nothing(api_at, chapter):
    api = api_at(chapter)
    task = new_task(api, "untouched", writer_headers(api))
    before = all_tasks(api)
    for method in ("GET", "HEAD", "OPTIONS"):
        for path in ("/tasks", f"/tasks/{task['id']}", "/tasks/999"):
            api.request(method, path)
    assert all_tasks(api) == before


@pytest.mark.parametrize("chapter", chapters_from(3))
def test_a_keyed_body_nested_past_the_parsers_depth_is_a_400_not_a_500(api_at, chapter):
    """The key's fingerprint parses the body: RecursionError there must mean 'compare the bytes', as for non-JSON."""
    api = api_at(chapter)
    deep = b"[" * 1100 + b"]" * 1100
    headers = {**writer_headers(api), "Idempotency-Key": new_key(), "content-type": "application/json"}
    assert api.post("/tasks", content=deep, headers=headers).status_code == 400


@pytest.mark.parametrize("chapter", chapters_from(3))
def test_put_and_delete_repeated_give_the_same_end_state(api_at, chapter):
    api = api_at(chapter)
    headers = writer_headers(api)
    task = new_task(api, "draft", headers)
    body = {"title": "final", "done": True}
    once = api.put(f"/tasks/{task['id']}", json=body, headers=headers)
    twice = api.put(f"/tasks/{task['id']}", json=body, headers=headers)
    assert once.status_code == twice.status_code == 200 and state(once.json()) == state(twice.json())
    after_put = [state(t) for t in all_tasks(api)]
    assert api.delete(f"/tasks/{task['id']}", headers=headers).status_code == 204
    after_one_delete = all_tasks(api)
    assert api.delete(f"/tasks/{task['id']}", headers=headers).status_code == 404
    assert all_tasks(api) == after_one_delete == [] and len(after_put) == 1


@pytest.mark.parametrize("chapter", chapters_from(3))
def test_post_repeated_duplicates(api_at, chapter):
    api = api_at(chapter)
    headers = writer_headers(api)
    first, second = new_task(api, "buy milk", headers), new_task(api, "buy milk", headers)
    assert first["id"] != second["id"] and len(all_tasks(api)) == 2


@pytest.mark.parametrize("chapter", chapters_from(3))
def test_idempotency_key_replays_and_rejects_reuse(api_at, chapter):
    api = api_at(chapter)
    headers = {**writer_headers(api), **key("same")}
    first = api.post("/tasks", json={"title": "once"}, headers=headers)
    retry = api.post("/tasks", json={"title": "once"}, headers=headers)
    assert first.status_code == retry.status_code == 201 and retry.content == first.content
    assert retry.headers["location"] == first.headers["location"] and retry.headers["idempotent-replayed"] == "true"
    assert api.post("/tasks", json={"title": "other"}, headers=headers).status_code == 422
    assert len(all_tasks(api)) == 1


@pytest.mark.parametrize("chapter", public_task_chapters(3))
def test_lost_response_retried_duplicates_without_a_key_not_with_one(api_at, chapter):
    api = api_at(chapter)
    headers = writer_headers(api)
    for idempotency_key, expected in ((None, 2), (new_key(), 1)):
        with httpx.Client(base_url=api.url, headers=headers, transport=LoseResponses(lost=1)) as client:
            response, seen = post_with_retries(client, "/tasks", {"title": f"retried {expected}"}, idempotency_key)
        assert response.status_code == 201 and seen[0].startswith("lost")
        assert sum(t["title"] == f"retried {expected}" for t in all_tasks(api)) == expected


class GatedTasks:
    """A task repository whose add() waits at a gate, so a request can be caught in flight inside its route."""

    def __init__(self, inner, entered: threading.Event, release: threading.Event) -> None:
        self.inner, self.entered, self.release = inner, entered, release

    def add(self, *args, **kwargs):
        self.entered.set()
        assert self.release.wait(WAIT)
        return self.inner.add(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


class GatedStorage:
    """The app's storage, whose units of work for requests add tasks through a gate."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.entered, self.release = threading.Event(), threading.Event()

    @asynccontextmanager
    async def request_unit_of_work(self):
        async with self.inner.request_unit_of_work() as uow:
            uow.tasks = GatedTasks(uow.tasks, self.entered, self.release)
            yield uow

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.mark.parametrize("chapter", chapters_from(3))
def test_a_retry_while_in_flight_gets_409(chapter):
    app = app_for(chapter)
    api = serve(app, name=f"test-ch{chapter:02d}")
    headers = {**writer_headers(api), **key("slow")}
    one_at_a_time = isinstance(app.context.storage, MemoryStorage)
    gated = app.context.storage = GatedStorage(app.context.storage)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(httpx.post, f"{api.url}/tasks", json={"title": "slow"}, headers=headers, timeout=WAIT)
        assert gated.entered.wait(WAIT)
        retry = pool.submit(httpx.post, f"{api.url}/tasks", json={"title": "slow"}, headers=headers, timeout=WAIT)
        if not one_at_a_time:
            busy = retry.result()  # answered while the first is still held at the gate
        gated.release.set()
        assert first.result().status_code == 201
        if one_at_a_time:
            # The in-memory storage of chapters 01-05 runs one unit of work at a time, and finding who calls (the
            # key's scope) needs one: the retry waits for the first request, then gets its stored answer.
            busy = retry.result()
    if one_at_a_time:
        assert busy.status_code == 201 and busy.headers["idempotent-replayed"] == "true"
    else:
        assert busy.status_code == 409
    assert api.post("/tasks", json={"title": "slow"}, headers=headers).headers["idempotent-replayed"] == "true"
    assert sum(task["title"] == "slow" for task in all_tasks(api, headers)) == 1


@pytest.mark.parametrize("chapter", public_task_chapters(3))
def test_twenty_concurrent_identical_posts_with_one_key_create_one_task(api_at, chapter):
    api = api_at(chapter)
    headers = {**writer_headers(api), **key("twenty")}

    def post(_):
        with httpx.Client(base_url=api.url, timeout=WAIT) as client:
            return client.post("/tasks", json={"title": "exactly once"}, headers=headers).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(post, range(20)))
    assert set(statuses) <= {201, 409} and 201 in statuses
    assert sum(t["title"] == "exactly once" for t in all_tasks(api)) == 1


def test_put_replaces_the_whole_task_and_404s_on_unknown_ids(api_at):
    api = api_at(3)
    task = new_task(api, "a", {})
    replaced = api.put(f"/tasks/{task['id']}", json={"title": "b"})
    assert {k: replaced.json()[k] for k in ("id", "title", "done", "description")} == {
        "id": task["id"],
        "title": "b",
        "done": False,
        "description": "",
    }
    assert api.put("/tasks/99", json={"title": "b"}).status_code == 404
    assert api.put(f"/tasks/{task['id']}", json={"done": True}).status_code == 422


def test_idempotency_keys_are_forgotten_when_the_server_stops():
    app = app_for(3)
    api = serve(app, name="test-forget")
    api.post("/tasks", json={"title": "x"}, headers=key("k"))
    store = app.context.idempotency
    assert list(store.redis.scan_iter(match=f"{store.prefix}*"))
    api.stop()
    assert not list(store.redis.scan_iter(match=f"{store.prefix}*"))


@pytest.mark.parametrize("chapter", chapters_from(5))
def test_two_users_behind_one_address_have_their_own_keys(api_at, chapter):
    """Every request here comes from 127.0.0.1, as every client does behind a proxy: the user scopes the key."""
    api = api_at(chapter)
    ada, bob = sign_up(api, "Ada"), sign_up(api, "Bob")
    first = api.post("/tasks", json={"title": "order"}, headers={**ada, **key("order-42")})
    other = api.post("/tasks", json={"title": "order"}, headers={**bob, **key("order-42")})
    assert (first.status_code, other.status_code) == (201, 201) and "idempotent-replayed" not in other.headers
    assert other.json()["id"] != first.json()["id"]
    retry = api.post("/tasks", json={"title": "order"}, headers={**ada, **key("order-42")})
    assert retry.headers["idempotent-replayed"] == "true" and retry.json()["id"] == first.json()["id"]


@pytest.mark.parametrize("chapter", chapters_from(15))
def test_the_key_belongs_to_the_user_whichever_credential_carries_it(api_at, chapter):
    api = api_at(chapter)
    ada = sign_up(api, "Ada")
    token = api.post("/tokens", json={"email": "ada@example.org", "password": PASSWORD}).json()["access_token"]
    first = api.post("/tasks", json={"title": "once"}, headers={**ada, **key("k")})
    retry = api.post("/tasks", json={"title": "once"}, headers={"Authorization": f"Bearer {token}", **key("k")})
    assert retry.headers["idempotent-replayed"] == "true" and retry.json()["id"] == first.json()["id"]
    forged = api.post("/tasks", json={"title": "once"}, headers={"Authorization": "Bearer not.a.token", **key("k")})
    assert forged.status_code == 401, forged.text


@pytest.fixture
def shared_settings(tmp_path):
    """Settings of replicas on one database: a SQLite file, or a schema of DATABASE_URL's PostgreSQL."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        yield Settings(database_url=f"sqlite:///{tmp_path / 'shared.db'}", isolate_database=False)
        return
    database = isolated_database()
    url = database.engine.url.update_query_dict({"options": f"-c search_path={database.schema}"})
    yield Settings(database_url=url.render_as_string(hide_password=False), isolate_database=False)
    database.drop()


@pytest.mark.parametrize("chapter", chapters_from(6))
def test_one_key_on_two_replicas_and_after_a_restart_creates_one_task(shared_settings, chapter):
    replicas = [serve(app_for(chapter, shared_settings), name=f"replica-{n}") for n in (1, 2)]
    headers = {**sign_up(replicas[0], "Ada"), **key("one-task")}
    first = replicas[0].post("/tasks", json={"title": "once"}, headers=headers)
    other = replicas[1].post("/tasks", json={"title": "once"}, headers=headers)
    assert first.status_code == 201 and other.headers["idempotent-replayed"] == "true"
    for replica in replicas:
        replica.stop()
    restarted = serve(app_for(chapter, shared_settings), name="replica-restarted")
    again = restarted.post("/tasks", json={"title": "once"}, headers=headers)
    assert again.headers["idempotent-replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert [task["title"] for task in all_tasks(restarted, headers)].count("once") == 1
    restarted.stop()


@pytest.mark.parametrize("chapter", chapters_from(3))
def test_redis_down_is_503_with_retry_after_at_once_and_nothing_runs(chapter):
    app = app_for(chapter)
    api = serve(app, name=f"test-ch{chapter:02d}")
    headers = writer_headers(api)
    store, working = app.context.idempotency, app.context.idempotency.redis
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers: a stopped redis-server
        store.redis = redis.Redis(host="127.0.0.1", port=silent.getsockname()[1], **FAIL_FAST)
        started = time.perf_counter()
        down = api.post("/tasks", json={"title": "later"}, headers={**headers, **key("down")})
        elapsed = time.perf_counter() - started
    store.redis = working
    assert down.status_code == 503 and int(down.headers["retry-after"]) > 0, down.text
    assert down.headers["content-type"] == "application/problem+json"
    assert elapsed < 3, f"{elapsed:.2f} s"
    assert not any(task["title"] == "later" for task in all_tasks(api, headers))


@pytest.mark.parametrize("chapter", chapters_from(3))
def test_a_refusal_is_not_kept_so_the_corrected_retry_runs(api_at, chapter):
    api = api_at(chapter)
    headers = {**writer_headers(api), **key("corrected")}
    refused = api.post("/tasks", json={"title": "fixed"}, headers={**headers, "Accept": "application/xml"})
    invalid = api.post("/tasks", json={"description": "no title"}, headers=headers)
    corrected = api.post("/tasks", json={"title": "fixed"}, headers=headers)
    assert (refused.status_code, invalid.status_code, corrected.status_code) == (406, 422, 201)
    assert "idempotent-replayed" not in corrected.headers
    assert api.post("/tasks", json={"title": "fixed"}, headers=headers).headers["idempotent-replayed"] == "true"


class FailsAfterCommit:
    """The app's storage, whose request units of work raise right after their commit: a 500 after the effect."""

    def __init__(self, inner) -> None:
        self.inner = inner

    @asynccontextmanager
    async def request_unit_of_work(self):
        async with self.inner.request_unit_of_work() as uow:
            commit = uow.commit

            def commit_then_fail():
                commit()
                raise RuntimeError("the connection broke after the commit")

            uow.commit = commit_then_fail
            yield uow

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.mark.parametrize("chapter", chapters_from(3))
def test_a_500_after_the_commit_is_replayed_never_run_again(chapter):
    app = app_for(chapter)
    api = serve(app, name=f"test-ch{chapter:02d}")
    headers = writer_headers(api)
    working, app.context.storage = app.context.storage, FailsAfterCommit(app.context.storage)
    first = api.post("/tasks", json={"title": "committed"}, headers={**headers, **key("after-commit")})
    retry = api.post("/tasks", json={"title": "committed"}, headers={**headers, **key("after-commit")})
    app.context.storage = working
    assert first.status_code == retry.status_code == 500 and retry.headers["idempotent-replayed"] == "true"
    assert [task["title"] for task in all_tasks(api, headers)].count("committed") == 1


@pytest.mark.parametrize("chapter", chapters_from(9))
def test_a_session_cookie_names_the_same_user_as_the_api_key(chapter):
    api = serve(app_for(chapter, Settings(session_cookie_secure=False)), name=f"test-cookie-{chapter}")
    ada = sign_up(api, "Ada")
    first = api.post("/tasks", json={"title": "once"}, headers={**ada, **key("by-cookie")})
    login = api.post("/session", json={"email": "ada@example.org", "password": PASSWORD})  # the jar keeps the cookie
    csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
    forged = api.post("/tasks", json={"title": "once"}, headers={"Origin": "https://evil.example", **key("by-cookie")})
    retry = api.post("/tasks", json={"title": "once"}, headers={**csrf, **key("by-cookie")})
    assert forged.status_code == 403 and "idempotent-replayed" not in forged.headers
    assert retry.headers["idempotent-replayed"] == "true" and retry.json()["id"] == first.json()["id"]
    api.stop()


@pytest.mark.parametrize("chapter", chapters_from(5))
def test_an_answer_with_a_secret_is_never_stored_nor_replayed_and_never_run_again(api_at, chapter):
    """POST /users answers the new user's API key once: a retry with the key and the body (anyone who has them) must
    not read it again, and the store must not keep it; the user is not created twice either."""
    api = api_at(chapter)
    signup = {"name": "Ada", "email": "ada@example.org", "password": PASSWORD}
    first = api.post("/users", json=signup, headers=key("signup-1"))
    assert first.status_code == 201 and first.json()["api_key"]
    retry = api.post("/users", json=signup, headers=key("signup-1"))
    assert retry.status_code == 409 and retry.headers["content-type"] == "application/problem+json"
    assert first.json()["api_key"] not in retry.text and retry.json()["type"].endswith("answer-not-kept")
    assert retry.headers.get("location") == first.headers.get("location")
    store = api.server.config.app.context.idempotency
    records = [json.loads(store.redis.get(name)) for name in store.redis.scan_iter(match=f"{store.prefix}*")]
    bodies = [base64.b64decode(record["response"]["body"]) for record in records]
    assert len(bodies) == 1 and first.json()["api_key"].encode() not in bodies[0]


@pytest.mark.parametrize("chapter", chapters_from(3))
def test_two_idempotency_key_lines_that_differ_are_400_and_nothing_runs(api_at, chapter):
    api = api_at(chapter)
    auth = writer_headers(api)
    two = [*auth.items(), ("Idempotency-Key", '"one"'), ("Idempotency-Key", '"two"')]
    refused = api.post("/tasks", json={"title": "which key?"}, headers=two)
    assert refused.status_code == 400 and refused.headers["content-type"] == "application/problem+json"
    assert "different values" in refused.json()["detail"] and all_tasks(api, auth) == []
    same = [*auth.items(), ("Idempotency-Key", '"one"'), ("Idempotency-Key", '"one"')]
    assert api.post("/tasks", json={"title": "once"}, headers=same).status_code == 201  # one key, said twice
