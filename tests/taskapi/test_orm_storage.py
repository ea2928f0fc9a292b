"""Chapter 13's storage: its schema is the migrations' head, and the database (not the app) stamps its tasks."""

from datetime import UTC, datetime, timedelta

from course_lib.services import migrations
from course_lib.taskapi import records, sql_repositories
from course_lib.taskapi.orm_storage import OrmStorage


def test_the_schema_is_the_migrations_head(database):
    OrmStorage(database)
    assert migrations.current(database.engine) == migrations.revisions()[-1]


def test_the_database_stamps_and_versions_a_task(database, monkeypatch):
    wrong = lambda: datetime(2001, 1, 1, tzinfo=UTC)  # noqa: E731 — an app process whose clock is far off
    monkeypatch.setattr(records, "utcnow", wrong)
    monkeypatch.setattr(sql_repositories, "utcnow", wrong)
    storage = OrmStorage(database)
    task = storage.tasks.add("t")
    assert abs(task.created_at - datetime.now(UTC)) < timedelta(minutes=5) and task.created_at == task.updated_at
    changed = storage.tasks.update(task.id, done=True)
    assert changed.version == task.version + 1 and changed.updated_at > task.updated_at
    assert storage.tasks.update(999, done=True) is None
