"""Chapter 07: strict input models, UTC timestamps with Z, passwords stored as hashes and never shown."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from course_lib.notebook.server import serve
from course_lib.taskapi import app_for
from course_lib.taskapi.schemas_strict import TaskPublic, UserCreate, to_wire
from course_lib.web.digests import digest
from course_lib.web.passwords import verify_password
from tests.taskapi.conftest import chapters_from, public_task_chapters

PASSWORD = "violet harbor lantern 42"


@pytest.fixture
def live():
    """A served app at a chapter, with the app itself (to look at what the server stores)."""

    def start(chapter: int):
        app = app_for(chapter)
        return app, serve(app, name=f"test-ch{chapter:02d}")

    return start


def sign_up(api, name="Ada", password=PASSWORD):
    created = api.post("/users", json={"name": name, "email": f"{name.lower()}@example.org", "password": password})
    assert created.status_code == 201, created.text
    return created, {"X-API-Key": created.json()["api_key"]}


def is_utc_z(value: str) -> bool:
    return value.endswith("Z") and datetime.fromisoformat(value).utcoffset() == timedelta(0)


@pytest.mark.parametrize("chapter", public_task_chapters(7))
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/tasks", {"title": "mine", "owner_id": 2}),
        ("POST", "/tasks", {"title": "mine", "id": 99}),
        ("PUT", "/tasks/1", {"title": "mine", "created_at": "2000-01-01T00:00:00Z"}),
        ("PATCH", "/tasks/1", {"done": True, "owner_id": 2}),
        ("POST", "/users/1/tasks", {"title": "mine", "priority": "high"}),
    ],
)
def test_unknown_fields_are_422_and_change_nothing(live, chapter, method, path, body):
    _, api = live(chapter)
    _, auth = sign_up(api)
    task = api.post("/tasks", json={"title": "original"}, headers=auth).json()
    response = api.request(method, path, json=body, headers=auth)
    assert response.status_code == 422
    assert api.get(f"/tasks/{task['id']}").json() == task


@pytest.mark.parametrize("chapter", chapters_from(7))
def test_a_client_cannot_make_itself_admin(live, chapter):
    _, api = live(chapter)
    sneaky = {"name": "Eve", "email": "eve@example.org", "password": PASSWORD, "role": "admin"}
    assert api.post("/users", json=sneaky).status_code == 422
    _, auth = sign_up(api)
    assert [(user["name"], user["role"]) for user in api.get("/users", headers=auth).json()] == [("Ada", "member")]


@pytest.mark.parametrize("chapter", chapters_from(7))
def test_sign_up_needs_a_password_of_8_characters_or_more(live, chapter):
    _, api = live(chapter)
    assert api.post("/users", json={"name": "Ada", "email": "ada@example.org"}).status_code == 422
    assert api.post("/users", json={"name": "Ada", "email": "ada@example.org", "password": "short"}).status_code == 422


@pytest.mark.parametrize("chapter", public_task_chapters(7))
def test_timestamps_are_utc_iso_8601_with_z(live, chapter):
    _, api = live(chapter)
    created, auth = sign_up(api)
    task = api.post("/tasks", json={"title": "t"}, headers=auth).json()
    assert is_utc_z(created.json()["created_at"])
    assert is_utc_z(task["created_at"]) and is_utc_z(task["updated_at"])
    listed = api.get("/tasks").json()
    items = listed["items"] if isinstance(listed, dict) else listed
    assert all(is_utc_z(item["created_at"]) for item in items)
    assert is_utc_z(api.get("/users/1", headers=auth).json()["created_at"])


@pytest.mark.parametrize("chapter", chapters_from(7))
def test_password_hash_and_key_digest_never_leave_the_server(live, chapter):
    app, api = live(chapter)
    created, auth = sign_up(api)
    user_id = created.json()["id"]
    api.post("/tasks", json={"title": "t"}, headers=auth)
    stored = app.context.storage.users.get(user_id).password_hash
    assert stored.startswith("$argon2id$") and verify_password(PASSWORD, stored)
    responses = [
        created,
        api.get("/users"),
        api.get(f"/users/{user_id}"),
        api.get(f"/users/{user_id}/tasks"),
        api.get("/tasks"),
        api.get("/tasks/1"),
        api.get("/openapi.json"),
        api.post("/users", json={"name": "Bob", "email": "bob@example.org", "password": "hunter2"}),
    ]
    secrets = [PASSWORD, "hunter2", stored, "$argon2", "password_hash", digest(auth["X-API-Key"])]
    for response in responses:
        leaked = [secret for secret in secrets if secret in response.text]
        assert not leaked, f"{response.request.method} {response.request.url.path} leaks {leaked}"


@pytest.mark.parametrize("chapter", chapters_from(7))
def test_openapi_says_input_models_forbid_extra_fields(live, chapter):
    _, api = live(chapter)
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    for name in ("TaskCreate", "TaskReplace", "TaskUpdate", "UserCreate"):
        assert schemas[name]["additionalProperties"] is False
    assert schemas["UserCreate"]["properties"]["password"]["writeOnly"] is True
    assert set(schemas["UserPublic"]["properties"]) == {"id", "name", "email", "role", "created_at"}


def test_to_wire_converts_to_utc_and_takes_naive_as_utc():
    assert to_wire(datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))) == "2026-01-01T10:00:00Z"
    assert to_wire(datetime(2026, 1, 1, 12)) == "2026-01-01T12:00:00Z"
    assert to_wire(datetime(2026, 1, 1, 12, 0, 0, 5, tzinfo=UTC)) == "2026-01-01T12:00:00.000005Z"


def test_public_task_model_serializes_any_offset_as_z():
    moment = datetime(2026, 1, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    task = TaskPublic(
        id=1, title="t", description="", done=False, owner_id=None, created_at=moment, updated_at=datetime(2026, 1, 2)
    )
    assert json.loads(task.model_dump_json())["created_at"] == "2026-01-02T04:30:00Z"


def test_the_password_never_shows_in_a_repr_or_a_dump():
    body = UserCreate(name="Ada", email="ada@example.org", password=PASSWORD)
    assert PASSWORD not in repr(body) and PASSWORD not in body.model_dump_json()
    assert body.password.get_secret_value() == PASSWORD
