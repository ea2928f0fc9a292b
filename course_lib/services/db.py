"""Database engines: an embedded SQLite file by default, PostgreSQL (or any SQLAlchemy URL) from DATABASE_URL.

Embedded files live in a folder of this process, backend-course-db-<pid>-*, in the temp folder. It goes away when
the process exits (atexit), when it is stopped with SIGTERM (how docker, systemd and Jupyter stop a process: uvicorn
re-raises the signal after its graceful shutdown, and atexit never runs), and when its last database is dropped.
What a killed process (SIGKILL, a crash) left is swept by the next process that creates its folder: a folder whose
pid no longer runs, as PostgreSQL schemas are below.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import signal
import socket
import sqlite3
import tempfile
import threading
import uuid
from pathlib import Path
from typing import cast

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.pool import NullPool

from course_lib.services.processes import alive
from course_lib.services.settings import Settings, get_settings

SCRATCH_PREFIX = "backend-course-db-"
_scratch: tuple[int, Path] | None = None  # (pid, folder): a forked child makes a folder of its own
_scratch_lock = threading.RLock()  # reentrant: the SIGTERM handler may run while this thread holds it


def scratch_folder() -> Path:
    """This process's folder for embedded databases, made on first use (after sweeping dead processes' folders)."""
    global _scratch
    with _scratch_lock:
        if _scratch is None or _scratch[0] != os.getpid():
            sweep_scratch_folders()
            _scratch = os.getpid(), Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
        _scratch[1].mkdir(mode=0o700, exist_ok=True)  # again, if its last database took it away
        return _scratch[1]


def sweep_scratch_folders(root: Path | None = None) -> list[Path]:
    """Remove the database folders of processes that no longer run (killed before they could clean up)."""
    swept = []
    for folder in Path(root or tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        pid = folder.name.removeprefix(SCRATCH_PREFIX).split("-")[0]
        try:
            mine = folder.stat().st_uid == os.getuid()
        except OSError:
            continue
        if pid.isdigit() and mine and not alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            swept.append(folder)
    return swept


def _remove_scratch_folder(only_if_empty: bool = False) -> None:
    """Remove this process's folder (with only_if_empty, only when no database file is left in it)."""
    with _scratch_lock:
        if _scratch is None or _scratch[0] != os.getpid():
            return
        try:
            if only_if_empty:
                _scratch[1].rmdir()
            else:
                shutil.rmtree(_scratch[1], ignore_errors=True)
        except OSError:  # not empty (another database still lives there), or gone already
            pass


def database_url(settings: Settings | None = None) -> str:
    """DATABASE_URL when set, else a new SQLite file of this process (deleted when dropped, or when it exits)."""
    settings = settings or get_settings()
    if settings.database_url:
        return settings.database_url
    with _scratch_lock:  # no drop may remove the folder, found empty, before the file is in it
        path = scratch_folder() / f"{uuid.uuid4().hex}.db"
        path.touch()  # an empty file is a new SQLite database; it keeps the folder from being removed as empty
    return f"sqlite:///{path}"


SQLITE_BUSY_TIMEOUT = 30.0  # seconds


def make_engine(settings: Settings | None = None, **kwargs) -> Engine:
    """An engine for the configured database; SQLite gets foreign keys on and thread-safe connections."""
    return engine_for_url(database_url(settings), **kwargs)


def engine_for_url(url: str, **kwargs) -> Engine:
    """An engine for `url` itself (a worker process is given its app's database this way)."""
    if url.startswith("sqlite"):
        # A writer waits up to SQLITE_BUSY_TIMEOUT for the one write lock (pysqlite's default is 5 s): 50 concurrent
        # writers on a busy 2-core machine waited longer and got "database is locked" as a 500 (acceptance check 16).
        connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
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
    raw = cast(sqlite3.Connection, connection.connection.driver_connection)  # pysqlite's connection
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
            self.engine = create_engine(
                self.url, pool_pre_ping=True, connect_args={"options": f"-c search_path={self.schema}"}
            )
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
        elif self.path and _scratch and self.path.parent == _scratch[1]:
            with _scratch_lock:
                scratch_folder().joinpath(self.path.name).touch()  # the folder made again if a drop removed it
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
            _remove_scratch_folder(only_if_empty=True)  # the server stopped: nothing left behind

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
        names = (
            connection.execute(
                text("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, :prefix)"), {"prefix": prefix}
            )
            .scalars()
            .all()
        )
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
    _remove_scratch_folder()


def _on_sigterm(signum: int, _frame) -> None:
    """Clean up as at exit, then die of SIGTERM as the default handler would (the exit status stays honest)."""
    _drop_leftovers()
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)


# Only where nobody else handles SIGTERM, and only the main thread may set a handler. uvicorn.run() puts its own in
# place while it serves, then restores this one and raises the signal again after its graceful shutdown.
if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
    signal.signal(signal.SIGTERM, _on_sigterm)
