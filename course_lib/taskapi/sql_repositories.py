"""The SQL repositories and their unit of work, over whichever row classes a SqlSchema names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from course_lib.services.db import begin_write
from course_lib.taskapi.records import EmailTaken, Task, TaskQuery, User, email_key, utcnow
from course_lib.taskapi.sql_queries import task_count, task_select
from course_lib.taskapi.storage import check_changes


def as_record(cls, row):
    """The record (Task, User) of a row: its fields read from the row's attributes."""
    return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


class SqlTasks:
    """Tasks in the `tasks` table, through the unit of work's session; this process's clock stamps them."""

    def __init__(self, session: Session, schema: SqlSchema) -> None:
        self.session, self.rows = session, schema.tasks
        self.lock_rows = False  # set by begin_write: reads take the row lock (FOR UPDATE) until commit

    def stamps(self) -> dict[str, datetime]:
        """created_at and updated_at of a new task: the same instant of the app's clock."""
        now = utcnow()
        return {"created_at": now, "updated_at": now}

    def add(self, title: str, *, description: str = "", done: bool = False, owner_id: int | None = None) -> Task:
        row = self.rows(title=title, description=description, done=done, owner_id=owner_id, **self.stamps())
        self.session.add(row)
        self.session.flush()  # the database assigns the id now
        return as_record(Task, row)

    def get(self, task_id: int) -> Task | None:
        # Under begin_write: the row as it is now, locked, so a check on it holds until this transaction ends.
        row = self.session.get(
            self.rows, task_id, with_for_update=self.lock_rows or None, populate_existing=self.lock_rows
        )
        return as_record(Task, row) if row else None

    def list(self, query: TaskQuery = TaskQuery()) -> list[Task]:
        return [as_record(Task, row) for row in self.session.scalars(task_select(query, self.rows))]

    def count(self, query: TaskQuery = TaskQuery()) -> int:
        return self.session.execute(task_count(query, self.rows)).scalar_one()

    def update(self, task_id: int, **changes) -> Task | None:
        check_changes(changes)
        # FOR UPDATE (PostgreSQL): the row stays locked until commit, so no other transaction changes it in between.
        row = self.session.get(self.rows, task_id, with_for_update=True)
        if row is None:
            return None
        for name, value in changes.items():
            setattr(row, name, value)
        row.updated_at = utcnow()
        row.version += 1
        self.session.flush()
        return as_record(Task, row)

    def delete(self, task_id: int) -> bool:
        statement = delete(self.rows).where(self.rows.id == task_id)
        return cast(CursorResult, self.session.execute(statement)).rowcount > 0


class SqlUsers:
    """Users in the `users` table; the UNIQUE email_key column refuses a second account per email."""

    def __init__(self, session: Session, schema: SqlSchema) -> None:
        self.session, self.rows = session, schema.users

    def add(self, name: str, email: str, *, role: str = "member", password_hash: str = "") -> User:
        row = self.rows(name=name, email=email, email_key=email_key(email), role=role, password_hash=password_hash)
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError:
            self.session.rollback()  # the transaction failed as a whole: nothing of it is kept
            raise EmailTaken(email) from None
        return as_record(User, row)

    def get(self, user_id: int) -> User | None:
        row = self.session.get(self.rows, user_id)
        return as_record(User, row) if row else None

    def get_by_email(self, email: str) -> User | None:
        if "\x00" in email:  # no stored address holds NUL (sign-up refuses it); PostgreSQL refuses one in text
            return None
        row = self.session.scalars(select(self.rows).where(self.rows.email_key == email_key(email))).first()
        return as_record(User, row) if row else None

    def list(self) -> list[User]:
        return [as_record(User, row) for row in self.session.scalars(select(self.rows).order_by(self.rows.id))]

    def count(self) -> int:
        return self.session.execute(select(func.count()).select_from(self.rows)).scalar_one()

    def set_role(self, user_id: int, role: str) -> User | None:
        row = self.session.get(self.rows, user_id)
        if row is None:
            return None
        row.role = role
        self.session.flush()
        return as_record(User, row)


class SqlApiKeys:
    """API key digests in the `api_keys` table."""

    def __init__(self, session: Session, schema: SqlSchema) -> None:
        self.session, self.rows, self.users = session, schema.api_keys, schema.users

    def add(self, digest: str, user_id: int) -> None:
        self.session.add(self.rows(digest=digest, user_id=user_id))
        self.session.flush()

    def user(self, digest: str) -> User | None:
        """The key's user in one query: the digest's row joined to its user's."""
        row = self.session.scalars(select(self.users).join(self.rows).where(self.rows.digest == digest)).first()
        return as_record(User, row) if row else None


@dataclass(frozen=True)
class SqlSchema:
    """What a SqlStorage maps: its row classes, the tasks repository over them, and how its tables are made."""

    # Mapped classes of two declarative bases (chapter 06's, chapter 13's) with the same columns: no common type.
    users: Any
    tasks: Any
    api_keys: Any
    build: Callable[[Engine], None]  # the schema hook: create_all (chapter 06) or the migrations (chapter 13)
    task_repository: type[SqlTasks] = SqlTasks


class SqlUnitOfWork:
    """The repositories of one database session: one transaction until commit()."""

    def __init__(self, session: Session, schema: SqlSchema) -> None:
        self.session = session
        self.tasks = schema.task_repository(session, schema)
        self.users = SqlUsers(session, schema)
        self.api_keys = SqlApiKeys(session, schema)

    def commit(self) -> None:
        self.session.commit()

    def begin_write(self) -> None:
        """Lock before reading what this unit of work will change: SQLite's write lock now, PostgreSQL's row locks."""
        begin_write(self.session.connection())
        self.tasks.lock_rows = True
