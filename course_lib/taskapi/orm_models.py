"""Chapter 13's ORM models of the task API's tables: the database's clock sets created_at and updated_at.

The tables are chapter 06's (the column mixins of sql_tables.py), mapped again with what an ORM design adds:
- created_at and updated_at come from the database (server defaults), in UTC, not from each app process's clock;
- updated_at moves on every UPDATE SQLAlchemy emits (an onupdate, not a trigger: raw SQL skips it), and only
  forward per row: the later of the database's now and the old value + 1 tick (not commit order across rows);
- the ORM checks the version column itself (version_id_col): an UPDATE … WHERE version = :read, 0 rows → StaleDataError;
- relationships between users and tasks that refuse to load lazily: every query says what it loads (selectinload);
- an index for every sort the API allows, so no allowed sort makes the database sort the table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.functions import FunctionElement

from course_lib.taskapi.sql_tables import ApiKeyColumns, TaskColumns, UserColumns
from course_lib.taskapi.sql_types import UTCTimestamp


class utc_now(FunctionElement):  # a SQL function, named as SQL names them
    """The database's current time in UTC, in the form the column stores (server_default, onupdate)."""

    type = UTCTimestamp()
    inherit_cache = True


@compiles(utc_now)
def _utc_now(element, compiler, **kw) -> str:
    return "CURRENT_TIMESTAMP"


@compiles(utc_now, "postgresql")
def _utc_now_postgresql(element, compiler, **kw) -> str:
    return "now()"  # timestamptz: an instant, whatever the session's TimeZone


@compiles(utc_now, "sqlite")
def _utc_now_sqlite(element, compiler, **kw) -> str:
    # SQLite has no timestamp type: UTC text with 6 fraction digits as SQLAlchemy writes it (text order = time order).
    return "strftime('%Y-%m-%d %H:%M:%f000', 'now')"


class next_updated_at(FunctionElement):
    """updated_at for an UPDATE of a task: the database's now, or the old value + 1 tick if the clock has not moved."""

    type = UTCTimestamp()
    inherit_cache = True


@compiles(next_updated_at)
def _next_updated_at(element, compiler, **kw) -> str:
    return "CURRENT_TIMESTAMP"


@compiles(next_updated_at, "postgresql")
def _next_updated_at_postgresql(element, compiler, **kw) -> str:
    # now() is when the transaction began: one that waited for a row lock could otherwise write an earlier time.
    return "GREATEST(now(), updated_at + interval '1 microsecond')"


@compiles(next_updated_at, "sqlite")
def _next_updated_at_sqlite(element, compiler, **kw) -> str:
    # SQLite's clock ticks in milliseconds: two updates in one millisecond would otherwise get the same time.
    return (
        "strftime('%Y-%m-%d %H:%M:%f000', max(julianday('now'), coalesce(julianday(updated_at), 0) + 1 / 86400000.0))"
    )


class Base(DeclarativeBase):
    """The task API's tables as chapter 13 maps them."""


class UserRow(UserColumns, Base):
    """A user, and the user's tasks (loaded only when a query asks)."""

    __mapper_args__ = {"eager_defaults": True}  # INSERT … RETURNING brings back what the database set

    created_at: Mapped[datetime] = mapped_column(UTCTimestamp, server_default=utc_now())

    # lazy="raise": touching user.tasks without loading it is an error, not a hidden query per user (N+1).
    tasks: Mapped[list[TaskRow]] = relationship(
        back_populates="owner", lazy="raise", order_by="TaskRow.id", passive_deletes=True
    )  # ON DELETE CASCADE does the deleting


class TaskRow(TaskColumns, Base):
    """A task; its owner is a many-to-one relationship over owner_id."""

    __table_args__ = (
        Index("ix_tasks_created_at_id", "created_at", "id"),  # sort=created_at (the default, read backwards)
        Index("ix_tasks_owner_created_at_id", "owner_id", "created_at", "id"),  # /users/{id}/tasks
        Index("ix_tasks_updated_at_id", "updated_at", "id"),  # sort=updated_at
        Index("ix_tasks_title_id", "title", "id"),  # sort=title
        Index("ix_tasks_done_id", "done", "id"),  # sort=done
        {"sqlite_autoincrement": True},
    )

    created_at: Mapped[datetime] = mapped_column(UTCTimestamp, server_default=utc_now())
    updated_at: Mapped[datetime] = mapped_column(UTCTimestamp, server_default=utc_now(), onupdate=next_updated_at())
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    owner: Mapped[UserRow | None] = relationship(back_populates="tasks", lazy="raise")

    # The ORM adds "AND version = <the version read>" to every UPDATE and DELETE of a loaded task, and sets version + 1;
    # 0 rows matched means another transaction changed the task first: StaleDataError, nothing overwritten.
    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}


class ApiKeyRow(ApiKeyColumns, Base):
    """One issued API key: its digest, never the key."""

    created_at: Mapped[datetime] = mapped_column(UTCTimestamp, server_default=utc_now())

    __mapper_args__ = {"eager_defaults": True}
