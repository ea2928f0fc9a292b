"""Database engines: an embedded SQLite file by default, PostgreSQL (or any SQLAlchemy URL) from DATABASE_URL."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, event

from course_lib.settings import Settings, get_settings

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
