"""The sample API's tests, each in a transaction rolled back at the end (nothing stays in the database)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, create_engine

from app import app, connection, database_url, metadata


@pytest.fixture
def conn() -> Iterator[Connection]:
    try:
        url = database_url()
    except RuntimeError as missing:
        pytest.fail(str(missing), pytrace=False)
    with create_engine(url).connect() as conn, conn.begin() as transaction:
        metadata.create_all(conn)
        yield conn
        transaction.rollback()


@pytest.fixture
def client(conn: Connection) -> Iterator[TestClient]:
    app.dependency_overrides[connection] = lambda: conn
    with TestClient(app) as client:
        yield client
    app.dependency_overrides.clear()


def test_a_created_task_is_listed(client: TestClient) -> None:
    created = client.post("/tasks", json={"title": "write the workflow"})
    assert created.status_code == 201
    assert client.get("/tasks").json() == [created.json()]


def test_an_empty_title_is_refused(client: TestClient) -> None:
    assert client.post("/tasks", json={"title": ""}).status_code == 422
    assert client.get("/tasks").json() == []
