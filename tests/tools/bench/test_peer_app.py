"""The peer app reads the finished API's rows and answers what it answers: the comparison in make bench is fair."""

import asyncio

import httpx
import pytest

from course_lib.services.settings import Settings
from course_lib.taskapi import latest
from tools.bench.peer_app import create_access_token, create_app

PASSWORD = "violet harbor lantern 42"


async def course_and_peer(url: str, key: str) -> dict:
    """Through the finished API: two users, tasks of the first; the answers of both apps to the same reads."""
    course = latest(Settings(database_url=url, isolate_database=False, redis_url=None))
    peer = create_app(url, key)
    seen: dict = {}
    async with course.running():
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=course), base_url="http://127.0.0.1") as api,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=peer), base_url="http://127.0.0.1") as other,
        ):
            users = [
                (
                    await api.post("/users", json={"name": name, "email": f"{name}@example.org", "password": PASSWORD})
                ).json()["id"]
                for name in ("ada", "bob")
            ]
            login = await api.post("/tokens", json={"email": "ada@example.org", "password": PASSWORD})
            bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
            ids = [
                (await api.post("/tasks", json={"title": f"task {n}"}, headers=bearer)).json()["id"] for n in range(5)
            ]
            tokens = {user: {"Authorization": f"Bearer {create_access_token(key, user)}"} for user in users}
            seen["course one"] = (await api.get(f"/tasks/{ids[2]}", headers=bearer)).json()
            seen["course page"] = (await api.get("/tasks?limit=3", headers=bearer)).json()
            seen["peer one"] = (await other.get(f"/tasks/{ids[2]}", headers=tokens[users[0]])).json()
            seen["peer page"] = (await other.get("/tasks?limit=3", headers=tokens[users[0]])).json()
            seen["peer, not the owner"] = await other.get(f"/tasks/{ids[2]}", headers=tokens[users[1]])
            seen["peer, not the owner's list"] = (await other.get("/tasks", headers=tokens[users[1]])).json()
            seen["peer, missing"] = await other.get(f"/tasks/{ids[-1] + 1}", headers=tokens[users[0]])
            seen["peer, no token"] = await other.get(f"/tasks/{ids[2]}")
            seen["peer, foreign key"] = await other.get(
                f"/tasks/{ids[2]}", headers={"Authorization": f"Bearer {create_access_token('k' * 32, users[0])}"}
            )
            seen["peer login"] = await other.post("/token", data={"username": "ada@example.org", "password": PASSWORD})
            seen["peer login, wrong password"] = await other.post(
                "/token", data={"username": "ada@example.org", "password": "not it at all"}
            )
    return seen


@pytest.fixture(scope="module")
def seen(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("peer") / "shared.db"
    return asyncio.run(course_and_peer(f"sqlite:///{path}", "peer-key-" + "x" * 32))


def test_the_owner_gets_the_same_task_json_from_both_apps(seen):
    assert seen["peer one"] == seen["course one"]
    assert seen["course one"]["title"] == "task 2" and seen["course one"]["created_at"].endswith("Z")


def test_a_list_page_is_the_same_tasks_in_the_same_order(seen):
    assert seen["peer page"] == seen["course page"]
    assert [task["title"] for task in seen["peer page"]] == ["task 4", "task 3", "task 2"]


def test_another_users_task_is_404_as_a_missing_one_and_their_list_is_empty(seen):
    assert seen["peer, not the owner"].status_code == 404
    assert seen["peer, not the owner"].json() == seen["peer, missing"].json()
    assert seen["peer, not the owner's list"] == []


def test_without_a_valid_token_the_peer_answers_401_with_a_bearer_challenge(seen):
    for case in ("peer, no token", "peer, foreign key"):
        assert seen[case].status_code == 401
        assert seen[case].headers["www-authenticate"] == "Bearer"


def test_the_peer_logs_in_against_the_argon2_hash_the_course_stored(seen):
    assert seen["peer login"].status_code == 200 and seen["peer login"].json()["token_type"] == "bearer"
    assert seen["peer login, wrong password"].status_code == 401
