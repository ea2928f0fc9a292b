"""A storage that reads tasks through a Redis cache and invalidates what a unit of work wrote when it commits.

It wraps any Storage (the storage seam), so no route can forget to invalidate: every write goes through a unit of
work, and its commit() holds the generations of what it changed, commits, then bumps them. A write whose hold fails
(Redis unreachable) is refused with 503 + Retry-After before it commits: it could not tell the cache, and a write
the cache never hears of is read back stale for a whole TTL once Redis returns.
| key (under `<ns>:v<ENCODING>:`) | generation it carries | bumped by a write to |
|---|---|---|
| `task:<id>:g<token>` | `task:<id>` | that task |
| `tasks:user=<owner>:<op>:<query>:g<token>` | `user:<owner>` | any task of that owner |
| `tasks:user=all:<op>:<query>:g<token>` | `all` | any task |
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict, astuple
from datetime import datetime
from typing import cast

from course_lib.services.cache import redis_client
from course_lib.services.cache_aside import FAIL_FAST, CacheAside, CacheUnavailable
from course_lib.services.settings import Settings
from course_lib.taskapi.records import Task, TaskQuery
from course_lib.taskapi.storage import AutoCommitRepositories, Seedable, Storage, TaskRepository, UnitOfWork
from course_lib.web.outbound import dependency_problem

ENCODING = "2"  # change it with encode_task: entries of another encoding are never read (a rolling deploy)


def encode_task(task: Task) -> str:
    """A task as JSON text, datetimes in ISO 8601."""
    return json.dumps(asdict(task), default=datetime.isoformat)


def decode_task(text: str) -> Task:
    """The task encode_task wrote."""
    fields = json.loads(text)
    return Task(
        **{
            **fields,
            "created_at": datetime.fromisoformat(fields["created_at"]),
            "updated_at": datetime.fromisoformat(fields["updated_at"]),
        }
    )


def query_digest(query: TaskQuery) -> str:
    """A short, stable name for everything in a list query (filters, order, slice)."""
    return hashlib.sha256(repr(astuple(query)).encode()).hexdigest()[:16]


class CachedTasks:
    """Task reads from the cache (unless this unit of work writes), writes recorded for invalidation on commit."""

    def __init__(self, inner: TaskRepository, cache: CacheAside, uow: CachedUnitOfWork) -> None:
        self.inner, self.cache, self.uow = inner, cache, uow

    def get(self, task_id: int) -> Task | None:
        if self.uow.bypasses_cache:
            return self.inner.get(task_id)
        return self.cache.read(
            lambda: self.cache.entry(f"task:{task_id}", "task", task_id),
            lambda: self.inner.get(task_id),
            encode_task,
            decode_task,
        )

    def list(self, query: TaskQuery = TaskQuery()) -> list[Task]:
        if self.uow.bypasses_cache:
            return self.inner.list(query)
        return self.cache.read(
            lambda: self._list_key("list", query),
            lambda: self.inner.list(query),
            lambda tasks: json.dumps([encode_task(task) for task in tasks]),
            lambda text: [decode_task(task) for task in json.loads(text)],
        )

    def count(self, query: TaskQuery = TaskQuery()) -> int:
        if self.uow.bypasses_cache:
            return self.inner.count(query)
        return self.cache.read(lambda: self._list_key("count", query), lambda: self.inner.count(query), str, int)

    def _list_key(self, operation: str, query: TaskQuery) -> str | None:
        scope = "all" if query.owner_id is None else f"user:{query.owner_id}"
        owner = "all" if query.owner_id is None else query.owner_id
        return self.cache.entry(scope, "tasks", f"user={owner}", operation, query_digest(query))

    def add(self, title: str, **fields) -> Task:
        task = self.inner.add(title, **fields)
        self.uow.changed(task)
        return task

    def update(self, task_id: int, **changes) -> Task | None:
        before = self.inner.get(task_id) if "owner_id" in changes else None  # moving a task changes two lists
        task = self.inner.update(task_id, **changes)
        for each in (before, task):
            if each is not None:
                self.uow.changed(each)
        return task

    def delete(self, task_id: int) -> bool:
        task = self.inner.get(task_id)
        deleted = self.inner.delete(task_id)
        if deleted and task is not None:
            self.uow.changed(task)
        return deleted


class CachedUnitOfWork:
    """A unit of work whose task reads go through the cache; commit() holds what it changed, commits, then bumps it."""

    def __init__(self, inner: UnitOfWork, cache: CacheAside) -> None:
        self.inner, self.cache = inner, cache
        self.users, self.api_keys = inner.users, inner.api_keys
        self.tasks = CachedTasks(inner.tasks, cache, self)
        self.writing = False
        self.stale: set[str] = set()  # scopes to hold before the commit and bump after it

    @property
    def bypasses_cache(self) -> bool:
        """A unit of work that writes reads the database: its own changes, and rows as they are under its lock."""
        return self.writing or bool(self.stale)

    def changed(self, task: Task) -> None:
        """Remember that `task` changed: its item, its owner's lists and the list of all tasks are stale at commit."""
        self.stale |= {f"task:{task.id}", "all"} | ({f"user:{task.owner_id}"} if task.owner_id is not None else set())

    def commit(self) -> None:
        """Hold what changed, commit, then bump it: no reader keeps the old version, and no write goes untold."""
        try:
            self.cache.hold(self.stale)  # readers of these scopes read the database until the bump
        except CacheUnavailable:
            raise dependency_problem(
                503,
                "cache (Redis)",
                "unreachable, so this write could not invalidate the cached copies it changes; nothing was written",
            ) from None
        stale, self.stale = self.stale, set()
        try:
            self.inner.commit()
        finally:
            self.cache.bump(stale)  # committed or not, the held scopes move on

    def begin_write(self) -> None:
        """Lock as the storage does; from now on reads bypass the cache."""
        self.writing = True
        self.inner.begin_write()


