"""The storage seam: routes ask a unit of work for repositories and commit once; two implementations keep the data.

A unit of work is one transaction: everything a request reads and writes through it is committed together by
`commit()`, or not at all. So a check followed by a write (find the task, check its owner, change it) cannot
interleave with another request's write. MemoryStorage (chapters 01–05) runs one unit of work at a time over dicts;
SqlStorage (sql_storage.py, from chapter 06) gives each unit of work its own database session.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass, field, fields, replace
from operator import attrgetter
from typing import Protocol

import anyio

from course_lib.taskapi.records import EmailTaken, Task, TaskQuery, User, email_key, matches, sort_key, utcnow


class TaskRepository(Protocol):
    """Where tasks live."""

    def add(self, title: str, *, description: str = "", done: bool = False, owner_id: int | None = None) -> Task: ...
    def get(self, task_id: int) -> Task | None: ...
    def list(self, query: TaskQuery = TaskQuery()) -> list[Task]: ...
    def count(self, query: TaskQuery = TaskQuery()) -> int: ...
    def update(self, task_id: int, **changes) -> Task | None: ...
    def delete(self, task_id: int) -> bool: ...


class UserRepository(Protocol):
    """Where users live; add() raises EmailTaken for an email already in use."""

    def add(self, name: str, email: str, *, role: str = "member", password_hash: str = "") -> User: ...
    def get(self, user_id: int) -> User | None: ...
    def get_by_email(self, email: str) -> User | None: ...
    def list(self) -> list[User]: ...
    def count(self) -> int: ...
    def set_role(self, user_id: int, role: str) -> User | None: ...


class ApiKeyRepository(Protocol):
    """Issued API keys, stored as digests only."""

    def add(self, digest: str, user_id: int) -> None: ...
    def user(self, digest: str) -> User | None: ...


class UnitOfWork(Protocol):
    """The repositories of one transaction; begin_write() before reading what it will change (chapter 10)."""

    # Read-only to callers (properties), so an implementation may hold its own repository classes in them.
    @property
    def tasks(self) -> TaskRepository: ...
    @property
    def users(self) -> UserRepository: ...
    @property
    def api_keys(self) -> ApiKeyRepository: ...

    def commit(self) -> None: ...
    def begin_write(self) -> None: ...


class Storage(Protocol):
    """Where an app keeps its data: opens units of work; start() and stop() bracket a server's life."""

    def unit_of_work(self) -> AbstractContextManager[UnitOfWork]: ...
    def request_unit_of_work(self) -> AbstractAsyncContextManager[UnitOfWork]: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...


class Seedable(Protocol):
    """A storage that inserts tasks in bulk past the units of work (SqlStorage: for seeding, not for routes)."""

    def add_many(self, tasks: Iterable[dict], batch_size: int = ...) -> Iterator[int]: ...


TURN_POLL_SECONDS = 0.001  # how often a waiting request looks whether the memory store is free
CHANGEABLE = {f.name for f in fields(Task)} - {"id", "created_at", "updated_at", "version"}


def check_changes(changes: dict) -> None:
    """TypeError for a field update() may not change (id, timestamps, unknown names)."""
    refused = set(changes) - CHANGEABLE
    if refused:
        raise TypeError(f"cannot change {', '.join(sorted(refused))}")


@dataclass
class MemoryData:
    """Everything MemoryStorage holds; a unit of work changes a copy and commit() swaps it in."""

    tasks: dict[int, Task] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    emails: dict[str, int] = field(default_factory=dict)  # email_key -> user id: the uniqueness index
    api_keys: dict[str, int] = field(default_factory=dict)  # digest -> user id
    last_task_id: int = 0
    last_user_id: int = 0

    def copy(self) -> MemoryData:
        return replace(
            self, tasks=dict(self.tasks), users=dict(self.users), emails=dict(self.emails), api_keys=dict(self.api_keys)
        )


class MemoryTasks:
    """Tasks in a dict of the unit of work's copy."""

    def __init__(self, data: MemoryData) -> None:
        self.data = data

    def add(self, title: str, *, description: str = "", done: bool = False, owner_id: int | None = None) -> Task:
        if owner_id is not None and owner_id not in self.data.users:
            raise LookupError(f"no user {owner_id}")  # what a foreign key refuses in SQL
        self.data.last_task_id += 1
        now = utcnow()
        task = Task(self.data.last_task_id, title, done, description, owner_id, now, now)
        self.data.tasks[task.id] = task
        return task

    def get(self, task_id: int) -> Task | None:
        return self.data.tasks.get(task_id)

    def list(self, query: TaskQuery = TaskQuery()) -> list[Task]:
        found = [task for task in self.data.tasks.values() if matches(task, query)]
        for key in reversed(sort_key(query.sort)):  # stable sorts, last key first
            found.sort(key=attrgetter(key.lstrip("-")), reverse=key.startswith("-"))
        end = None if query.limit is None else query.offset + query.limit
        return found[query.offset : end]

    def count(self, query: TaskQuery = TaskQuery()) -> int:
        return sum(matches(task, query) for task in self.data.tasks.values())

    def update(self, task_id: int, **changes) -> Task | None:
        check_changes(changes)
        task = self.data.tasks.get(task_id)
        if task is None:
            return None
        updated = replace(task, **changes, updated_at=utcnow(), version=task.version + 1)
        self.data.tasks[task_id] = updated
        return updated

    def delete(self, task_id: int) -> bool:
        return self.data.tasks.pop(task_id, None) is not None


