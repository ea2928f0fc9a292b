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


@pytest.mark.parametrize("chapter", chapters_from(8))
def test_a_body_nested_past_the_parsers_depth_is_400_and_the_connection_still_serves(api_with_ada, chapter):
    """json.loads raises RecursionError (not a ValueError) past ~1000 levels: every middleware that reads the body
    must treat it as 'not JSON', or the answer is a 500 outside the error handler and the connection is dropped."""
    api, ada = api_with_ada(chapter)
    routes = {f"{m} {path}" for path, item in api.get("/openapi.json").json()["paths"].items() for m in item}
    sends = [("post", "/users", {}), ("post", "/tasks", {**ada, "Idempotency-Key": "deep-1"})]
    sends += [("post", path, {}) for path in ("/tokens", "/session") if f"post {path}" in routes]
    for depth in (1100, 20_000):
        deep = b"[" * depth + b"]" * depth
        for method, path, headers in sends:
            answer = api.client.request(method.upper(), path, content=deep, headers={**headers, **JSON})
            assert_problem(answer, 400)
            assert api.get("/health").status_code == 200  # the same keep-alive connection


@pytest.mark.parametrize("chapter", chapters_from(8))
def test_a_single_valued_field_on_two_lines_that_differ_is_400(api_with_ada, chapter):
    """Two Authorization, X-API-Key or Content-Type lines that differ are ambiguous: neither first- nor last-wins."""
    api, ada = api_with_ada(chapter)
    bob = sign_up(api, "Bob")
    for lines in (
        [("X-API-Key", ada["X-API-Key"]), ("X-API-Key", bob["X-API-Key"])],
        [*ada.items(), ("Authorization", "Bearer a"), ("Authorization", "Bearer b")],
        [*ada.items(), ("Content-Type", "application/json"), ("Content-Type", "text/plain")],
    ):
        answer = api.client.post("/tasks", content=b'{"title": "ambiguous"}', headers=lines)
        assert "sent 2 times" in assert_problem(answer, 400)["detail"], lines
    same_twice = [*ada.items(), ("Content-Type", "application/json"), ("Content-Type", "application/json")]
    assert api.client.post("/tasks", content=b'{"title": "twice the same"}', headers=same_twice).status_code == 201


@pytest.mark.parametrize("chapter", chapters_from(8))
def test_a_coded_request_body_is_415_with_accept_encoding(api_with_ada, chapter):
    """RFC 9110 §15.5.16: a body in a content coding the server does not decode is 415, and Accept-Encoding says
    which it takes (§12.5.3) — never parsed as if it were plain, never a 400 from a parser choking on gzip."""
    import gzip

    api, ada = api_with_ada(chapter)
    body = b'{"title": "zipped"}'
    for coding, content in (("gzip", gzip.compress(body)), ("br", body), ("identity, gzip", gzip.compress(body))):
        answer = api.post("/tasks", content=content, headers={**ada, **JSON, "Content-Encoding": coding})
        assert assert_problem(answer, 415) and answer.headers["accept-encoding"] == "identity", coding
    plain = api.post("/tasks", content=body, headers={**ada, **JSON, "Content-Encoding": "identity"})
    assert plain.status_code == 201


@pytest.mark.parametrize("chapter", chapters_from(8))
def test_a_422_lists_at_most_fifty_errors_and_says_how_many_there_were(api_with_ada, chapter):
    """6,000 unknown members in a 60 KB body: the answer names the count and lists the first 50, not a 700 KB list."""
    api, ada = api_with_ada(chapter)
    body = {"title": "many", **{f"x{number}": 1 for number in range(6000)}}
    answer = assert_problem(api.post("/tasks", json=body, headers=ada), 422)
    assert answer["detail"] == "6000 invalid fields (the first 50 listed)" and len(answer["errors"]) == 50
    few = assert_problem(api.post("/tasks", json={"title": "", "x": 1}, headers=ada), 422)
    assert few["detail"] == "2 invalid fields" and len(few["errors"]) == 2
