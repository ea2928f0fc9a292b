"""Chapter 08: field rules, RFC 9457 problem details for every error, 413 and 415, and no input that yields a 500."""

import pytest
from fastapi import params
from fastapi.routing import APIRoute

from course_lib.lab.fuzz import fuzz
from course_lib.taskapi.records import MAX_ID
from course_lib.web.limits import JSON_TYPES, MAX_BODY_BYTES
from course_lib.web.openapi_responses import api_routes
from course_lib.web.problems import PROBLEM_JSON
from tests.taskapi.conftest import chapters_from, public_task_chapters

PASSWORD = "violet harbor lantern 42"
JSON = {"content-type": "application/json"}
ENDPOINTS = [
    "GET /tasks",
    "POST /tasks",
    "GET /tasks/{id}",
    "PUT /tasks/{id}",
    "PATCH /tasks/{id}",
    "DELETE /tasks/{id}",
    "POST /tasks/{id}/complete",
    "GET /users",
    "POST /users",
    "GET /users/{id}",
    "GET /users/{id}/tasks",
    "POST /users/{id}/tasks",
]
EXAMPLES = {
    "POST /tasks": {"title": "a", "description": "b", "done": False},
    "PUT /tasks/{id}": {"title": "a", "description": "b", "done": True},
    "PATCH /tasks/{id}": {"done": True, "title": "c"},
    "POST /users": {"name": "Bob", "email": "bob@example.org", "password": PASSWORD},
    "POST /users/{id}/tasks": {"title": "a"},
}
LIST_QUERY = ["limit", "page", "sort", "done", "text"]


def sign_up(api, name: str) -> dict[str, str]:
    created = api.post("/users", json={"name": name, "email": f"{name.lower()}@example.org", "password": PASSWORD})
    assert created.status_code == 201, created.text
    return {"X-API-Key": created.json()["api_key"]}


@pytest.fixture
def api_with_ada(api_at):
    """A live API at a chapter with one user, Ada, who owns task 1; and her key header."""

    def start(chapter: int):
        api = api_at(chapter)
        ada = sign_up(api, "Ada")
        assert api.post("/tasks", json={"title": "first"}, headers=ada).status_code == 201
        return api, ada

    return start


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"]
    return body


ERROR_CASES = {
    400: lambda api, ada: api.post("/tasks", content=b'{"title": ', headers={**ada, **JSON}),
    401: lambda api, ada: api.post("/tasks", json={"title": "x"}),
    403: lambda api, ada: api.patch("/tasks/1", json={"done": True}, headers=sign_up(api, "Bob")),
    404: lambda api, ada: api.get("/tasks/999"),
    405: lambda api, ada: api.delete("/tasks"),
    406: lambda api, ada: api.get("/tasks/1", headers={"Accept": "image/png"}),
    409: lambda api, ada: api.post("/users", json={"name": "Ada", "email": "ADA@example.org", "password": PASSWORD}),
    413: lambda api, ada: api.post("/tasks", content=b" " * (MAX_BODY_BYTES + 1), headers={**ada, **JSON}),
    415: lambda api, ada: api.post("/tasks", content=b"title=x", headers={**ada, "content-type": "text/plain"}),
    422: lambda api, ada: api.post("/tasks", json={"title": "   "}, headers=ada),
}


@pytest.mark.parametrize("chapter", public_task_chapters(8))
@pytest.mark.parametrize("status", sorted(ERROR_CASES))
def test_every_error_is_problem_json_with_its_status(api_with_ada, chapter, status):
    api, ada = api_with_ada(chapter)
    response = ERROR_CASES[status](api, ada)
    body = assert_problem(response, status)
    assert body["instance"].startswith("urn:uuid:")  # RFC 9457: the occurrence, not the resource


@pytest.mark.parametrize("chapter", chapters_from(8))
def test_problem_headers_survive(api_with_ada, chapter):
    api, ada = api_with_ada(chapter)
    assert "x-api-key" in ERROR_CASES[401](api, ada).headers["www-authenticate"].lower()
    assert ERROR_CASES[405](api, ada).headers["allow"] == "GET, HEAD, POST, OPTIONS"
    assert ERROR_CASES[415](api, ada).headers["accept"] == "application/json"


