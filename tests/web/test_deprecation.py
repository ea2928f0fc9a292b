from datetime import UTC, datetime

import pytest
from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.testclient import TestClient

from course_lib.web.deprecation import DeprecatedVersion, deprecation_headers

DEPRECATED = datetime(2026, 6, 1, tzinfo=UTC)
SUNSET = datetime(2027, 6, 30, 23, 59, 59, tzinfo=UTC)
EXPECTED = {
    "deprecation": "@1780272000",
    "sunset": "Wed, 30 Jun 2027 23:59:59 GMT",
    "link": '</docs/v1-to-v2>; rel="deprecation"',
}


@pytest.fixture(scope="module")
def client():
    v1, v2 = APIRouter(prefix="/v1"), APIRouter(prefix="/v2")

    @v1.get("/tasks/{task_id}")
    def read_v1(task_id: int) -> dict:
        if task_id > 10:
            raise HTTPException(404, "no such task")
        return {"id": task_id, "name": "t"}

    @v2.get("/tasks/{task_id}")
    def read_v2(task_id: int) -> dict:
        return {"id": task_id, "title": "t"}

    app = FastAPI()
    app.include_router(v1)
    app.include_router(v2)
    app.add_middleware(
        DeprecatedVersion, prefix="/v1", deprecated=DEPRECATED, sunset=SUNSET, migration_guide="/docs/v1-to-v2"
    )
    return TestClient(app)


def test_the_headers_say_when_and_where():
    assert {
        name.lower(): value for name, value in deprecation_headers(DEPRECATED, SUNSET, "/docs/v1-to-v2").items()
    } == EXPECTED


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/tasks/7", 200),
        ("GET", "/v1/tasks/99", 404),
        ("GET", "/v1/tasks/abc", 422),
        ("DELETE", "/v1/tasks/7", 405),
        ("GET", "/v1/nothing", 404),
        ("GET", "/v1", 404),
    ],
)
def test_every_answer_of_the_old_version_carries_them_errors_too(client, method, path, status):
    response = client.request(method, path)
    assert response.status_code == status
    assert {name: response.headers.get(name) for name in EXPECTED} == EXPECTED


@pytest.mark.parametrize("path", ["/v2/tasks/7", "/v2/tasks/abc", "/v10/tasks/7", "/"])
def test_other_versions_and_paths_carry_none(client, path):
    response = client.get(path)
    assert not {"deprecation", "sunset"} & set(response.headers)
