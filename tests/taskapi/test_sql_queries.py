"""A TaskQuery's SQL means what records.matches means, on any mapping of the tasks table."""

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from course_lib.taskapi import orm_models, sql_tables
from course_lib.taskapi.records import TaskQuery
from course_lib.taskapi.sql_queries import task_count, task_select
from course_lib.taskapi.sql_storage import SqlStorage
from course_lib.taskapi.storage import MemoryStorage


def test_sql_and_memory_agree_on_every_query(database):
    memory, sql = MemoryStorage(), SqlStorage(database)
    for storage in (memory, sql):
        for name in ("a", "b", "c"):
            storage.users.add(name, f"{name}@example.com")
    for number in range(30):
        for storage in (memory, sql):
            storage.tasks.add(
                f"task {number % 7}",
                done=number % 3 == 0,
                owner_id=number % 4 or None,
                description="urgent" if number % 5 == 0 else "",
            )
    for query in [
        TaskQuery(sort=("title", "-id")),
        TaskQuery(sort=("-done", "title"), offset=5, limit=10),
        TaskQuery(done=True, sort=("-title",)),
        TaskQuery(text="URGENT", sort=("id",)),
        TaskQuery(owner_id=2, sort=("-id",), limit=3),
        TaskQuery(sort=("-created_at",)),
    ]:
        assert [t.id for t in sql.tasks.list(query)] == [t.id for t in memory.tasks.list(query)], query
        assert sql.tasks.count(query) == memory.tasks.count(query)


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_both_mappings_of_the_tasks_table_give_the_same_query(dialect):
    query = TaskQuery(owner_id=3, done=True, text="milk", sort=("-title",), offset=20, limit=10)
    for build in (task_select, task_count):
        chapter_06, chapter_13 = (
            str(build(query, rows).compile(dialect=dialect)).partition(" FROM ")[2]
            for rows in (sql_tables.TaskRow, orm_models.TaskRow)
        )
        assert chapter_06 == chapter_13, build.__name__  # the columns' order may differ, the query may not