@pytest.mark.parametrize("chapter", chapters_from(8))
def test_422_lists_every_invalid_field_without_echoing_input(api_with_ada, chapter):
    api, ada = api_with_ada(chapter)
    secret = "do-not-echo-" * 200
    body = assert_problem(
        api.post("/tasks", json={"title": "", "description": secret, "done": "maybe", "owner_id": 7}, headers=ada), 422
    )
    fields = {error["field"]: error for error in body["errors"]}
    assert set(fields) == {"title", "description", "done", "owner_id"}
    assert fields["title"]["pointer"] == "#/title" and fields["title"]["in"] == "body"
    assert secret not in str(body)


@pytest.mark.parametrize("chapter", chapters_from(8))
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "\t\n"}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "ok", "description": "x" * 2001}, "description"),
        ({"title": "a\x00b"}, "title"),  # PostgreSQL cannot store U+0000: refused on every backend, never a 500
        ({"title": "ok", "description": "\x00"}, "description"),
    ],
)
def test_task_field_rules(api_with_ada, chapter, body, field):
    api, ada = api_with_ada(chapter)
    for response in (api.post("/tasks", json=body, headers=ada), api.put("/tasks/1", json=body, headers=ada)):
        assert [error["field"] for error in assert_problem(response, 422)["errors"]] == [field]


@pytest.mark.parametrize("chapter", chapters_from(8))
def test_titles_are_stored_without_surrounding_spaces(api_with_ada, chapter):
    api, ada = api_with_ada(chapter)
    created = api.post("/tasks", json={"title": "  tidy  ", "description": "x" * 2000}, headers=ada)
    assert created.status_code == 201 and created.json()["title"] == "tidy"
    assert api.patch("/tasks/1", json={"title": " \n "}, headers=ada).status_code == 422
    assert api.patch("/tasks/1", json={"title": " renamed "}, headers=ada).json()["title"] == "renamed"


@pytest.mark.parametrize("chapter", chapters_from(8))
@pytest.mark.parametrize(
    ("user", "field"),
    [
        ({"name": "Cy", "email": "not-an-email", "password": PASSWORD}, "email"),
        ({"name": "Cy", "email": "cy@", "password": PASSWORD}, "email"),
        ({"name": "   ", "email": "cy@example.org", "password": PASSWORD}, "name"),
        ({"name": "Cy\x00", "email": "cy@example.org", "password": PASSWORD}, "name"),
        ({"name": "Cy", "email": "cy@example.org", "password": "x" * 129}, "password"),
        ({"name": "Cy", "email": "cy@example.org", "password": "x" * 14}, "password"),
        ({"name": "Carol", "email": "cy@example.org", "password": "i-am-carol-99-and-more"}, ""),
        ({"name": "Cy", "email": "cyrus@example.org", "password": "CYRUS-rules-99-always"}, ""),
    ],
)
def test_user_field_and_cross_field_rules(api_at, chapter, user, field):
    body = assert_problem(api_at(chapter).post("/users", json=user), 422)
    assert [error["field"] for error in body["errors"]] == [field or "body"]


@pytest.mark.parametrize("chapter", chapters_from(8))
def test_path_ids_outside_64_bits_are_422_not_500(api_with_ada, chapter):
    api, ada = api_with_ada(chapter)
    for path in (f"/tasks/{MAX_ID + 1}", f"/users/{10**40}", f"/users/{10**30}/tasks", "/tasks/0", "/tasks/-3"):
        errors = assert_problem(api.get(path), 422)["errors"]
        assert errors[0]["in"] == "path" and errors[0]["field"].endswith("_id")
    assert_problem(api.get(f"/tasks/{MAX_ID}"), 404)
    assert_problem(api.delete(f"/tasks/{MAX_ID + 1}", headers=ada), 422)


