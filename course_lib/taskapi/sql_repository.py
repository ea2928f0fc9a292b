"""Tasks and users in a SQL database (SQLite or PostgreSQL) behind the same repository interface as in memory."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import fields
from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, Engine, Index, Integer, String, Text, delete, func, insert, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from course_lib.taskapi.repository import Task, TaskQuery, User, sort_key, utcnow


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


class TaskRow(Base):
    """One row of the tasks table."""

    __tablename__ = "tasks"
    # AUTOINCREMENT on SQLite: a deleted task's id is never handed to a new task (its URL stays gone).
    __table_args__ = (
        Index("ix_tasks_created_at_id", "created_at", "id"),  # the default order: -created_at, then id
        Index("ix_tasks_owner_created_at_id", "owner_id", "created_at", "id"),  # /users/{id}/tasks
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Byte order on PostgreSQL too, so sort=title gives the same pages on every database (as SQLite's BINARY).
    title: Mapped[str] = mapped_column(String(500).with_variant(String(500, collation="C"), "postgresql"))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    # No foreign key: the repository contract lets a task name any owner id, as the in-memory version does.
    owner_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserRow(Base):
    """One row of the users table."""

    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(50), default="member")
    password_hash: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


Index("ix_users_email_lower", func.lower(UserRow.email))  # get_by_email ignores case

SORT_COLUMNS = {"created_at": TaskRow.created_at, "updated_at": TaskRow.updated_at, "title": TaskRow.title,
                "id": TaskRow.id, "done": TaskRow.done}


def create_tables(engine: Engine) -> None:
    """Create the tables and indexes that do not exist yet."""
    Base.metadata.create_all(engine)


def _record(cls, row):
    return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


def task_filters(query: TaskQuery) -> list[ColumnElement[bool]]:
    """The WHERE conditions of a TaskQuery (same meaning as repository.matches)."""
    conditions = []
    if query.owner_id is not None:
        conditions.append(TaskRow.owner_id == query.owner_id)
    if query.done is not None:
        conditions.append(TaskRow.done == query.done)
    if query.text:
        haystack = func.lower(TaskRow.title + " " + TaskRow.description)
        conditions.append(haystack.contains(query.text.lower(), autoescape=True))
    return conditions


def task_order(query: TaskQuery) -> list[ColumnElement]:
    """ORDER BY for a TaskQuery: whitelisted keys only (ValueError otherwise), id last as the tiebreaker."""
    return [SORT_COLUMNS[key.lstrip("-")].desc() if key.startswith("-") else SORT_COLUMNS[key].asc()
            for key in sort_key(query.sort)]


def task_select(query: TaskQuery):
    """The SELECT that list() runs: filters, order, then OFFSET/LIMIT."""
    statement = select(TaskRow).where(*task_filters(query)).order_by(*task_order(query))
    if query.offset:
        statement = statement.offset(query.offset)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return statement


class SqlTaskRepository:
    """Tasks in the `tasks` table; each call is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def add(self, title: str, *, description: str = "", done: bool = False, owner_id: int | None = None) -> Task:
        now = utcnow()
        row = TaskRow(title=title, description=description, done=done, owner_id=owner_id, created_at=now,
                      updated_at=now)
        with self._sessions.begin() as session:
            session.add(row)
        return _record(Task, row)

    def add_many(self, tasks: Iterable[dict], batch_size: int = 5000) -> Iterator[int]:
        """Insert task dicts in batches of executemany; yield the running count after each batch."""
        total, batch = 0, []
        for task in tasks:
            batch.append(task)
            if len(batch) == batch_size:
                total += self._insert(batch)
                batch = []
                yield total
        if batch:
            total += self._insert(batch)
            yield total

    def _insert(self, batch: list[dict]) -> int:
        now = utcnow()
        rows = [{"description": "", "done": False, "owner_id": None, "created_at": now, "updated_at": now, **task}
                for task in batch]
        with self.engine.begin() as connection:
            connection.execute(insert(TaskRow), rows)
        return len(rows)

    def get(self, task_id: int) -> Task | None:
        with self._sessions() as session:
            row = session.get(TaskRow, task_id)
            return _record(Task, row) if row else None

    def list(self, query: TaskQuery = TaskQuery()) -> list[Task]:
        with self._sessions() as session:
            return [_record(Task, row) for row in session.scalars(task_select(query))]

    def count(self, query: TaskQuery = TaskQuery()) -> int:
        statement = select(func.count()).select_from(TaskRow).where(*task_filters(query))
        with self._sessions() as session:
            return session.scalar(statement)

    def update(self, task_id: int, **changes) -> Task | None:
        unknown = (set(changes) - {f.name for f in fields(Task)}) | ({"id"} & set(changes))
        if unknown:
            raise TypeError(f"cannot change {', '.join(sorted(unknown))}")
        with self._sessions.begin() as session:
            row = session.get(TaskRow, task_id)
            if row is None:
                return None
            for name, value in changes.items():
                setattr(row, name, value)
            row.updated_at = utcnow()
        return _record(Task, row)

    def delete(self, task_id: int) -> bool:
        with self._sessions.begin() as session:
            return session.execute(delete(TaskRow).where(TaskRow.id == task_id)).rowcount > 0

    def clear(self) -> None:
        _clear(self.engine, TaskRow.__tablename__)


class SqlUserRepository:
    """Users in the `users` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def add(self, name: str, email: str, *, role: str = "member", password_hash: str = "") -> User:
        row = UserRow(name=name, email=email, role=role, password_hash=password_hash, created_at=utcnow())
        with self._sessions.begin() as session:
            session.add(row)
        return _record(User, row)

    def get(self, user_id: int) -> User | None:
        with self._sessions() as session:
            row = session.get(UserRow, user_id)
            return _record(User, row) if row else None

    def get_by_email(self, email: str) -> User | None:
        statement = select(UserRow).where(func.lower(UserRow.email) == email.lower()).order_by(UserRow.id).limit(1)
        with self._sessions() as session:
            row = session.scalars(statement).first()
            return _record(User, row) if row else None

    def list(self) -> list[User]:
        with self._sessions() as session:
            return [_record(User, row) for row in session.scalars(select(UserRow).order_by(UserRow.id))]

    def clear(self) -> None:
        _clear(self.engine, UserRow.__tablename__)


def _clear(engine: Engine, table: str) -> None:
    """Delete every row and restart ids at 1, as a fresh in-memory repository does."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {table} RESTART IDENTITY"))
        else:
            connection.execute(text(f"DELETE FROM {table}"))
            if engine.dialect.name == "sqlite":
                connection.execute(text("DELETE FROM sqlite_sequence WHERE name = :table"), {"table": table})
