"""Chapter 04: tasks and users as resources, full CRUD with honest codes, a sub-collection and an action route."""

import pytest

from course_lib.notebook.server import serve
from course_lib.taskapi import ch04_resources
from course_lib.taskapi.api_keys import sign_up
from course_lib.taskapi.storage import MemoryStorage
from tests.taskapi.conftest import chapters_from, public_task_chapters

TASK_FIELDS = {"id", "title", "description", "done", "owner_id", "created_at", "updated_at"}
USER_FIELDS = {"id", "name", "email", "role", "created_at"}


def items(response) -> list[dict]:
    """The tasks of a list response, whether a bare list or a page envelope."""
    body = response.json()
    return body["items"] if isinstance(body, dict) else body


@pytest.fixture
def api_with_writer(api_at):
    """A live API at a chapter and the headers of a signed-up writer (an API key from chapter 05 on)."""

    def start(chapter: int):
        api = api_at(chapter)
        return api, sign_up(api, "Ada")

    return start


@pytest.mark.parametrize("chapter", chapters_from(4))
def test_create_answers_201_with_location_of_the_new_task(api_with_writer, chapter):
    api, auth = api_with_writer(chapter)
    created = api.post("/tasks", json={"title": "write the chapter"}, headers=auth)
    assert created.status_code == 201
    task = created.json()
    assert set(task) == TASK_FIELDS and task["title"] == "write the chapter" and task["done"] is False
    assert created.headers["location"] == f"/tasks/{task['id']}"
    fetched = api.get(created.headers["location"])
    assert fetched.status_code == 200 and fetched.json() == task


@pytest.mark.parametrize("chapter", chapters_from(4))
def test_list_holds_every_created_task(api_with_writer, chapter):
    api, auth = api_with_writer(chapter)
    ids = {api.post("/tasks", json={"title": f"t{i}"}, headers=auth).json()["id"] for i in range(3)}
    listed = api.get("/tasks")
    assert listed.status_code == 200 and {task["id"] for task in items(listed)} == ids


@pytest.mark.parametrize("chapter", public_task_chapters(4))
def test_missing_task_is_404_and_a_bad_id_is_422(api_with_writer, chapter):
    api, auth = api_with_writer(chapter)
    assert api.get("/tasks/99").status_code == 404
    assert api.put("/tasks/99", json={"title": "x"}, headers=auth).status_code == 404
    assert api.patch("/tasks/99", json={"done": True}, headers=auth).status_code == 404
    assert api.delete("/tasks/99", headers=auth).status_code == 404
    assert api.post("/tasks/99/complete", headers=auth).status_code == 404
    assert api.get("/tasks/abc").status_code == 422


@pytest.mark.parametrize("chapter", chapters_from(4))
def test_put_replaces_the_whole_task(api_with_writer, chapter):
    api, auth = api_with_writer(chapter)
    task = api.post("/tasks", json={"title": "a", "description": "long", "done": True}, headers=auth).json()
    replaced = api.put(f"/tasks/{task['id']}", json={"title": "b"}, headers=auth)
    assert replaced.status_code == 200
    assert {k: replaced.json()[k] for k in ("id", "title", "description", "done")} == {
        "id": task["id"],
        "title": "b",
        "description": "",
        "done": False,
    }
    assert api.put(f"/tasks/{task['id']}", json={"description": "no title"}, headers=auth).status_code == 422


@pytest.mark.parametrize("chapter", chapters_from(4))
def test_patch_changes_only_the_fields_sent(api_with_writer, chapter):
    api, auth = api_with_writer(chapter)
    task = api.post("/tasks", json={"title": "a", "description": "keep me"}, headers=auth).json()
    patched = api.patch(f"/tasks/{task['id']}", json={"done": True}, headers=auth)
    assert patched.status_code == 200
    assert (patched.json()["title"], patched.json()["description"], patched.json()["done"]) == ("a", "keep me", True)
    assert api.patch(f"/tasks/{task['id']}", json={"title": None}, headers=auth).status_code == 422
    assert api.get(f"/tasks/{task['id']}").json()["title"] == "a"


@pytest.mark.parametrize("chapter", chapters_from(4))
def test_delete_is_204_without_a_body_then_404(api_with_writer, chapter):
    api, auth = api_with_writer(chapter)
    task = api.post("/tasks", json={"title": "a"}, headers=auth).json()
    deleted = api.delete(f"/tasks/{task['id']}", headers=auth)
    assert deleted.status_code == 204 and deleted.content == b""
    assert api.delete(f"/tasks/{task['id']}", headers=auth).status_code == 404
    assert api.get(f"/tasks/{task['id']}").status_code == 404


