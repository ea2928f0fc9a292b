"""A page of tasks with their owners' names, three ways: one query per owner (N+1), a JOIN, or an IN query.

The N+1 form reads as innocent code — a loop asking for each task's owner — and sends one statement per distinct
owner. The eager forms send one (JOIN) or two (the tasks, then all their owners by id: what SQLAlchemy's
selectinload does for a relationship) whatever the page size. All three give the same rows.
"""

from __future__ import annotations

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from course_lib.taskapi.records import utcnow
from course_lib.taskapi.sql_tables import TaskRow, UserRow

Row = tuple[int, str, str | None]  # (task id, title, owner's name)


def page(limit: int):
    """The newest `limit` tasks: the page every form starts from."""
    return select(TaskRow).order_by(TaskRow.created_at.desc(), TaskRow.id.desc()).limit(limit)


def owners_one_by_one(session: Session, limit: int = 50) -> list[Row]:
    """N+1: the page, then each task's owner, one query at a time."""
    rows = []
    for task in session.scalars(page(limit)):
        owner = session.get(UserRow, task.owner_id) if task.owner_id is not None else None
        rows.append((task.id, task.title, owner.name if owner else None))
    return rows


def owners_by_join(session: Session, limit: int = 50) -> list[Row]:
    """Eager, one statement: the page joined to its owners."""
    newest = page(limit).subquery()
    statement = (
        select(newest.c.id, newest.c.title, UserRow.name)
        .outerjoin(UserRow, UserRow.id == newest.c.owner_id)
        .order_by(newest.c.created_at.desc(), newest.c.id.desc())
    )
    return [tuple(row) for row in session.execute(statement)]


def owners_in_one_query(session: Session, limit: int = 50) -> list[Row]:
    """Eager, two statements: the page, then every owner it names in one IN (...) query."""
    tasks = session.scalars(page(limit)).all()
    ids = {task.owner_id for task in tasks if task.owner_id is not None}
    names = dict(session.execute(select(UserRow.id, UserRow.name).where(UserRow.id.in_(ids))).all())
    return [(task.id, task.title, names.get(task.owner_id)) for task in tasks]


def seed(engine: Engine, owners: int, tasks_per_owner: int = 1) -> None:
    """`owners` new users with `tasks_per_owner` tasks each, interleaved so that a page names many owners."""
    now = utcnow()
    with engine.begin() as connection:
        first = connection.scalar(select(UserRow.id).order_by(UserRow.id.desc()).limit(1)) or 0
        ids = range(first + 1, first + owners + 1)
        connection.execute(
            insert(UserRow),
            [
                {
                    "name": f"user {i}",
                    "email": f"user{i}@example.org",
                    "email_key": f"user{i}@example.org",
                    "created_at": now,
                }
                for i in ids
            ],
        )
        connection.execute(
            insert(TaskRow),
            [
                {"title": f"task of user {owner}", "owner_id": owner, "created_at": now, "updated_at": now}
                for _ in range(tasks_per_owner)
                for owner in ids
            ],
        )
