"""OpenAPI → Postman Collection v2.1, validated against the collection format's JSON schema."""

import json
from pathlib import Path

import jsonschema
import pytest
from fastapi import FastAPI

from course_lib.lab.postman import (
    RUN_ORDER,
    SCHEMA_URL,
    collection_from_contract,
    collection_from_openapi,
    postman_url,
    run_rank,
    save_collection,
    success_status,
)
from course_lib.lab.task_contract import CONTRACT
from course_lib.taskapi import app_for
from tests.taskapi.conftest import chapters_from

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "postman_collection_v2.1.0.schema.json").read_text())
VALIDATOR = jsonschema.Draft4Validator(SCHEMA)


def items(collection: dict) -> dict[str, dict]:
    return {
        f"{i['request']['method']} {i['request']['url']['raw']}": i
        for folder in collection["item"]
        for i in folder["item"]
    }


def test_the_vendored_schema_is_a_valid_draft_4_schema():
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    assert SCHEMA["id"] == "https://schema.getpostman.com/json/collection/v2.1.0/"


@pytest.mark.parametrize("chapter", chapters_from(5))
def test_the_task_api_collection_is_valid_v2_1(chapter):
    collection = collection_from_openapi(app_for(chapter).openapi(), "http://127.0.0.1:8000")
    assert list(VALIDATOR.iter_errors(collection)) == []
    assert collection["info"]["schema"] == SCHEMA_URL


def test_requests_carry_path_variables_bodies_and_api_key_auth():
    collection = collection_from_openapi(app_for(5).openapi(), "http://127.0.0.1:8000")
    by_request = items(collection)
    patch = by_request["PATCH {{baseUrl}}/tasks/:task_id"]["request"]
    assert patch["url"]["variable"][0]["key"] == "task_id"
    assert json.loads(patch["body"]["raw"]) == {"title": "string", "description": "string", "done": False}
    assert patch["auth"]["type"] == "apikey"
    assert {a["key"]: a["value"] for a in patch["auth"]["apikey"]} == {
        "key": "X-API-Key",
        "value": "{{apiKey}}",
        "in": "header",
    }
    assert by_request["GET {{baseUrl}}/tasks/:task_id"]["request"]["auth"] == {"type": "noauth"}
    codes = {r["code"] for r in by_request["PATCH {{baseUrl}}/tasks/:task_id"]["response"]}
    assert codes == {200, 400, 401, 403, 404, 406, 422}
    assert {v["key"] for v in collection["variable"]} == {"baseUrl", "apiKey", "task_id", "user_id"}
    assert patch["url"]["variable"][0]["value"] == "{{task_id}}"


def test_a_broken_collection_fails_the_schema():
    collection = collection_from_openapi(app_for(5).openapi(), "http://x")
    del collection["info"]["schema"]
    collection["item"][0]["item"][0].pop("request")
    messages = [error.message for error in VALIDATOR.iter_errors(collection)]
    assert "'schema' is a required property" in messages and len(messages) == 2


def test_an_app_without_security_or_tags_still_converts():
    app = FastAPI(title="Tiny")

    @app.get("/things/{thing_id}")
    def thing(thing_id: int, verbose: bool = False) -> dict:
        return {}

    collection = collection_from_openapi(app.openapi(), "http://x")
    assert list(VALIDATOR.iter_errors(collection)) == []
    assert [folder["name"] for folder in collection["item"]] == ["default"]
    assert collection["variable"] == [
        {"key": "baseUrl", "value": "http://x", "type": "string"},
        {"key": "thing_id", "value": "1", "type": "string"},
    ]


def test_postman_url_splits_the_path():
    url = postman_url(
        "/users/{user_id}/tasks",
        [{"name": "user_id", "in": "path"}, {"name": "done", "in": "query", "required": False}],
    )
    assert url["raw"] == "{{baseUrl}}/users/:user_id/tasks" and url["path"] == ["users", ":user_id", "tasks"]
    assert url["query"] == [{"key": "done", "value": "", "disabled": True}]


def test_save_collection_writes_json(tmp_path):
    path = save_collection({"info": {"name": "x"}, "item": []}, tmp_path / "c.json")
    assert json.loads(path.read_text())["info"]["name"] == "x"


