"""The index demo of the performance chapter: a tasks table without indexes, and statements planned and timed on it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from sqlalchemy import Index, Select, Table, text

from course_lib.lab.task_owners import seed
from course_lib.lab.timing import median_seconds
from course_lib.services.db import IsolatedDatabase, isolated_database
from course_lib.services.query_plan import explain
from course_lib.taskapi.sql_tables import TaskRow, create_tables

PAGE_INDEX = "ix_tasks_owner_created_at_id"  # chapter 06's index for one user's tasks, newest first


def task_indexes() -> dict[str | None, Index]:
    """The indexes the tasks table declares, by name."""
    return {index.name: index for index in cast(Table, TaskRow.__table__).indexes}  # a mapped class's Table


def tasks_without_indexes(owners: int, tasks_per_owner: int = 100) -> IsolatedDatabase:
    """A database of its own with `owners` users of `tasks_per_owner` tasks each, and no index on tasks."""
    database = isolated_database()
    create_tables(database.engine)
    for index in task_indexes().values():
        index.drop(database.engine)  # no index while loading: bulk inserts are faster, and this is the "none" case
    seed(database.engine, owners=owners, tasks_per_owner=tasks_per_owner)
    with database.engine.begin() as connection:
        connection.execute(text("ANALYZE"))  # fresh statistics, so the planner knows the table's size
    return database


def plans(database: IsolatedDatabase, statements: Mapping[str, Select]) -> dict[str, list[str]]:
    """The plan of each statement, as the database reports it (EXPLAIN)."""
    with database.engine.connect() as connection:
        return {name: explain(connection, statement) for name, statement in statements.items()}


def seconds_per_run(database: IsolatedDatabase, statements: Mapping[str, Select], runs: int = 9) -> float:
    """The median time of running every statement once (all rows fetched)."""
    with database.engine.connect() as connection:
        return median_seconds(
            lambda: [connection.execute(statement).all() for statement in statements.values()], runs=runs
        )
