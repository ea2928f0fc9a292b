"""OpenAPI → Postman Collection v2.1, validated against the collection format's JSON schema."""

import json
from pathlib import Path

import jsonschema
import pytest
from fastapi import FastAPI

from course_lib.lab.postman import SCHEMA_URL, collection_from_openapi, postman_url, save_collection
from course_lib.taskapi import app_for
from tests.taskapi.conftest import chapters_from

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "postman_collection_v2.1.0.schema.json").read_text())
VALIDATOR = jsonschema.Draft4Validator(SCHEMA)


def items(collection: dict) -> dict[str, dict]:
    return {f"{i['request']['method']} {i['request']['url']['raw']}": i
            for folder in collection["item"] for i in folder["item"]}


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
    assert {a["key"]: a["value"] for a in patch["auth"]["apikey"]} == {"key": "X-API-Key", "value": "{{apiKey}}",
                                                                        "in": "header"}
    assert by_request["GET {{baseUrl}}/tasks/:task_id"]["request"]["auth"] == {"type": "noauth"}
    codes = {r["code"] for r in by_request["PATCH {{baseUrl}}/tasks/:task_id"]["response"]}
    assert codes == {200, 401, 403, 404, 422}
    assert {v["key"] for v in collection["variable"]} == {"baseUrl", "apiKey"}


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
    assert collection["variable"] == [{"key": "baseUrl", "value": "http://x", "type": "string"}]


def test_postman_url_splits_the_path():
    url = postman_url("/users/{user_id}/tasks", [{"name": "user_id", "in": "path"},
                                                 {"name": "done", "in": "query", "required": False}])
    assert url["raw"] == "{{baseUrl}}/users/:user_id/tasks" and url["path"] == ["users", ":user_id", "tasks"]
    assert url["query"] == [{"key": "done", "value": "", "disabled": True}]


def test_save_collection_writes_json(tmp_path):
    path = save_collection({"info": {"name": "x"}, "item": []}, tmp_path / "c.json")
    assert json.loads(path.read_text())["info"]["name"] == "x"
