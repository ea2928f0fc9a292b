import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

import httpx
import pytest

from course_lib.lab.lossy import LoseResponses, new_key, post_with_retries
from course_lib.notebook.server import serve
from course_lib.taskapi import app_for
from tests.taskapi.conftest import chapters_from, public_task_chapters
from tests.taskapi.test_ch02_rest import new_task, writer_headers

WAIT = 10  # seconds: a bound on waits for events that should happen at once, never a sleep
BOOKKEEPING = {"updated_at"}  # when the server last wrote a task; not part of the state a client sets


def all_tasks(api) -> list[dict]:
    body = api.get("/tasks", params={"limit": 100} if "limit" in api.get("/openapi.json").text else None).json()
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
    gated = app.state.storage = GatedStorage(app.state.storage)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(httpx.post, f"{api.url}/tasks", json={"title": "slow"}, headers=headers, timeout=WAIT)
        assert gated.entered.wait(WAIT)
        busy = api.post("/tasks", json={"title": "slow"}, headers=headers)
        gated.release.set()
        assert first.result().status_code == 201
    assert busy.status_code == 409
    assert api.post("/tasks", json={"title": "slow"}, headers=headers).headers["idempotent-replayed"] == "true"


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
        "id": task["id"], "title": "b", "done": False, "description": ""}
    assert api.put("/tasks/99", json={"title": "b"}).status_code == 404
    assert api.put(f"/tasks/{task['id']}", json={"done": True}).status_code == 422


def test_idempotency_keys_are_forgotten_when_the_server_stops():
    app = app_for(3)
    api = serve(app, name="test-forget")
    api.post("/tasks", json={"title": "x"}, headers=key("k"))
    store = app.state.idempotency
    assert list(store.redis.scan_iter(match=f"{store.prefix}*"))
    api.stop()
    assert not list(store.redis.scan_iter(match=f"{store.prefix}*"))
