"""One family of repositories over whichever row classes a SqlSchema names; chapter 06's stamp with the app's clock."""

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from course_lib.taskapi import sql_repositories
from course_lib.taskapi.orm_storage import CHAPTER_13, OrmTasks
from course_lib.taskapi.sql_repositories import SqlTasks, SqlUnitOfWork
from course_lib.taskapi.sql_storage import CHAPTER_06, SqlStorage


def test_a_unit_of_work_holds_the_schemas_task_repository_over_its_rows(database):
    with Session(database.engine) as session:
        for schema, repository in ((CHAPTER_06, SqlTasks), (CHAPTER_13, OrmTasks)):
            uow = SqlUnitOfWork(session, schema)
            assert type(uow.tasks) is repository and uow.tasks.rows is schema.tasks
            assert uow.users.rows is schema.users and uow.api_keys.rows is schema.api_keys


def test_chapter_06_stamps_a_new_task_once_with_the_apps_clock(database, monkeypatch):
    then = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    monkeypatch.setattr(sql_repositories, "utcnow", lambda: then)
    task = SqlStorage(database).tasks.add("t")
    assert task.created_at == task.updated_at == then and task.version == 1


def test_begin_write_makes_reads_take_the_row_lock(database):
    storage = SqlStorage(database)
    storage.tasks.add("t")
    with storage.unit_of_work() as uow:
        assert uow.tasks.get(1).title == "t" and not uow.tasks.lock_rows
        uow.begin_write()
        assert uow.tasks.lock_rows and uow.tasks.get(1).title == "t"


def test_a_schema_can_name_another_task_repository(database):
    class Shouting(SqlTasks):
        def add(self, title, **fields):
            return super().add(title.upper(), **fields)

    class ShoutingStorage(SqlStorage):
        schema = replace(CHAPTER_06, task_repository=Shouting)

    assert ShoutingStorage(database).tasks.add("quiet").title == "QUIET"


class NoQueries:
    """A session that fails on any statement: what PostgreSQL does with a NUL in a text parameter."""

    def scalars(self, *_):
        raise AssertionError("a NUL reached the database")


def test_an_email_with_nul_is_nobody_without_asking_the_database():
    users = sql_repositories.SqlUsers(NoQueries(), CHAPTER_06)  # type: ignore[arg-type]
    assert users.get_by_email("ada\x00@example.org") is None