def scripts_of(item: dict) -> str:
    return "\n".join(
        line for event in item.get("event", []) if event["listen"] == "test" for line in event["script"]["exec"]
    )


@pytest.mark.parametrize("chapter", chapters_from(5))
def test_every_request_asserts_its_documented_success_status(chapter):
    openapi = app_for(chapter).openapi()
    by_request = items(collection_from_openapi(openapi, "http://x"))
    assert len(by_request) == sum(len(operations) for operations in openapi["paths"].values())
    for name, item in by_request.items():
        method, path = name.split(" ", 1)
        path = path.removeprefix("{{baseUrl}}")
        template = "/".join("{" + part[1:] + "}" if part.startswith(":") else part for part in path.split("/"))
        expected = success_status(openapi["paths"][template][method.lower()])
        assert f"pm.response.to.have.status({expected});" in scripts_of(item), name


def test_creates_keep_the_new_id_and_key_for_the_requests_after_them():
    by_request = items(collection_from_openapi(app_for(8).openapi(), "http://x"))
    sign_up = scripts_of(by_request["POST {{baseUrl}}/users"])
    assert 'pm.collectionVariables.set("apiKey", pm.response.json().api_key);' in sign_up
    assert '"users": "user_id"' in sign_up and '"tasks": "task_id"' in sign_up
    assert "collectionVariables" not in scripts_of(by_request["GET {{baseUrl}}/tasks"])


def test_the_collection_runs_sign_up_first_creates_before_reads_and_deletes_last():
    collection = collection_from_openapi(app_for(8).openapi(), "http://x")
    assert collection["item"][0]["name"] == "users"
    runs = [
        item["request"]["method"] + " " + item["request"]["url"]["raw"].removeprefix("{{baseUrl}}")
        for folder in collection["item"]
        for item in folder["item"]
    ]
    assert runs[:2] == ["POST /users", "POST /users/:user_id/tasks"]
    tasks = runs[runs.index("POST /tasks") :]
    assert tasks[0] == "POST /tasks" and tasks[-1] == "DELETE /tasks/:task_id"
    assert tasks.index("GET /tasks/:task_id") < tasks.index("PATCH /tasks/:task_id")


@pytest.mark.parametrize("chapter", [5, 8])
def test_the_example_user_body_passes_the_apis_own_rules(api_at, chapter):
    api = api_at(chapter)
    by_request = items(collection_from_openapi(api.get("/openapi.json").json(), api.url))
    body = json.loads(by_request["POST {{baseUrl}}/users"]["request"]["body"]["raw"])
    assert api.post("/users", json=body).status_code == 201


def test_run_rank_and_success_status():
    assert success_status({"responses": {"422": {}, "204": {}, "200": {}}}) == 200
    assert success_status({"responses": {"422": {}}}) is None
    assert run_rank("post", {"responses": {"201": {}}}) == 0
    assert run_rank("post", {"responses": {"200": {}}}) > run_rank("patch", {"responses": {"200": {}}})
    assert run_rank("delete", {"responses": {"204": {}}}) == max(RUN_ORDER.values())


def test_a_contract_becomes_a_valid_collection_whose_requests_test_their_expected_status():
    collection = collection_from_contract(CONTRACT, "http://x")
    assert list(VALIDATOR.iter_errors(collection)) == []
    first, delete = collection["item"][0], collection["item"][-1]
    assert first["request"]["url"]["raw"] == "{{baseUrl}}/users"
    assert 'pm.collectionVariables.set("ada_key", pm.response.json().api_key);' in scripts_of(first)
    assert 'pm.response.to.have.header("location")' in scripts_of(first)
    assert delete["request"]["url"]["raw"] == "{{baseUrl}}/tasks/{{task}}"
    assert {"key": "X-API-Key", "value": "{{ada_key}}"} in delete["request"]["header"]
    assert "pm.response.to.have.status(404);" in scripts_of(delete)
    assert {v["key"] for v in collection["variable"]} == {"baseUrl", "ada_key", "ada", "bob_key", "task"}
