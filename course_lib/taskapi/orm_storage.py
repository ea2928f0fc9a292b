"""Chapter 13's storage: the same repositories over the ORM models, a schema built by migrations, the database's clock.

What changes against sql_storage (chapter 06): the tables come from Alembic migrations (upgrade head when the app
starts), an insert leaves created_at/updated_at/version to the column DEFAULTs and reads them back (RETURNING), and an
update is one statement that lets the database set version + 1 and updated_at, so no read-modify-write can lose it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from typing import cast

import anyio
from sqlalchemy import ColumnElement, CursorResult, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from course_lib.services import migrations
from course_lib.services.db import Database, begin_write
from course_lib.taskapi import sql_storage
from course_lib.taskapi.orm_models import ApiKeyRow, TaskRow, UserRow
from course_lib.taskapi.records import EmailTaken, Task, TaskQuery, User, email_key
from course_lib.taskapi.sql_storage import SqlStorage, pool_capacity
from course_lib.taskapi.storage import UnitOfWork, check_changes


def _record(cls, row):
    return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


def task_filters(query: TaskQuery) -> list[ColumnElement[bool]]:
    """The WHERE conditions of a TaskQuery: chapter 06's, on the ORM's mapping of the tasks table."""
    return sql_storage.task_filters(query, TaskRow)


def task_select(query: TaskQuery):
    """The SELECT list() runs: chapter 06's filters, order and OFFSET/LIMIT on the ORM's mapping of the tasks table."""
    return sql_storage.task_select(query, TaskRow)


class OrmTasks:
    """Tasks through the ORM: the database sets the timestamps and the version."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.lock_rows = False  # set by begin_write: reads take the row lock (FOR UPDATE) until commit

    def add(self, title: str, *, description: str = "", done: bool = False, owner_id: int | None = None) -> Task:
        row = TaskRow(title=title, description=description, done=done, owner_id=owner_id)
        self.session.add(row)
        self.session.flush()  # INSERT … RETURNING id, created_at, updated_at, version: all set by the database
        return _record(Task, row)

    def get(self, task_id: int) -> Task | None:
        row = self.session.get(TaskRow, task_id, with_for_update=self.lock_rows or None,
                               populate_existing=self.lock_rows)
        return _record(Task, row) if row else None

    def list(self, query: TaskQuery = TaskQuery()) -> list[Task]:
        return [_record(Task, row) for row in self.session.scalars(task_select(query))]

    def count(self, query: TaskQuery = TaskQuery()) -> int:
        return self.session.execute(select(func.count()).select_from(TaskRow).where(*task_filters(query))).scalar_one()

    def update(self, task_id: int, **changes) -> Task | None:
        check_changes(changes)
        # One statement: the database adds 1 to the version it holds and sets updated_at (the column's onupdate),
        # so two updates can never both start from the same version.
        statement = (update(TaskRow).where(TaskRow.id == task_id)
                     .values(**changes, version=TaskRow.version + 1).returning(TaskRow))
        row = self.session.scalars(statement, execution_options={"populate_existing": True}).one_or_none()
        return _record(Task, row) if row else None

    def delete(self, task_id: int) -> bool:
        return cast(CursorResult, self.session.execute(delete(TaskRow).where(TaskRow.id == task_id))).rowcount > 0


class OrmUsers:
    """Users through the ORM; the UNIQUE email_key refuses a second account per email."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, name: str, email: str, *, role: str = "member", password_hash: str = "") -> User:
        row = UserRow(name=name, email=email, email_key=email_key(email), role=role, password_hash=password_hash)
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError:
            self.session.rollback()
            raise EmailTaken(email) from None
        return _record(User, row)

    def get(self, user_id: int) -> User | None:
        row = self.session.get(UserRow, user_id)
        return _record(User, row) if row else None

    def get_by_email(self, email: str) -> User | None:
        row = self.session.scalars(select(UserRow).where(UserRow.email_key == email_key(email))).first()
        return _record(User, row) if row else None

    def list(self) -> list[User]:
        return [_record(User, row) for row in self.session.scalars(select(UserRow).order_by(UserRow.id))]

    def set_role(self, user_id: int, role: str) -> User | None:
        statement = update(UserRow).where(UserRow.id == user_id).values(role=role).returning(UserRow)
        row = self.session.scalars(statement, execution_options={"populate_existing": True}).one_or_none()
        return _record(User, row) if row else None


class OrmApiKeys:
    """API key digests."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, digest: str, user_id: int) -> None:
        self.session.add(ApiKeyRow(digest=digest, user_id=user_id))
        self.session.flush()

    def user(self, digest: str) -> User | None:
        """The key's user in one query: the digest's row joined to its user's."""
        row = self.session.scalars(select(UserRow).join(ApiKeyRow).where(ApiKeyRow.digest == digest)).first()
        return _record(User, row) if row else None


class OrmUnitOfWork:
    """The ORM repositories of one session: one transaction until commit()."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.tasks = OrmTasks(session)
        self.users = OrmUsers(session)
        self.api_keys = OrmApiKeys(session)

    def commit(self) -> None:
        self.session.commit()

    def begin_write(self) -> None:
        """Lock before reading what this unit of work will change: SQLite's write lock now, PostgreSQL's row locks."""
        begin_write(self.session.connection())
        self.tasks.lock_rows = True


class OrmStorage(SqlStorage):
    """SqlStorage whose schema comes from the migrations, and whose units of work use the ORM repositories."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._sessions = sessionmaker(database.engine, expire_on_commit=False)
        self._slots = anyio.Semaphore(pool_capacity(database.engine))
        migrations.upgrade(database.engine)
        database.engine.dispose()  # no idle connection held for an app that is built but never served

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """A session; closing it rolls back whatever was not committed."""
        with self._sessions() as session:
            yield OrmUnitOfWork(session)

    def start(self) -> None:
        """Make sure the database exists and stands at the newest revision (again, if a server dropped it)."""
        gone = self.database.dropped  # built and not served yet: __init__ has just migrated it
        self.database.create()
        if gone:
            migrations.upgrade(self.database.engine)
