"""Chapter 13: the database stamps tasks (created_at, updated_at in UTC), every allowed sort has its index."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from course_lib.taskapi import app_for, ch13_orm, orm_models, records, sql_repositories
from course_lib.taskapi.api_keys import sign_up
from course_lib.taskapi.orm_storage import OrmStorage
from course_lib.taskapi.records import SORT_KEYS, TaskQuery
from course_lib.taskapi.sql_queries import task_select
from tests.taskapi.conftest import chapters_from


def instant(stamp: str) -> datetime:
    assert stamp.endswith("Z"), stamp  # UTC out, said as Z (chapter 07's format)
    return datetime.fromisoformat(stamp)


@pytest.mark.parametrize("chapter", chapters_from(13))
def test_updated_at_moves_forward_on_every_put_patch_and_complete(api_at, chapter):
    api = api_at(chapter)
    auth = sign_up(api, "Ada")
    created = api.post("/tasks", json={"title": "draft"}, headers=auth).json()
    url = f"/tasks/{created['id']}"
    assert created["created_at"] == created["updated_at"]
    stamps = [created["updated_at"]]
    for method, path, body in (
        ("PUT", url, {"title": "draft", "done": False}),
        ("PATCH", url, {"title": "final"}),
        ("PUT", url, {"title": "final", "done": False}),
        ("PATCH", url, {"title": "final"}),
        ("POST", f"{url}/complete", None),
    ):
        answer = api.request(method, path, json=body, headers=auth)
        assert answer.status_code == 200, answer.text
        assert answer.json()["created_at"] == created["created_at"]
        stamps.append(answer.json()["updated_at"])
    times = [instant(stamp) for stamp in stamps]
    assert all(earlier < later for earlier, later in zip(times, times[1:])), stamps  # strictly, even within 1 ms
    assert api.get(url, headers=auth).json()["updated_at"] == stamps[-1]


def test_the_database_sets_the_times_not_the_apps_clock(api_at, monkeypatch):
    wrong = lambda: datetime(2001, 1, 1, tzinfo=UTC)  # noqa: E731 — an app process whose clock is far off
    monkeypatch.setattr(records, "utcnow", wrong)
    monkeypatch.setattr(sql_repositories, "utcnow", wrong)
    api = api_at(13)
    auth = sign_up(api, "Ada")
    task = api.post("/tasks", json={"title": "t"}, headers=auth).json()
    now = datetime.now(UTC)
    assert abs(instant(task["created_at"]) - now) < timedelta(minutes=5)
    changed = api.patch(f"/tasks/{task['id']}", json={"done": True}, headers=auth).json()
    assert abs(instant(changed["updated_at"]) - now) < timedelta(minutes=5)


def test_the_chapter_swaps_only_the_storage_seam():
    assert ch13_orm.CHAPTER.previous is not None
    app = app_for(13)
    assert isinstance(app.context.storage, OrmStorage)
    app.context.storage.stop()


def plan(storage: OrmStorage, sort: tuple[str, ...]) -> str:
    statement = task_select(TaskQuery(sort=sort, limit=20), orm_models.TaskRow)
    compiled = statement.compile(storage.database.engine, compile_kwargs={"literal_binds": True})
    with storage.database.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET enable_seqscan = off"))  # a tiny table: make the planner show its choice
            return "\n".join(connection.execute(text(f"EXPLAIN {compiled}")).scalars())
        return " ".join(row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))


@pytest.mark.parametrize("key", SORT_KEYS)
def test_every_allowed_sort_reads_an_index_in_either_direction(key):
    app = app_for(13)
    storage: OrmStorage = app.context.storage
    try:
        for sort in ((key,), (f"-{key}",)):
            found = plan(storage, sort)
            assert "TEMP B-TREE" not in found and "Sort" not in found, (sort, found)
    finally:
        storage.stop()


def test_a_sort_off_the_whitelist_is_a_422_problem(api_at):
    api = api_at(13)
    answer = api.get("/tasks?sort=password_hash")
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("application/problem+json")
