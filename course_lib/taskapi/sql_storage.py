"""Tasks, users and API keys in a SQL database (SQLite or PostgreSQL), one session per unit of work.

The database keeps the invariants, so they hold with any number of app processes on one database:
- an email is UNIQUE (on its case-folded form): a second sign-up with it fails in the database, not in a lock;
- a task's owner is a FOREIGN KEY to users, ON DELETE CASCADE: deleting a user deletes the user's tasks;
- an API key is stored as its SHA-256 digest with a foreign key to its user: a leaked table reveals no key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, cast

import anyio
from sqlalchemy import (
    Boolean,
    CursorResult,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    delete,
    func,
    insert,
    literal,
    select,
    tuple_,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from course_lib.services.db import Database, begin_write, database_for
from course_lib.services.settings import Settings
from course_lib.taskapi.records import EmailTaken, Task, TaskQuery, User, email_key, sort_key, utcnow
from course_lib.taskapi.storage import AutoCommitRepositories, UnitOfWork, check_changes


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every database: SQLite keeps naive UTC text, PostgreSQL timestamptz."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: say which timezone it is in (use datetime.now(UTC))")
        value = value.astimezone(UTC)
        # SQLite has no timezone type; naive UTC text also sorts in time order.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """The tables of the task API from chapter 06 on."""


class UserRow(Base):
    """One row of the users table."""

    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320), unique=True)  # the case-folded email: one account each
    role: Mapped[str] = mapped_column(String(50), default="member")
    password_hash: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaskRow(Base):
    """One row of the tasks table."""

    __tablename__ = "tasks"
    # AUTOINCREMENT on SQLite: a deleted task's id is never handed to a new task (its URL stays gone).
    __table_args__ = (
        # The default order, newest first: ORDER BY created_at DESC, id DESC reads this index backwards, no sort.
        Index("ix_tasks_created_at_id", "created_at", "id"),
        Index("ix_tasks_owner_created_at_id", "owner_id", "created_at", "id"),  # /users/{id}/tasks
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Byte order on PostgreSQL too, so sort=title gives the same pages on every database (as SQLite's BINARY).
    title: Mapped[str] = mapped_column(String(500).with_variant(String(500, collation="C"), "postgresql"))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)  # +1 on every update: what an ETag names


class ApiKeyRow(Base):
    """One issued API key: its digest, never the key."""

    __tablename__ = "api_keys"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def create_tables(engine: Engine) -> None:
    """Create the tables and indexes that do not exist yet."""
    Base.metadata.create_all(engine)


def _record(cls, row):
    return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


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
        conditions.append(tuple_(rows.created_at, rows.id) < tuple_(literal(created_at, UTCDateTime), task_id))
    return conditions


def task_order(query: TaskQuery, rows: Any = TaskRow) -> list[ColumnElement]:
    """ORDER BY for a TaskQuery: whitelisted keys only (ValueError otherwise), id last as the tiebreaker."""
    return [getattr(rows, key[1:]).desc() if key.startswith("-") else getattr(rows, key).asc()
            for key in sort_key(query.sort)]


def task_select(query: TaskQuery, rows: Any = TaskRow) -> Select:
    """The SELECT that list() runs: filters, order, then OFFSET/LIMIT."""
    statement = select(rows).where(*task_filters(query, rows)).order_by(*task_order(query, rows))
    if query.offset:
        statement = statement.offset(query.offset)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return statement


class SqlTasks:
    """Tasks in the `tasks` table, through the unit of work's session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.lock_rows = False  # set by begin_write: reads take the row lock (FOR UPDATE) until commit

    def add(self, title: str, *, description: str = "", done: bool = False, owner_id: int | None = None) -> Task:
        now = utcnow()
        row = TaskRow(title=title, description=description, done=done, owner_id=owner_id, created_at=now,
                      updated_at=now)
        self.session.add(row)
        self.session.flush()  # the database assigns the id now
        return _record(Task, row)

    def get(self, task_id: int) -> Task | None:
        if self.lock_rows:  # the row as it is now, locked: a check on it holds until this transaction ends
            row = self.session.get(TaskRow, task_id, with_for_update=True, populate_existing=True)
        else:
            row = self.session.get(TaskRow, task_id)
        return _record(Task, row) if row else None

    def list(self, query: TaskQuery = TaskQuery()) -> list[Task]:
        return [_record(Task, row) for row in self.session.scalars(task_select(query))]

    def count(self, query: TaskQuery = TaskQuery()) -> int:
        return self.session.execute(select(func.count()).select_from(TaskRow).where(*task_filters(query))).scalar_one()

    def update(self, task_id: int, **changes) -> Task | None:
        check_changes(changes)
        # FOR UPDATE (PostgreSQL): the row stays locked until commit, so no other transaction changes it in between.
        row = self.session.get(TaskRow, task_id, with_for_update=True)
        if row is None:
            return None
        for name, value in changes.items():
            setattr(row, name, value)
        row.updated_at = utcnow()
        row.version += 1
        self.session.flush()
        return _record(Task, row)

    def delete(self, task_id: int) -> bool:
        return cast(CursorResult, self.session.execute(delete(TaskRow).where(TaskRow.id == task_id))).rowcount > 0


