"""Schema migrations with Alembic, run from code: upgrade, downgrade, where a database stands, autogenerate's diff.

The scripts live in course_lib/taskapi/migrations (env.py, versions/). One migration runs at a time per database:
SQLite's write lock (BEGIN IMMEDIATE) or a PostgreSQL advisory lock, so replicas starting together take turns.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import ModuleType

from alembic import command
from alembic.autogenerate import compare_metadata, produce_migrations, render_python_code
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, func, inspect, select

from course_lib.services.db import begin_write, make_engine
from course_lib.services.settings import Settings

TASKAPI_MIGRATIONS = Path(__file__).resolve().parent.parent / "taskapi" / "migrations"
BASELINE = "0001"  # the schema chapters 06–12 create without migrations: a database made by them starts here
LOCK_KEY = 13_0001  # any number the application agrees on: pg_advisory_xact_lock(13_0001) guards migrations
COMPARE = {"compare_server_default": True, "render_as_batch": True}


def config(connection: Connection | None = None, location: Path = TASKAPI_MIGRATIONS) -> Config:
    """Alembic's configuration for the scripts at `location`, running on `connection`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(location))
    cfg.attributes["connection"] = connection
    return cfg


def revisions(location: Path = TASKAPI_MIGRATIONS) -> list[str]:
    """The revision ids from the first to head."""
    return [
        script.revision
        for script in reversed(list(ScriptDirectory.from_config(config(None, location)).walk_revisions()))
    ]


def script(revision: str, location: Path = TASKAPI_MIGRATIONS) -> ModuleType:
    """The module of one revision (to read its upgrade() and downgrade())."""
    module = ScriptDirectory.from_config(config(None, location)).get_revision(revision).module
    sys.modules.setdefault(module.__name__, module)  # Alembic loads it by path: let inspect find its source
    return module


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that only one migrator holds at a time; foreign keys off on SQLite meanwhile."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # a batch copies a table and drops the old one: with foreign keys on, DROP would CASCADE its rows
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if sqlite:
                    begin_write(connection)
                elif connection.dialect.name == "postgresql":
                    connection.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))
                yield connection
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def current(engine: Engine) -> str | None:
    """The revision the database stands at (None: no migration has run)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate up to `revision`; a database chapters 06–12 made (tables, no version) is adopted at BASELINE first."""
    if revision == "head" and _copy_of_migrated(engine):
        return
    with _migrating(engine) as connection:
        cfg = config(connection)
        if (
            MigrationContext.configure(connection).get_current_revision() is None
            and "tasks" in inspect(connection).get_table_names()
        ):
            command.stamp(cfg, BASELINE)
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Migrate down to `revision` ('base': nothing left)."""
    with _migrating(engine) as connection:
        command.downgrade(config(connection), revision)


def differences(engine: Engine, metadata: MetaData) -> list:
    """What autogenerate finds between `metadata` (the models) and the database: [] when they agree."""
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection, opts=COMPARE), metadata)


def autogenerate(engine: Engine, metadata: MetaData) -> str:
    """The upgrade() body autogenerate would draft to bring the database to `metadata`."""
    with engine.connect() as connection:
        script = produce_migrations(MigrationContext.configure(connection, opts=COMPARE), metadata)
    assert script.upgrade_ops is not None, "produce_migrations drafts an upgrade, empty or not"
    return render_python_code(script.upgrade_ops, render_as_batch=True)


__all__ = [
    "BASELINE",
    "TASKAPI_MIGRATIONS",
    "autogenerate",
    "config",
    "current",
    "differences",
    "downgrade",
    "revisions",
    "script",
    "upgrade",
]


def _copy_of_migrated(engine: Engine) -> bool:
    """Bring an empty SQLite file to head by copying one this process migrated once (True), instead of running every
    migration again: the same schema and version row, in milliseconds rather than ~0.2 s for each of the hundreds of
    apps a test run builds. Any other database, or one with tables, is left to the migrations (False)."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        return False
    with engine.connect() as connection:
        if inspect(connection).get_table_names():
            return False
    engine.dispose()  # no pooled connection may hold the file while its pages are replaced
    source, target = sqlite3.connect(_migrated_template()), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return True


@cache
def _migrated_template() -> str:
    """A SQLite file at head, migrated by the migrations themselves, once per process."""
    engine = make_engine(Settings(database_url=None))  # a new file in the scratch folder removed at exit
    try:
        with _migrating(engine) as connection:
            command.upgrade(config(connection), "head")
    finally:
        engine.dispose()
    assert engine.url.database, "a SQLite file"
    return engine.url.database
