import re

import pytest
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, PlainTextResponse

from course_lib.notebook.server import serve
from course_lib.web.openapi_responses import document_responses
from course_lib.web.problems import (
    PROBLEM_JSON,
    Problem,
    document_problems,
    field_errors,
    install_problem_details,
    problem_body,
)


class Item(BaseModel):
    name: str = Field(min_length=1)
    size: int = Field(ge=0)


def small_app() -> FastAPI:
    app = FastAPI()

    @app.post("/items", status_code=201)
    def create(item: Item) -> dict:
        return item.model_dump()

    @app.get("/items/{item_id}")
    def read(item_id: int) -> dict:
        raise HTTPException(404, f"item {item_id} not found")

    @app.get("/conflict")
    def conflict() -> dict:
        raise Problem(409, "name taken", type="/problems/conflict", conflicting="name")

    @app.get("/locked")
    def locked() -> dict:
        raise HTTPException(401, "send a key", headers={"WWW-Authenticate": "ApiKey"})

    @app.get("/boom")
    def boom() -> dict:
        raise RuntimeError("secret internals")

    @app.get("/plain")
    def plain() -> PlainTextResponse:
        return PlainTextResponse("nothing acceptable here", status_code=406)

    @app.get("/old-style")
    def old_style() -> JSONResponse:
        return JSONResponse({"detail": "gone for good"}, status_code=410)

    return install_problem_details(app)


@pytest.fixture
def api():
    return serve(small_app(), name="test-problems")


def assert_problem(response, status):
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status and body["type"] and body["title"]
    return body


def test_validation_error_is_422_with_one_entry_per_field(api):
    body = assert_problem(api.post("/items", json={"name": "", "size": -1}), 422)
    assert body["title"] == "Unprocessable Content"
    fields = {error["field"]: error for error in body["errors"]}
    assert set(fields) == {"name", "size"}
    assert fields["name"]["pointer"] == "#/name" and fields["name"]["in"] == "body"
    assert fields["size"]["type"] == "greater_than_equal"


def test_rejected_input_is_never_echoed(api):
    body = assert_problem(api.post("/items", json={"name": "", "size": "hunter2-password"}), 422)
    assert "hunter2" not in str(body)


def test_malformed_json_is_400(api):
    response = api.post("/items", content=b'{"name": ', headers={"content-type": "application/json"})
    body = assert_problem(response, 400)
    assert body["detail"] == "the request body is not valid JSON"
    # where the text broke, as a character offset: never dressed as a JSON Pointer (RFC 6901), which names a value
    assert body["errors"] == [
        {"in": "body", "field": "body", "position": 9, "detail": "JSON decode error", "type": "json_invalid"}
    ]


def test_query_and_path_errors_name_their_location(api):
    body = assert_problem(api.get("/items/abc"), 422)
    assert body["errors"][0]["in"] == "path" and body["errors"][0]["field"] == "item_id"
    assert "pointer" not in body["errors"][0]


def test_http_errors_keep_detail_and_headers(api):
    body = assert_problem(api.get("/items/7"), 404)
    assert body["detail"] == "item 7 not found"
    locked = api.get("/locked")
    assert_problem(locked, 401)
    assert locked.headers["www-authenticate"] == "ApiKey"


def test_problem_exception_carries_type_and_extensions(api):
    body = assert_problem(api.get("/conflict"), 409)
    assert body["type"] == "/problems/conflict" and body["conflicting"] == "name"


def test_unknown_route_and_method(api):
    assert_problem(api.get("/nowhere"), 404)
    assert_problem(api.delete("/items"), 405)


def test_bug_is_500_without_internals(api):
    body = assert_problem(api.get("/boom"), 500)
    assert "secret" not in str(body) and "Traceback" not in str(body)


def test_error_responses_built_elsewhere_are_rewritten(api):
    assert assert_problem(api.get("/plain"), 406)["detail"] == "nothing acceptable here"
    assert assert_problem(api.get("/old-style"), 410)["detail"] == "gone for good"


def test_success_and_head_are_untouched(api):
    created = api.post("/items", json={"name": "a", "size": 1})
    assert created.status_code == 201 and created.headers["content-type"] == "application/json"
    assert api.request("HEAD", "/items/1").content == b""


OCCURRENCE = re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_instance_names_the_occurrence_not_the_resource(api):
    first, again, rewritten = api.get("/items/7").json(), api.get("/items/7").json(), api.get("/plain").json()
    for body in (first, again, rewritten):
        assert OCCURRENCE.fullmatch(body["instance"]), body["instance"]
    assert first["instance"] != again["instance"], "two occurrences of one problem are two instances"


def test_problem_body_members():
    body = problem_body(404)
    assert body.pop("instance").startswith("urn:uuid:")
    assert body == {"type": "about:blank", "title": "Not Found", "status": 404}
    given = problem_body(409, "taken", instance="urn:uuid:0", field="email")
    assert given["field"] == "email" and given["instance"] == "urn:uuid:0"


def test_field_errors_escape_json_pointer():
    entries = field_errors([{"loc": ("body", "a/b", 0), "msg": "bad", "type": "t"}])
    assert entries == [{"in": "body", "field": "a/b.0", "pointer": "#/a~1b/0", "detail": "bad", "type": "t"}]


def test_extra_members_of_a_rewritten_json_error_are_kept():
    from course_lib.web.problems import _detail_from

    assert _detail_from(b'{"detail": "no", "acceptable": ["text/csv"]}') == ("no", {"acceptable": ["text/csv"]})
    assert _detail_from(b'{"detail": [{"msg": "x"}]}') == (None, {"errors": [{"msg": "x"}]})
    assert _detail_from(b"plain words") == ("plain words", {})


def test_document_problems_makes_every_documented_error_problem_json():
    app = FastAPI()

    @app.post("/things")
    def create(thing: dict) -> dict:
        return thing

    @app.get("/health")
    def health() -> dict:
        return {}

    document_responses(app, lambda path, route: {409: "taken"} if path == "/things" else {})
    document_problems(app)
    openapi = app.openapi()
    responses = openapi["paths"]["/things"]["post"]["responses"]
    assert responses["409"]["content"] == {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert responses["422"]["content"] == {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ValidationProblem"}}}
    assert list(responses["200"]["content"]) == ["application/json"]
    assert "HTTPValidationError" not in openapi["components"]["schemas"]
    assert openapi["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status"]