@pytest.mark.parametrize("chapter", chapters_from(4))
def test_complete_action_and_patch_done_reach_the_same_state(api_with_writer, chapter):
    api, auth = api_with_writer(chapter)
    first = api.post("/tasks", json={"title": "by action"}, headers=auth).json()
    second = api.post("/tasks", json={"title": "by patch"}, headers=auth).json()
    completed = api.post(f"/tasks/{first['id']}/complete", headers=auth)
    patched = api.patch(f"/tasks/{second['id']}", json={"done": True}, headers=auth)
    assert completed.status_code == patched.status_code == 200
    assert completed.json()["done"] is patched.json()["done"] is True
    again = api.post(f"/tasks/{first['id']}/complete", headers=auth)
    assert again.status_code == 200 and again.json()["done"] is True


@pytest.mark.parametrize("chapter", chapters_from(4))
@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/tasks", "GET, HEAD, POST, OPTIONS"),
        ("POST", "/tasks/1", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"),
        ("GET", "/tasks/1/complete", "POST, OPTIONS"),
        ("DELETE", "/users/1", "GET, HEAD, OPTIONS"),
    ],
)
def test_wrong_method_is_405_with_allow(api_at, chapter, method, path, allow):
    response = api_at(chapter).request(method, path)
    assert response.status_code == 405 and response.headers["allow"] == allow


@pytest.mark.parametrize("chapter", chapters_from(4))
def test_users_are_resources_and_a_taken_email_is_409(api_at, chapter):
    api = api_at(chapter)
    body = {"name": "Ada", "email": "ada@example.org", "password": "violet harbor lantern 42"}
    created = api.post("/users", json=body)
    assert created.status_code == 201
    user_id = created.json()["id"]
    assert created.headers["location"] == f"/users/{user_id}"
    fetched = api.get(f"/users/{user_id}")
    assert fetched.status_code == 200 and set(fetched.json()) == USER_FIELDS
    assert [user["id"] for user in api.get("/users").json()] == [user_id]
    assert api.post("/users", json={**body, "email": "ADA@example.org"}).status_code == 409
    assert api.get("/users/99").status_code == 404


@pytest.mark.parametrize("chapter", chapters_from(4))
def test_user_tasks_are_a_sub_collection(api_with_writer, chapter):
    api, auth = api_with_writer(chapter)
    ada = api.get("/users").json()[0]["id"]
    api.post("/tasks", json={"title": "someone else's"}, headers=sign_up(api, "Bob"))
    created = api.post(f"/users/{ada}/tasks", json={"title": "mine"}, headers=auth)
    assert created.status_code == 201 and created.json()["owner_id"] == ada
    assert created.headers["location"] == f"/tasks/{created.json()['id']}"  # canonical URL, not nested
    listed = api.get(f"/users/{ada}/tasks")
    assert listed.status_code == 200 and [task["title"] for task in items(listed)] == ["mine"]
    assert api.get("/users/99/tasks").status_code == 404
    assert api.post("/users/99/tasks", json={"title": "x"}, headers=auth).status_code == 404


def test_chapter_04_writes_need_no_credentials_and_tasks_from_post_have_no_owner():
    api = serve(ch04_resources.create_app(), name="test-ch04")
    created = api.post("/tasks", json={"title": "anyone may write"})
    assert created.status_code == 201 and created.json()["owner_id"] is None
    assert api.patch("/tasks/1", json={"done": True}).status_code == 200
    assert api.get("/tasks/7").json() == {"detail": "task 7 not found"}


def test_routes_reach_storage_only_through_the_unit_of_work():
    app = ch04_resources.create_app()
    api = serve(app, name="test-ch04")
    api.post("/tasks", json={"title": "in the first store"})
    app.context.storage = MemoryStorage()
    assert api.get("/tasks").json() == []
    assert api.post("/tasks", json={"title": "second"}).json()["id"] == 1


def test_two_apps_never_share_tasks():
    first = serve(ch04_resources.create_app(), name="test-a")
    second = serve(ch04_resources.create_app(), name="test-b")
    first.post("/tasks", json={"title": "only here"})
    assert second.get("/tasks").json() == []


def test_openapi_declares_the_public_models():
    spec = ch04_resources.create_app().openapi()
    ok = spec["paths"]["/tasks/{task_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/TaskPublic"}
    assert "password_hash" not in str(spec)
