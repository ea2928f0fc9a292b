"""The index demo: a tasks table without indexes, its plans with and without chapter 06's index, and timings."""

from sqlalchemy import func, inspect, select

from course_lib.lab.index_lab import PAGE_INDEX, plans, seconds_per_run, task_indexes, tasks_without_indexes
from course_lib.services.query_plan import uses_index
from course_lib.taskapi.records import TaskQuery
from course_lib.taskapi.sql_queries import task_select
from course_lib.taskapi.sql_tables import TaskRow


def test_a_table_without_indexes_then_with_the_page_index():
    # enough rows that PostgreSQL's planner prefers the index (with 15 rows it scans the table whatever exists)
    database = tasks_without_indexes(owners=20, tasks_per_owner=100)
    try:
        assert inspect(database.engine).get_indexes("tasks") == []
        with database.engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(TaskRow)).scalar() == 2000
        page = {"page": task_select(TaskQuery(owner_id=2, sort=("-created_at",), limit=2))}
        assert not uses_index(plans(database, page)["page"], PAGE_INDEX)
        task_indexes()[PAGE_INDEX].create(database.engine)
        assert uses_index(plans(database, page)["page"], PAGE_INDEX)
        assert seconds_per_run(database, page, runs=3) > 0
    finally:
        database.drop()
