"""Seeding: task dicts inserted in batches of executemany, for demos and benchmarks (not for routes)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Engine, insert

from course_lib.taskapi.records import utcnow
from course_lib.taskapi.sql_tables import TaskRow


def insert_tasks(engine: Engine, tasks: Iterable[dict], batch_size: int = 5000, rows: Any = TaskRow) -> Iterator[int]:
    """Insert task dicts in batches of executemany; yield the running count after each batch."""
    total, batch = 0, []
    for task in tasks:
        batch.append(task)
        if len(batch) == batch_size:
            total += _insert(engine, batch, rows)
            batch = []
            yield total
    if batch:
        total += _insert(engine, batch, rows)
        yield total


def _insert(engine: Engine, batch: list[dict], rows: Any) -> int:
    now = utcnow()
    values = [
        {"description": "", "done": False, "owner_id": None, "created_at": now, "updated_at": now, "version": 1, **task}
        for task in batch
    ]
    with engine.begin() as connection:
        connection.execute(insert(rows), values)
    return len(values)
