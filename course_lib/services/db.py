"""Database engines: an embedded SQLite file by default, PostgreSQL (or any SQLAlchemy URL) from DATABASE_URL."""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import socket
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.pool import NullPool

from course_lib.services.processes import alive
from course_lib.services.settings import Settings, get_settings

_SCRATCH = Path(tempfile.mkdtemp(prefix="backend-course-db-"))
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)


def database_url(settings: Settings | None = None) -> str:
    """DATABASE_URL when set, else a new SQLite file of this kernel (deleted when the kernel exits)."""
    settings = settings or get_settings()
    return settings.database_url or f"sqlite:///{_SCRATCH / f'{uuid.uuid4().hex}.db'}"


def make_engine(settings: Settings | None = None, **kwargs) -> Engine:
    """An engine for the configured database; SQLite gets foreign keys on and thread-safe connections."""
    url = database_url(settings)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def begin_write(connection: Connection) -> None:
    """On SQLite, take the database's write lock now (BEGIN IMMEDIATE); other databases lock rows as they read them.

    A transaction that reads and then writes must hold the write lock from its first read: in WAL mode a deferred
    transaction whose snapshot is stale cannot upgrade its lock ("database is locked", SQLITE_BUSY_SNAPSHOT), and
    waiting does not help. BEGIN IMMEDIATE waits (busy timeout) for the other writer instead, then reads the latest.
    """
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.driver_connection
    if not raw.in_transaction:  # pysqlite's legacy mode: reads so far ran outside a transaction
        raw.execute("BEGIN IMMEDIATE")


class IsolatedDatabase:
    """One app's own database: a fresh SQLite file, or a PostgreSQL schema of its own; drop() removes it."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.url = database_url(settings)
        self.schema: str | None = None
        self.path: Path | None = None
        if self.url.startswith("postgresql"):
            _drop_orphans(self.url)
            self.schema = f"{_schema_prefix()}{os.getpid()}_{uuid.uuid4().hex[:12]}"
            # Every connection of this engine sees only the app's schema, so table names need no prefix.
            self.engine = create_engine(self.url, pool_pre_ping=True,
                                        connect_args={"options": f"-c search_path={self.schema}"})
        else:
            self.engine = make_engine(Settings(database_url=self.url))
            self.path = Path(self.engine.url.database) if self.engine.url.database else None
        self.dropped = False
        _LIVE.add(self)
        self.create()

    def create(self) -> None:
        """Make the database exist again (a new schema or file); safe to call when it already exists."""
        if self.schema:
            with _admin_engine(self.url).begin() as connection:
                connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
        self.dropped = False
        _LIVE.add(self)

    def drop(self) -> None:
        """Close every connection and delete the data: DROP SCHEMA ... CASCADE, or remove the file; idempotent."""
        _LIVE.discard(self)
        if self.dropped:
            return
        self.dropped = True
        self.engine.dispose()
        if self.schema:
            with _admin_engine(self.url).begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        elif self.path:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    @property
    def where(self) -> str:
        """'schema app_… on PostgreSQL' or 'its own SQLite file': where this app's tables live."""
        return f"schema {self.schema} on PostgreSQL" if self.schema else "its own SQLite file"

    def __repr__(self) -> str:
        return f"<IsolatedDatabase {self.where}{' (dropped)' if self.dropped else ''}>"


def isolated_database(settings: Settings | None = None) -> IsolatedDatabase:
    """A database only one app uses: engine in .engine, created now, removed by .drop() (at the latest at exit)."""
    return IsolatedDatabase(settings)


class SharedDatabase:
    """The configured database as it is, shared by every app (replicas) that uses it; drop() only disconnects."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.url = database_url(settings)
        self.engine = make_engine(Settings(database_url=self.url))
        self.dropped = False

    def create(self) -> None:
        """The database is the server's to create: nothing to do."""
        self.dropped = False

    def drop(self) -> None:
        """Close this process's connections; the data stays for the other replicas."""
        self.engine.dispose()
        self.dropped = True

    @property
    def where(self) -> str:
        """Where the shared tables live."""
        return f"the shared database {self.engine.url.render_as_string(hide_password=True)}"

    def __repr__(self) -> str:
        return f"<SharedDatabase {self.where}>"


Database = IsolatedDatabase | SharedDatabase


def database_for(settings: Settings | None = None) -> Database:
    """An app's own database, or with settings.isolate_database=False the configured one, shared."""
    settings = settings or get_settings()
    return IsolatedDatabase(settings) if settings.isolate_database else SharedDatabase(settings)


_LIVE: set[IsolatedDatabase] = set()
_SWEPT: set[str] = set()


def _schema_prefix() -> str:
    """app_<host>_: schemas of this machine, so a sweep never touches another machine's."""
    return f"app_{hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]}_"


def _drop_orphans(url: str) -> None:
    """Drop schemas left by processes of this machine that died without cleaning up (a killed kernel); once per URL."""
    if url in _SWEPT:
        return
    _SWEPT.add(url)
    prefix = _schema_prefix()
    with _admin_engine(url).begin() as connection:
        names = connection.execute(text("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, :prefix)"),
                                   {"prefix": prefix}).scalars().all()
        for name in names:
            pid = name.removeprefix(prefix).split("_")[0]
            if pid.isdigit() and not alive(int(pid)):
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


def _admin_engine(url: str) -> Engine:
    # A short-lived engine without a pool: schema DDL must not leave idle connections behind.
    return create_engine(url, poolclass=NullPool)


@atexit.register
def _drop_leftovers() -> None:
    """Databases of apps whose server never stopped (or never started) are removed when the process exits."""
    for database in list(_LIVE):
        try:
            database.drop()
        except Exception:  # the server may already be gone at exit; nothing else to do
            pass
