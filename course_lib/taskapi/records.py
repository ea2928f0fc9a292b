"""What the task API stores: task and user records, the list query, and the errors storage can raise.

A record is what the application keeps; what goes over the wire is a separate model (schemas.py), so a field such as
a password hash can never leave the server by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

SORT_KEYS = ("created_at", "updated_at", "title", "id", "done")
MAX_ID = 2**31 - 1  # ids are PostgreSQL INTEGERs (SQLite's go up to 2**63 - 1): every id must fit both


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Task:
    """A task as the application sees it."""

    id: int
    title: str
    done: bool = False
    description: str = ""
    owner_id: int | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    version: int = 1  # +1 on every update: what an ETag names (chapter 10)


@dataclass(frozen=True)
class User:
    """A user; password_hash is internal and must never appear in a response."""

    id: int
    name: str
    email: str
    role: str = "member"
    password_hash: str = ""
    created_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class TaskQuery:
    """Which tasks, in which order, which slice: the arguments of list() and count()."""

    owner_id: int | None = None
    done: bool | None = None
    text: str | None = None
    sort: tuple[str, ...] = ("id",)  # keys from SORT_KEYS, '-' for descending; id breaks ties
    offset: int = 0
    limit: int | None = None
    before: tuple[datetime, int] | None = None  # only tasks whose (created_at, id) is below this key (chapter 14)


class EmailTaken(Exception):
    """Storage refused a second user with the same email (compared case-insensitively)."""

    def __init__(self, email: str) -> None:
        super().__init__(f"a user with email {email!r} already exists")
        self.email = email


def email_key(email: str) -> str:
    """The form of an email that uniqueness compares: no surrounding space, case folded."""
    return email.strip().casefold()


def sort_key(sort: tuple[str, ...]) -> list[str]:
    """Validate sort keys (ValueError names an unknown one); id ends the order, in the last key's direction."""
    for key in sort:
        if key.lstrip("-") not in SORT_KEYS:
            raise ValueError(f"unknown sort key {key.lstrip('-')!r}; allowed: {', '.join(SORT_KEYS)}")
    if any(k.lstrip("-") == "id" for k in sort):
        return [*sort]
    # The tiebreaker runs in the same direction as the key before it, so one index in one direction serves both.
    return [*sort, "-id" if sort and sort[-1].startswith("-") else "id"]


def matches(task: Task, query: TaskQuery) -> bool:
    """True when `task` passes the query's filters."""
    return (
        (query.owner_id is None or task.owner_id == query.owner_id)
        and (query.done is None or task.done == query.done)
        and (not query.text or query.text.lower() in f"{task.title} {task.description}".lower())
        and (query.before is None or (task.created_at, task.id) < query.before)
    )
