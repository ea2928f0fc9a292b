"""SqlStorage: an app's data in a SQL database (SQLite or PostgreSQL), one session per unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager

import anyio
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from course_lib.services.db import Database, database_for
from course_lib.services.settings import Settings
from course_lib.taskapi.sql_repositories import SqlSchema, SqlUnitOfWork
from course_lib.taskapi.sql_seed import insert_tasks
from course_lib.taskapi.sql_tables import ApiKeyRow, TaskRow, UserRow, create_tables
from course_lib.taskapi.storage import AutoCommitRepositories, UnitOfWork

CHAPTER_06 = SqlSchema(users=UserRow, tasks=TaskRow, api_keys=ApiKeyRow, build=create_tables)


def pool_capacity(engine: Engine) -> int:
    """How many connections the engine's pool hands out at most (its size plus overflow)."""
    pool = engine.pool
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", 0)
    return max(1, size() + max(overflow, 0)) if callable(size) else 1


class SqlStorage(AutoCommitRepositories):
    """An app's data in a SQL database: its own database by default, or one shared by replicas."""

    schema: SqlSchema = CHAPTER_06  # the row classes and how their tables are made: a subclass names its own

    def __init__(self, database: Database) -> None:
        self.database = database
        self._sessions = sessionmaker(database.engine, expire_on_commit=False)
        self._slots = anyio.Semaphore(pool_capacity(database.engine))
        self.schema.build(database.engine)
        database.engine.dispose()  # no idle connection held for an app that is built but never served

    @classmethod
    def for_settings(cls, settings: Settings) -> SqlStorage:
        """Storage on the configured database (settings.database_url, else an embedded SQLite file)."""
        return cls(database_for(settings))

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """A session; closing it rolls back whatever was not committed."""
        with self._sessions() as session:
            yield SqlUnitOfWork(session, self.schema)

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
        gone = self.database.dropped  # built and not served yet: __init__ has just built the schema
        self.database.create()
        if gone:
            self.schema.build(self.database.engine)

    def stop(self) -> None:
        """Give the database back: an app's own database is dropped, a shared one only disconnected."""
        self.database.drop()

    def add_many(self, tasks: Iterable[dict], batch_size: int = 5000) -> Iterator[int]:
        """Insert task dicts in batches; yield the running count after each batch (for seeding, not for routes)."""
        return insert_tasks(self.database.engine, tasks, batch_size, self.schema.tasks)
