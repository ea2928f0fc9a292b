"""Chapter 06's tables (users, tasks, api_keys), made by create_all; the app's clock stamps their rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Engine, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from course_lib.taskapi.records import utcnow
from course_lib.taskapi.sql_types import UTCTimestamp

# The database keeps the invariants, so they hold with any number of app processes on one database:
# - an email is UNIQUE (on its case-folded form): a second sign-up with it fails in the database, not in a lock;
# - a task's owner is a FOREIGN KEY to users, ON DELETE CASCADE: deleting a user deletes the user's tasks;
# - an API key is stored as its SHA-256 digest with a foreign key to its user: a leaked table reveals no key.


class UserColumns:
    """The users table as chapter 06 declares it (chapter 13 maps it again, with the database's clock)."""

    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320), unique=True)  # the case-folded email: one account each
    role: Mapped[str] = mapped_column(String(50), default="member")
    password_hash: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCTimestamp, default=utcnow)


class TaskColumns:
    """The tasks table as chapter 06 declares it (chapter 13 maps it again, with the database's clock)."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Byte order on PostgreSQL too, so sort=title gives the same pages on every database (as SQLite's BINARY).
    title: Mapped[str] = mapped_column(String(500).with_variant(String(500, collation="C"), "postgresql"))
    description: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCTimestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCTimestamp, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)  # +1 on every update: what an ETag names


class ApiKeyColumns:
    """The api_keys table as chapter 06 declares it: a key's digest, never the key."""

    __tablename__ = "api_keys"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCTimestamp, default=utcnow)


class Base(DeclarativeBase):
    """The tables of the task API from chapter 06 on."""


class UserRow(UserColumns, Base):
    """One row of the users table."""


class TaskRow(TaskColumns, Base):
    """One row of the tasks table."""

    # AUTOINCREMENT on SQLite: a deleted task's id is never handed to a new task (its URL stays gone).
    __table_args__ = (
        # The default order, newest first: ORDER BY created_at DESC, id DESC reads this index backwards, no sort.
        Index("ix_tasks_created_at_id", "created_at", "id"),
        Index("ix_tasks_owner_created_at_id", "owner_id", "created_at", "id"),  # /users/{id}/tasks
        {"sqlite_autoincrement": True},
    )


class ApiKeyRow(ApiKeyColumns, Base):
    """One issued API key."""


def create_tables(engine: Engine) -> None:
    """Create the tables and indexes that do not exist yet."""
    Base.metadata.create_all(engine)