class SqlUsers:
    """Users in the `users` table; the UNIQUE email_key column refuses a second account per email."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, name: str, email: str, *, role: str = "member", password_hash: str = "") -> User:
        row = UserRow(name=name, email=email, email_key=email_key(email), role=role, password_hash=password_hash,
                      created_at=utcnow())
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError:
            self.session.rollback()  # the transaction failed as a whole: nothing of it is kept
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
        row = self.session.get(UserRow, user_id)
        if row is None:
            return None
        row.role = role
        self.session.flush()
        return _record(User, row)


class SqlApiKeys:
    """API key digests in the `api_keys` table."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, digest: str, user_id: int) -> None:
        self.session.add(ApiKeyRow(digest=digest, user_id=user_id, created_at=utcnow()))
        self.session.flush()

    def user(self, digest: str) -> User | None:
        """The key's user in one query: the digest's row joined to its user's."""
        row = self.session.scalars(select(UserRow).join(ApiKeyRow).where(ApiKeyRow.digest == digest)).first()
        return _record(User, row) if row else None


class SqlUnitOfWork:
    """The repositories of one database session: one transaction until commit()."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.tasks = SqlTasks(session)
        self.users = SqlUsers(session)
        self.api_keys = SqlApiKeys(session)

    def commit(self) -> None:
        self.session.commit()

    def begin_write(self) -> None:
        """Lock before reading what this unit of work will change: SQLite's write lock now, PostgreSQL's row locks."""
        begin_write(self.session.connection())
        self.tasks.lock_rows = True


def pool_capacity(engine: Engine) -> int:
    """How many connections the engine's pool hands out at most (its size plus overflow)."""
    pool = engine.pool
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", 0)
    return max(1, size() + max(overflow, 0)) if callable(size) else 1


class SqlStorage(AutoCommitRepositories):
    """An app's data in a SQL database: its own database by default, or one shared by replicas."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._sessions = sessionmaker(database.engine, expire_on_commit=False)
        self._slots = anyio.Semaphore(pool_capacity(database.engine))
        create_tables(database.engine)
        database.engine.dispose()  # no idle connection held for an app that is built but never served

    @classmethod
    def for_settings(cls, settings: Settings) -> SqlStorage:
        """Storage on the configured database (settings.database_url, else an embedded SQLite file)."""
        return cls(database_for(settings))

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """A session; closing it rolls back whatever was not committed."""
        with self._sessions() as session:
            yield SqlUnitOfWork(session)

    @asynccontextmanager
    async def request_unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """The same, for a request: it waits on the event loop until a connection is surely free for it."""
        # One slot per pooled connection. Without them, a crowd's worker threads would all block on the pool while
        # the requests that hold its connections wait for a thread to finish on: everybody waits for 30 s.
        async with self._slots:
            with self.unit_of_work() as uow:
                yield uow

    def start(self) -> None:
        """Make sure the database and its tables exist (again, if an earlier server of this app dropped them)."""
        self.database.create()
        create_tables(self.database.engine)

    def stop(self) -> None:
        """Give the database back: an app's own database is dropped, a shared one only disconnected."""
        self.database.drop()

    def add_many(self, tasks: Iterable[dict], batch_size: int = 5000) -> Iterator[int]:
        """Insert task dicts in batches; yield the running count after each batch (for seeding, not for routes)."""
        return insert_tasks(self.database.engine, tasks, batch_size)


def insert_tasks(engine: Engine, tasks: Iterable[dict], batch_size: int = 5000) -> Iterator[int]:
    """Insert task dicts in batches of executemany; yield the running count after each batch."""
    total, batch = 0, []
    for task in tasks:
        batch.append(task)
        if len(batch) == batch_size:
            total += _insert(engine, batch)
            batch = []
            yield total
    if batch:
        total += _insert(engine, batch)
        yield total


def _insert(engine: Engine, batch: list[dict]) -> int:
    now = utcnow()
    rows = [{"description": "", "done": False, "owner_id": None, "created_at": now, "updated_at": now, "version": 1,
             **task}
            for task in batch]
    with engine.begin() as connection:
        connection.execute(insert(TaskRow), rows)
    return len(rows)
