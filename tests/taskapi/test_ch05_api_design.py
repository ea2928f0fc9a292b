"""Chapter 05: authenticated writes, ownership, conflicts, and the contract that lists every failure mode."""

import pytest

from course_lib.lab.contract import failures, outcome_rows, run_contract
from course_lib.lab.task_contract import ADA, CONTRACT
from course_lib.taskapi import app_for, ch05_api_design
from course_lib.taskapi.api_keys import sign_up
from course_lib.web.openapi_responses import api_routes
from tests.taskapi.conftest import chapters_from, public_task_chapters

WRITES = [
    ("POST", "/tasks"),
    ("PUT", "/tasks/1"),
    ("PATCH", "/tasks/1"),
    ("DELETE", "/tasks/1"),
    ("POST", "/tasks/1/complete"),
    ("POST", "/users/1/tasks"),
]


@pytest.mark.parametrize("chapter", public_task_chapters(5))
def test_the_contract_holds(api_at, chapter):
    api = api_at(chapter)
    api.client.auth = None  # each case says which key it sends, or none
    outcomes = run_contract(api, CONTRACT)
    assert failures(outcomes) == [], outcome_rows(failures(outcomes))


@pytest.mark.parametrize("chapter", chapters_from(5))
def test_post_users_shows_the_key_once(api_at, chapter):
    api = api_at(chapter)
    created = api.post("/users", json=ADA)
    assert created.status_code == 201 and created.json()["api_key"]
    assert "api_key" not in api.get(created.headers["location"]).json()
    assert all("api_key" not in user for user in api.get("/users").json())


@pytest.mark.parametrize("chapter", chapters_from(5))
@pytest.mark.parametrize(("method", "path"), WRITES)
def test_every_write_needs_a_key(api_at, chapter, method, path):
    api = api_at(chapter)
    headers = sign_up(api, "Ada")
    api.post("/tasks", json={"title": "t"}, headers=headers)
    response = api.request(method, path, json={"title": "x"})
    assert response.status_code == 401 and 'ApiKey header="X-API-Key"' in response.headers["www-authenticate"]


@pytest.mark.parametrize("chapter", public_task_chapters(5))
@pytest.mark.parametrize(("method", "path"), WRITES[1:])
def test_only_the_owner_may_change_a_task(api_at, chapter, method, path):
    api = api_at(chapter)
    ada, bob = sign_up(api, "Ada"), sign_up(api, "Bob")
    api.post("/tasks", json={"title": "Ada's"}, headers=ada)
    assert api.request(method, path, json={"title": "x"}, headers=bob).status_code == 403
    assert api.get("/tasks/1").json()["title"] == "Ada's"


@pytest.mark.parametrize("chapter", chapters_from(5))
def test_reads_stay_public_and_tasks_belong_to_their_creator(api_at, chapter):
    api = api_at(chapter)
    ada = sign_up(api, "Ada")
    task = api.post("/tasks", json={"title": "mine"}, headers=ada).json()
    ada_id = api.get("/users").json()[0]["id"]
    assert task["owner_id"] == ada_id
    assert api.get(f"/tasks/{task['id']}").status_code == 200 and api.get(f"/users/{ada_id}/tasks").status_code == 200


@pytest.mark.parametrize("chapter", public_task_chapters(5))
def test_openapi_documents_the_key_and_the_failures(chapter):
    spec = app_for(chapter).openapi()
    schemes = spec["components"]["securitySchemes"]
    assert {"type": "apiKey", "in": "header", "name": "X-API-Key"}.items() <= next(iter(schemes.values())).items()
    patch = spec["paths"]["/tasks/{task_id}"]["patch"]
    assert patch["security"] and {"401", "403", "404", "422"} <= set(patch["responses"])
    assert "security" not in spec["paths"]["/tasks/{task_id}"]["get"]
    assert "409" in spec["paths"]["/users"]["post"]["responses"]


def test_failure_statuses_follow_the_dependencies():
    app = ch05_api_design.create_app()
    current_user = app.context.seams.current_user
    by_route = {
        (path, tuple(sorted(route.methods))): sorted(ch05_api_design.failure_statuses(path, route, current_user))
        for path, route in api_routes(app)
    }
    assert by_route[("/tasks", ("POST",))] == [400, 401, 403, 406]
    assert by_route[("/tasks/{task_id}", ("GET",))] == [404, 406]
    assert by_route[("/users", ("POST",))] == [400, 406, 409]
    assert by_route[("/users", ("GET",))] == [401, 403, 406]  # reading users needs a key


def make_admin(api, user_id: int) -> None:
    """What an operator does on the server (no route makes the first admin; chapter 15 adds /admin for the rest)."""
    with api.server.config.app.context.storage.unit_of_work() as uow:
        uow.users.set_role(user_id, "admin")
        uow.commit()


@pytest.mark.parametrize("chapter", chapters_from(5))
def test_reading_users_needs_a_key_and_shows_others_only_a_profile(api_at, chapter):
    api = api_at(chapter)
    api.client.auth = None  # nobody's key is added for us: each request below says who is asking
    ada, bob = sign_up(api, "Ada"), sign_up(api, "Bob")
    for path in ("/users", "/users/1", "/users/2", "/users/99"):
        anonymous = api.get(path)
        assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"], path
        assert "example.org" not in anonymous.text, path
    own, other = api.get("/users/1", headers=ada).json(), api.get("/users/2", headers=ada).json()
    assert (own["email"], own["role"]) == ("ada@example.org", "member")
    assert other == {"id": 2, "name": "Bob"}  # no email, no role (OWASP API3:2023)
    listed = api.get("/users", headers=bob).json()
    assert listed[0] == {"id": 1, "name": "Ada"} and listed[1]["email"] == "bob@example.org"


@pytest.mark.parametrize("chapter", chapters_from(5))
def test_an_admin_reads_every_user_whole(api_at, chapter):
    api = api_at(chapter)
    api.client.auth = None
    ada, bob = sign_up(api, "Ada"), sign_up(api, "Bob")
    make_admin(api, 1)
    assert api.get("/users/2", headers=ada).json()["email"] == "bob@example.org"
    assert [user["role"] for user in api.get("/users", headers=ada).json()] == ["admin", "member"]
    assert api.get("/users/1", headers=bob).json() == {"id": 1, "name": "Ada"}  # Bob is no admin
