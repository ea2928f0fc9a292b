import os
import subprocess
import sys

import pytest
from sqlalchemy import inspect, text

from course_lib.services import db
from course_lib.services.db import database_url, isolated_database, make_engine
from course_lib.services.settings import Settings, get_settings


def test_embedded_default_is_a_fresh_sqlite_file_each_time():
    settings = Settings(database_url=None)
    assert database_url(settings) != database_url(settings)
    assert database_url(settings).startswith("sqlite:///")


def test_sqlite_enforces_foreign_keys():
    with make_engine(Settings(database_url=None)).connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_configured_database_answers():
    """With DATABASE_URL set (CI sets a real PostgreSQL), the engine reaches it; else the embedded file."""
    get_settings.cache_clear()
    with make_engine().connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1


def _tables(database) -> set[str]:
    return set(inspect(database.engine).get_table_names())


def test_isolated_databases_do_not_share_tables():
    get_settings.cache_clear()
    first, second = isolated_database(), isolated_database()
    try:
        with first.engine.begin() as connection:
            connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY)"))
        assert "notes" in _tables(first) and "notes" not in _tables(second)
    finally:
        first.drop()
        second.drop()


def test_drop_removes_the_data_and_is_idempotent():
    get_settings.cache_clear()
    database = isolated_database()
    with database.engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY)"))
    database.drop()
    database.drop()
    assert database.dropped
    if database.schema:
        with make_engine().connect() as connection:
            found = connection.execute(text("SELECT count(*) FROM information_schema.schemata WHERE schema_name = :s"),
                                       {"s": database.schema}).scalar()
        assert found == 0
    else:
        assert not database.path.exists()


def test_create_after_drop_gives_an_empty_database():
    get_settings.cache_clear()
    database = isolated_database()
    with database.engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY)"))
    database.drop()
    database.create()
    try:
        assert not database.dropped and _tables(database) == set()
    finally:
        database.drop()


def test_sqlite_isolation_is_a_file_and_postgresql_a_schema():
    sqlite = isolated_database(Settings(database_url=None))
    try:
        assert sqlite.schema is None and sqlite.path.suffix == ".db" and "SQLite" in sqlite.where
    finally:
        sqlite.drop()
    get_settings.cache_clear()
    if get_settings().uses_real_database:
        postgres = isolated_database()
        try:
            assert postgres.schema.startswith("app_") and postgres.path is None
            with postgres.engine.connect() as connection:
                assert connection.execute(text("SELECT current_schema()")).scalar() == postgres.schema
        finally:
            postgres.drop()


def test_schemas_of_dead_processes_are_swept_and_live_ones_kept():
    get_settings.cache_clear()
    url = get_settings().database_url
    if not get_settings().uses_real_database:
        pytest.skip("schemas exist on PostgreSQL only")
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = f"{db._schema_prefix()}{int(finished.stdout)}_0rphan"
    alive = f"{db._schema_prefix()}{os.getpid()}_mine"
    engine = make_engine()
    try:
        with engine.begin() as connection:
            for name in (dead, alive):
                connection.execute(text(f'CREATE SCHEMA "{name}"'))
        db._SWEPT.discard(url)
        db._drop_orphans(url)
        with engine.connect() as connection:
            left = set(connection.execute(text("SELECT nspname FROM pg_namespace")).scalars())
        assert dead not in left and alive in left
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{alive}" CASCADE'))
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{dead}" CASCADE'))
        engine.dispose()
