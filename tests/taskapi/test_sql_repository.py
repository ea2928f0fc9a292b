"""The SQL repositories keep the in-memory repositories' contract, on SQLite and (with DATABASE_URL) PostgreSQL."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect

from course_lib.services.db import isolated_database
from course_lib.services.settings import get_settings
from course_lib.taskapi.repository import InMemoryTaskRepository, InMemoryUserRepository, TaskQuery
from course_lib.taskapi.sql_repository import SqlTaskRepository, SqlUserRepository, create_tables

SEED = [("b", False, 1, "plain"), ("a", True, 1, "100% sure"), ("c", False, 2, "under_score"), ("B", True, None, "")]


@pytest.fixture
def database():
    get_settings.cache_clear()
    database = isolated_database()
    create_tables(database.engine)
    yield database
    database.drop()


@pytest.fixture(params=["memory", "sql"])
def tasks(request, database):
    repository = InMemoryTaskRepository() if request.param == "memory" else SqlTaskRepository(database.engine)
    for title, done, owner, description in SEED:
        repository.add(title, done=done, owner_id=owner, description=description)
    return repository


def titles(tasks, **query) -> list[str]:
    return [task.title for task in tasks.list(TaskQuery(**query))]


def test_add_get_update_delete(tasks):
    task = tasks.get(1)
    assert (task.title, task.done, task.owner_id, task.description) == ("b", False, 1, "plain")
    assert task.created_at.tzinfo is UTC and task.updated_at.tzinfo is UTC
    updated = tasks.update(1, done=True, title="b2")
    assert updated.done and updated.title == "b2" and updated.updated_at >= task.updated_at
    assert tasks.get(1) == updated
    assert tasks.delete(1) and not tasks.delete(1) and tasks.get(1) is None
    assert tasks.update(99, done=True) is None and tasks.get(99) is None


def test_sorting_with_id_as_tiebreaker(tasks):
    assert titles(tasks, sort=("title",)) == ["B", "a", "b", "c"]
    assert titles(tasks, sort=("-title",), limit=2) == ["c", "b"]
    assert [t.id for t in tasks.list(TaskQuery(sort=("done",)))] == [1, 3, 2, 4]
    assert [t.id for t in tasks.list(TaskQuery(sort=("done", "-id"), offset=1))] == [1, 4, 2]
    assert [t.id for t in tasks.list(TaskQuery(sort=("-created_at",)))] == [4, 3, 2, 1]


def test_filters_and_counts(tasks):
    assert [t.id for t in tasks.list(TaskQuery(owner_id=1, sort=("id",)))] == [1, 2]
    assert tasks.count(TaskQuery(done=False)) == 2 and tasks.count() == 4
    assert titles(tasks, text="C", sort=("id",)) == ["c"]
    assert titles(tasks, text="b", sort=("id",)) == ["b", "B"]
    assert titles(tasks, text="100%") == ["a"] and titles(tasks, text="%") == ["a"]
    assert titles(tasks, text="_") == ["c"]  # LIKE wildcards are matched literally
    assert titles(tasks, text="plain", done=True) == []
    assert tasks.count(TaskQuery(text="e", done=False)) == 1


def test_offset_and_limit_slice_the_sorted_list(tasks):
    assert [t.id for t in tasks.list(TaskQuery(sort=("id",), offset=1, limit=2))] == [2, 3]
    assert tasks.list(TaskQuery(offset=10, limit=5)) == []
    assert tasks.list(TaskQuery(limit=0)) == []


def test_unknown_sort_key_is_rejected(tasks):
    with pytest.raises(ValueError, match="unknown sort key 'password'"):
        tasks.list(TaskQuery(sort=("password",)))


def test_clear_restarts_ids(tasks):
    tasks.clear()
    assert tasks.count() == 0 and tasks.add("again").id == 1


def test_deleted_ids_are_never_reused(tasks):
    assert tasks.delete(4)
    assert tasks.add("new").id == 5


def test_sql_and_memory_agree_on_every_query(database):
    memory, sql = InMemoryTaskRepository(), SqlTaskRepository(database.engine)
    for number in range(30):
        for repository in (memory, sql):
            repository.add(f"task {number % 7}", done=number % 3 == 0, owner_id=number % 4 or None,
                           description="urgent" if number % 5 == 0 else "")
    for query in [TaskQuery(sort=("title", "-id")), TaskQuery(sort=("-done", "title"), offset=5, limit=10),
                  TaskQuery(done=True, sort=("-title",)), TaskQuery(text="URGENT", sort=("id",)),
                  TaskQuery(owner_id=2, sort=("-id",), limit=3)]:
        assert [t.id for t in sql.list(query)] == [t.id for t in memory.list(query)], query
        assert sql.count(query) == memory.count(query)


def test_datetimes_come_back_aware_in_utc(database):
    repository = SqlTaskRepository(database.engine)
    paris = timezone(timedelta(hours=1))
    created = datetime(2026, 3, 1, 13, 0, tzinfo=paris)
    list(repository.add_many([{"title": "t", "created_at": created, "updated_at": created}]))
    task = repository.get(1)
    assert task.created_at == created and task.created_at.tzinfo is UTC and task.created_at.hour == 12
    with pytest.raises(Exception, match="naive datetime"):
        list(repository.add_many([{"title": "t", "created_at": datetime(2026, 3, 1)}]))


def test_add_many_reports_progress_per_batch(database):
    repository = SqlTaskRepository(database.engine)
    progress = list(repository.add_many(({"title": f"t{i}"} for i in range(25)), batch_size=10))
    assert progress == [10, 20, 25] and repository.count() == 25
    assert repository.get(25).title == "t24" and repository.get(25).created_at.tzinfo is UTC


def test_pagination_indexes_exist(database):
    indexes = {index["name"]: index["column_names"] for index in inspect(database.engine).get_indexes("tasks")}
    assert indexes["ix_tasks_created_at_id"] == ["created_at", "id"]
    assert indexes["ix_tasks_owner_created_at_id"] == ["owner_id", "created_at", "id"]


@pytest.fixture(params=["memory", "sql"])
def users(request, database):
    return InMemoryUserRepository() if request.param == "memory" else SqlUserRepository(database.engine)


def test_users_by_email_ignore_case(users):
    ada = users.add("Ada", "ada@example.com", role="admin", password_hash="secret-hash")
    grace = users.add("Grace", "grace@example.com")
    assert ada.created_at.tzinfo is UTC and (grace.role, grace.password_hash) == ("member", "")
    assert users.get_by_email("ADA@example.com") == ada == users.get(ada.id)
    assert users.get_by_email("nobody@example.com") is None
    assert users.list() == [ada, grace]
    users.clear()
    assert users.get(ada.id) is None and users.list() == [] and users.add("Lin", "lin@example.com").id == 1