@pytest.mark.parametrize("chapter", chapters_from(8))
def test_body_size_limit(api_with_ada, chapter):
    api, ada = api_with_ada(chapter)
    padding = MAX_BODY_BYTES - len(b'{"title": "ok", "description": ""}')
    at_limit = b'{"title": "ok", "description": "' + b"x" * padding + b'"}'
    assert len(at_limit) == MAX_BODY_BYTES
    assert api.post("/tasks", content=at_limit, headers={**ada, **JSON}).status_code == 422  # read, then too long
    assert_problem(api.post("/tasks", content=at_limit + b" ", headers={**ada, **JSON}), 413)


@pytest.mark.parametrize("chapter", chapters_from(8))
def test_openapi_documents_413_and_415(api_at, chapter):
    operation = api_at(chapter).get("/openapi.json").json()["paths"]["/tasks"]["post"]
    assert {"413", "415", "422"} <= set(operation["responses"])


@pytest.mark.parametrize("chapter", public_task_chapters(8))
def test_head_of_an_error_has_no_body(api_at, chapter):
    response = api_at(chapter).request("HEAD", "/tasks/999")
    assert response.status_code == 404 and response.content == b""


@pytest.mark.parametrize("chapter", chapters_from(8))
def test_fuzz_finds_no_500_and_every_error_is_a_problem(api_with_ada, chapter):
    api, ada = api_with_ada(chapter)
    report = fuzz(
        api,
        ENDPOINTS,
        count=300,
        seed=chapter,
        examples=EXAMPLES,
        headers=ada,
        query={"GET /tasks": LIST_QUERY, "GET /users/{id}/tasks": LIST_QUERY},
    )
    assert report.ok, report.failures[:5]
    assert report.not_problem == []
    assert report.count == 300 and {201, 404, 415, 422} <= set(report.statuses)


@pytest.mark.parametrize("chapter", chapters_from(8))
@pytest.mark.parametrize("password", ["correct horse battery staple", "passwordpassword", "123456789012345"])
def test_a_common_password_is_refused_however_long(api_at, chapter, password):
    """NIST SP 800-63B-4 §3.1.1.2: a blocklist check, from chapter 08 on."""
    api = api_at(chapter)
    refused = api.post("/users", json={"name": "Cy", "email": "cy@example.org", "password": password})
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert "attacker" in refused.text and password not in refused.text
    assert (
        api.post(
            "/users", json={"name": "Cy", "email": "cy@example.org", "password": "violet harbor lantern 42"}
        ).status_code
        == 201
    )


@pytest.mark.parametrize("chapter", chapters_from(8))
def test_a_json_member_named_twice_is_400_on_every_body_route_and_changes_nothing(api_with_ada, chapter):
    api, ada = api_with_ada(chapter)
    routes = [
        (method, path.replace("{task_id}", "1").replace("{user_id}", "1"))
        for path, route in api_routes(api.server.config.app)
        if route.body_field is not None and accepted_types_of(route) == JSON_TYPES
        for method in route.methods
    ]
    assert ("POST", "/tasks") in routes and ("PATCH", "/tasks/1") in routes
    for method, path in routes:
        body = assert_problem(
            api.request(method, path, content=b'{"title": "a", "title": "b"}', headers={**ada, **JSON}), 400
        )
        assert "'title' appears twice" in body["errors"][0]["detail"], (method, path, body)
    nested = b'{"title": "a", "tags": {"x": 1, "x": 2}}'
    assert_problem(api.post("/tasks", content=nested, headers={**ada, **JSON}), 400)
    assert api.get("/tasks/1", headers=ada).json()["title"] == "first"
    assert api.post("/tasks", content=b'{"title": "a", "x": {"title": 1}}', headers={**ada, **JSON}).status_code == 422


def accepted_types_of(route: APIRoute) -> tuple[str, ...]:
    """JSON_TYPES for a route whose body is JSON (not a form)."""
    return () if isinstance(route.body_field.field_info, params.Form) else JSON_TYPES
