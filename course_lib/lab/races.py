"""Read-modify-write races on one task row: n writers append their name to its description at once.

Each writer reads the description, waits until every writer has read (a barrier: the moment a busy API hits by
chance), then writes description + its name. How many names the row keeps says whether updates were lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from course_lib.services.db import begin_write
from course_lib.taskapi.orm_models import TaskRow
from course_lib.taskapi.sql_storage import pool_capacity

Writer = Callable[[Session, int, str, Callable[[], None]], int]  # (session, task id, name, wait) → attempts


def naive(session: Session, task_id: int, name: str, wait: Callable[[], None]) -> int:
    """Read, then UPDATE … WHERE id = :id with what was read + the name: the last writer wins."""
    description = session.scalar(select(TaskRow.description).where(TaskRow.id == task_id))
    wait()
    session.execute(update(TaskRow).where(TaskRow.id == task_id).values(description=f"{description} {name}"))
    session.commit()
    return 1


def optimistic(session: Session, task_id: int, name: str, wait: Callable[[], None]) -> int:
    """Change the loaded task: the ORM's UPDATE says AND version = <read>; 0 rows → StaleDataError → read again."""
    attempts = 0
    while True:
        attempts += 1
        task = session.get_one(TaskRow, task_id, populate_existing=True)
        wait()
        task.description = f"{task.description} {name}"
        try:
            session.commit()
            return attempts
        except StaleDataError:
            session.rollback()  # someone else's version got there first: nothing of ours was written


def locked(session: Session, task_id: int, name: str, wait: Callable[[], None]) -> int:
    """Lock, then read: SELECT … FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite; the next writer waits."""
    begin_write(session.connection())  # SQLite has no row locks: its one write lock, taken before the read
    task = session.get_one(TaskRow, task_id, with_for_update=True, populate_existing=True)
    # No wait(): nobody else can read the row until we commit, so waiting for every writer to read would never end.
    task.description = f"{task.description} {name}"
    session.commit()
    return 1


def race(engine: Engine, task_id: int, writer: Writer, writers: int = 12) -> dict[str, int]:
    """Run `writers` writers at once on the task; {'names kept': …, 'attempts': …} afterwards."""
    if writers > pool_capacity(engine):  # every writer holds a connection while it waits for the others to read
        raise ValueError(f"{writers} writers need {writers} connections; the pool has {pool_capacity(engine)}")
    sessions = sessionmaker(engine)
    barrier = threading.Barrier(writers)
    waited = threading.local()

    def wait() -> None:
        if not getattr(waited, "done", False):  # only the first read of each writer waits for the others
            waited.done = True
            barrier.wait(timeout=30)

    def one(number: int) -> int:
        waited.done = False
        with sessions() as session:
            return writer(session, task_id, f"w{number}", wait)

    with ThreadPoolExecutor(writers) as pool:
        attempts = sum(pool.map(one, range(writers)))
    with sessions() as session:
        description = session.execute(select(TaskRow.description).where(TaskRow.id == task_id)).scalar_one()
    return {"names kept": len(description.split()), "attempts": attempts}
