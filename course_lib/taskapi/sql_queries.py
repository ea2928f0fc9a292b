"""The SQL of a TaskQuery: WHERE, ORDER BY and OFFSET/LIMIT on any mapping of the tasks table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, literal, select, tuple_
from sqlalchemy.sql.elements import ColumnElement

from course_lib.taskapi.records import TaskQuery, sort_key
from course_lib.taskapi.sql_tables import TaskRow
from course_lib.taskapi.sql_types import UTCTimestamp


def task_filters(query: TaskQuery, rows: Any = TaskRow) -> list[ColumnElement[bool]]:
    """The WHERE conditions of a TaskQuery (same meaning as records.matches) on a mapping of the tasks table."""
    conditions = []
    if query.owner_id is not None:
        conditions.append(rows.owner_id == query.owner_id)
    if query.done is not None:
        conditions.append(rows.done == query.done)
    if query.text:
        haystack = func.lower(rows.title + " " + rows.description)
        conditions.append(haystack.contains(query.text.lower(), autoescape=True))
    if query.before is not None:  # a keyset: one row-value comparison, which reads ix_tasks_created_at_id
        created_at, task_id = query.before
        conditions.append(tuple_(rows.created_at, rows.id) < tuple_(literal(created_at, UTCTimestamp), task_id))
    return conditions


def task_order(query: TaskQuery, rows: Any = TaskRow) -> list[ColumnElement]:
    """ORDER BY for a TaskQuery: whitelisted keys only (ValueError otherwise), id last as the tiebreaker."""
    return [
        getattr(rows, key[1:]).desc() if key.startswith("-") else getattr(rows, key).asc()
        for key in sort_key(query.sort)
    ]


def task_select(query: TaskQuery, rows: Any = TaskRow) -> Select:
    """The SELECT that list() runs: filters, order, then OFFSET/LIMIT."""
    statement = select(rows).where(*task_filters(query, rows)).order_by(*task_order(query, rows))
    if query.offset:
        statement = statement.offset(query.offset)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return statement


def task_count(query: TaskQuery, rows: Any = TaskRow) -> Select:
    """The SELECT that count() runs: how many rows match the filters."""
    return select(func.count()).select_from(rows).where(*task_filters(query, rows))
