"""The storage seam of the task API: domain records and the repository interfaces routes depend on.

Routes talk to a TaskRepository / UserRepository, never to a dict or a session, so a later chapter can swap
in-memory storage for SQL (chapters 06, 13) without touching a route.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol

SORT_KEYS = ("created_at", "updated_at", "title", "id", "done")


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Task:
    """A task as the application sees it (the API's representation is a separate model)."""

    id: int
    title: str
    done: bool = False
    description: str = ""
    owner_id: int | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


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
    sort: tuple[str, ...] = ("-created_at",)  # keys from SORT_KEYS, '-' for descending; id breaks ties
    offset: int = 0
    limit: int | None = None


class TaskRepository(Protocol):
    """Where tasks live."""

    def add(self, title: str, *, description: str = "", done: bool = False, owner_id: int | None = None) -> Task: ...
    def get(self, task_id: int) -> Task | None: ...
    def list(self, query: TaskQuery = TaskQuery()) -> list[Task]: ...
    def count(self, query: TaskQuery = TaskQuery()) -> int: ...
    def update(self, task_id: int, **changes) -> Task | None: ...
    def delete(self, task_id: int) -> bool: ...
    def clear(self) -> None: ...


class UserRepository(Protocol):
    """Where users live."""

    def add(self, name: str, email: str, *, role: str = "member", password_hash: str = "") -> User: ...
    def get(self, user_id: int) -> User | None: ...
    def get_by_email(self, email: str) -> User | None: ...
    def list(self) -> list[User]: ...
    def clear(self) -> None: ...


def sort_key(sort: tuple[str, ...]):
    """Validate sort keys (ValueError names an unknown one); id is always the final tiebreaker."""
    for key in sort:
        if key.lstrip("-") not in SORT_KEYS:
            raise ValueError(f"unknown sort key {key.lstrip('-')!r}; allowed: {', '.join(SORT_KEYS)}")
    keys = [*sort] if any(k.lstrip("-") == "id" for k in sort) else [*sort, "id"]
    return keys


def matches(task: Task, query: TaskQuery) -> bool:
    """True when `task` passes the query's filters."""
    return ((query.owner_id is None or task.owner_id == query.owner_id)
            and (query.done is None or task.done == query.done)
            and (not query.text or query.text.lower() in f"{task.title} {task.description}".lower()))


class InMemoryTaskRepository:
    """Tasks in a dict, guarded by a lock (handlers run in a thread pool)."""

    def __init__(self) -> None:
        self._tasks: dict[int, Task] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, title: str, *, description: str = "", done: bool = False, owner_id: int | None = None) -> Task:
        with self._lock:
            now = utcnow()
            task = Task(next(self._ids), title, done, description, owner_id, now, now)
            self._tasks[task.id] = task
            return task

    def get(self, task_id: int) -> Task | None:
        return self._tasks.get(task_id)

    def list(self, query: TaskQuery = TaskQuery()) -> list[Task]:
        keys = sort_key(query.sort)
        found = [task for task in self._tasks.values() if matches(task, query)]
        for key in reversed(keys):  # stable sorts, last key first
            found.sort(key=lambda task, k=key.lstrip("-"): getattr(task, k), reverse=key.startswith("-"))
        end = None if query.limit is None else query.offset + query.limit
        return found[query.offset:end]

    def count(self, query: TaskQuery = TaskQuery()) -> int:
        return sum(matches(task, query) for task in self._tasks.values())

    def update(self, task_id: int, **changes) -> Task | None:
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None:
                return None
            updated = replace(task, **changes, updated_at=utcnow())
            self._tasks[task_id] = updated
            return updated

    def delete(self, task_id: int) -> bool:
        with self._lock:
            return self._tasks.pop(task_id, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._tasks.clear()
            self._ids = itertools.count(1)


class InMemoryUserRepository:
    """Users in a dict."""

    def __init__(self) -> None:
        self._users: dict[int, User] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, name: str, email: str, *, role: str = "member", password_hash: str = "") -> User:
        with self._lock:
            user = User(next(self._ids), name, email, role, password_hash)
            self._users[user.id] = user
            return user

    def get(self, user_id: int) -> User | None:
        return self._users.get(user_id)

    def get_by_email(self, email: str) -> User | None:
        return next((user for user in self._users.values() if user.email.lower() == email.lower()), None)

    def list(self) -> list[User]:
        return sorted(self._users.values(), key=lambda user: user.id)

    def clear(self) -> None:
        with self._lock:
            self._users.clear()
            self._ids = itertools.count(1)