class MemoryUsers:
    """Users in a dict, with an email index that refuses duplicates as a UNIQUE constraint would."""

    def __init__(self, data: MemoryData) -> None:
        self.data = data

    def add(self, name: str, email: str, *, role: str = "member", password_hash: str = "") -> User:
        if email_key(email) in self.data.emails:
            raise EmailTaken(email)
        self.data.last_user_id += 1
        user = User(self.data.last_user_id, name, email, role, password_hash)
        self.data.users[user.id] = user
        self.data.emails[email_key(email)] = user.id
        return user

    def get(self, user_id: int) -> User | None:
        return self.data.users.get(user_id)

    def get_by_email(self, email: str) -> User | None:
        user_id = self.data.emails.get(email_key(email))
        return None if user_id is None else self.data.users[user_id]

    def list(self) -> list[User]:
        return sorted(self.data.users.values(), key=lambda user: user.id)

    def count(self) -> int:
        return len(self.data.users)

    def set_role(self, user_id: int, role: str) -> User | None:
        if user_id not in self.data.users:
            return None
        self.data.users[user_id] = replace(self.data.users[user_id], role=role)
        return self.data.users[user_id]


class MemoryApiKeys:
    """Key digests in a dict."""

    def __init__(self, data: MemoryData) -> None:
        self.data = data

    def add(self, digest: str, user_id: int) -> None:
        self.data.api_keys[digest] = user_id

    def user(self, digest: str) -> User | None:
        user_id = self.data.api_keys.get(digest)
        return None if user_id is None else self.data.users.get(user_id)


class MemoryUnitOfWork:
    """Repositories over a private copy of the data; commit() makes the copy the storage's data."""

    def __init__(self, storage: MemoryStorage) -> None:
        self._storage = storage
        self._data = storage.data.copy()
        self.tasks = MemoryTasks(self._data)
        self.users = MemoryUsers(self._data)
        self.api_keys = MemoryApiKeys(self._data)

    def commit(self) -> None:
        self._storage.data = self._data
        self._data = self._data.copy()  # later changes of this unit of work need another commit
        self.tasks.data = self.users.data = self.api_keys.data = self._data

    def begin_write(self) -> None:
        """Nothing to lock: units of work of this storage already run one at a time."""


class AutoCommitRepositories:
    """storage.tasks / storage.users: each call its own unit of work (for notebooks and tests, not for routes)."""

    @property
    def tasks(self: Storage) -> AutoCommit:
        """The task repository, each call committed on its own."""
        return AutoCommit(self, "tasks")

    @property
    def users(self: Storage) -> AutoCommit:
        """The user repository, each call committed on its own."""
        return AutoCommit(self, "users")


class AutoCommit:
    """A repository of `storage` whose every method call runs in a unit of work of its own and commits."""

    def __init__(self, storage: Storage, repository: str) -> None:
        self._storage, self._repository = storage, repository

    def __getattr__(self, name: str):
        def call(*args, **kwargs):
            with self._storage.unit_of_work() as uow:
                result = getattr(getattr(uow, self._repository), name)(*args, **kwargs)
                uow.commit()
                return result

        return call


class MemoryStorage(AutoCommitRepositories):
    """Data in this process's memory: lost on restart and invisible to a second process (fine for chapters 01–05)."""

    def __init__(self) -> None:
        self.data = MemoryData()
        self._one_at_a_time = threading.Lock()  # units of work run one after another: each sees the last commit
        self._queue = anyio.Lock()  # requests wait their turn in arrival order, on the event loop

    @contextmanager
    def unit_of_work(self) -> Iterator[MemoryUnitOfWork]:
        """A unit of work; what it does not commit is dropped when it ends."""
        with self._one_at_a_time:
            yield MemoryUnitOfWork(self)

    @asynccontextmanager
    async def request_unit_of_work(self) -> AsyncIterator[MemoryUnitOfWork]:
        """The same, for a request: it waits for its turn on the event loop, never in a worker thread."""
        # A worker thread blocked on the lock could leave the request that holds it without a thread for its route:
        # with as many waiting requests as threads, nobody would move. Waiting here costs a thread nothing. The queue
        # lets one request at a time look at the lock: a crowd that all polled it kept the event loop so busy that
        # the holder's route could not finish (a PATCH of a 100-request crowd waited 20 s on a loaded machine).
        async with self._queue:
            while not self._one_at_a_time.acquire(blocking=False):
                await anyio.sleep(TURN_POLL_SECONDS)
            try:
                yield MemoryUnitOfWork(self)
            finally:
                self._one_at_a_time.release()

    def start(self) -> None:
        """Nothing to prepare in memory."""

    def stop(self) -> None:
        """Nothing to release in memory (the data stays until the app is gone)."""