class CachedStorage(AutoCommitRepositories):
    """Any Storage with task reads cached in Redis (cache-aside) and invalidated on commit."""

    def __init__(self, inner: Storage, cache: CacheAside) -> None:
        self.inner, self.cache = inner, cache

    @contextmanager
    def unit_of_work(self) -> Iterator[CachedUnitOfWork]:
        """The inner storage's unit of work, its task reads cached."""
        with self.inner.unit_of_work() as uow:
            yield CachedUnitOfWork(uow, self.cache)

    @asynccontextmanager
    async def request_unit_of_work(self) -> AsyncIterator[CachedUnitOfWork]:
        """The same, for a request."""
        async with self.inner.request_unit_of_work() as uow:
            yield CachedUnitOfWork(uow, self.cache)

    def start(self) -> None:
        self.inner.start()

    def stop(self) -> None:
        """Stop the inner storage; its data is gone or shared, so this cache's copies go too."""
        self.inner.stop()
        self.cache.clear()

    def add_many(self, tasks, batch_size: int = 5000) -> Iterator[int]:
        """Seed tasks past the units of work, then drop every cached copy (they may all be stale now)."""
        yield from cast(Seedable, self.inner).add_many(tasks, batch_size)  # over SqlStorage only
        self.cache.clear()

    def __getattr__(self, name: str):
        return getattr(self.inner, name)  # e.g. .database of a SqlStorage


def cached(storage: Callable[[Settings], Storage]) -> Callable[[Settings], CachedStorage]:
    """A storage factory whose storages read tasks through Redis (fakeredis, or REDIS_URL's server)."""

    def cached_storage(settings: Settings) -> CachedStorage:
        # An app with its own database gets its own keys; replicas on one database share one cache, as their data.
        namespace = f"cache:{secrets.token_hex(4)}" if settings.isolate_database else "cache:shared"
        client = redis_client(settings, **FAIL_FAST)  # a dead Redis costs a request milliseconds, not seconds
        return CachedStorage(storage(settings), CacheAside(client, settings.cache_ttl, namespace, ENCODING))

    return cached_storage
