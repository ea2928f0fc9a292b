import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
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
            found = connection.execute(
                text("SELECT count(*) FROM information_schema.schemata WHERE schema_name = :s"), {"s": database.schema}
            ).scalar()
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


def _child(code: str, tmp_path, **kwargs) -> subprocess.Popen:
    """A Python process whose temp folder is `tmp_path`, on the embedded defaults."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    return subprocess.Popen([sys.executable, "-c", code], env=env, **kwargs)


def _folders(tmp_path) -> list:
    return sorted(tmp_path.glob(f"{db.SCRATCH_PREFIX}*"))


def test_sigterm_to_a_process_serving_the_api_leaves_no_database_folder(tmp_path):
    from course_lib.lab.children import free_port, wait_until_up

    port = free_port()
    serving = _child(
        "import uvicorn; from course_lib.taskapi import latest; "
        f"uvicorn.run(latest(), host='127.0.0.1', port={port}, log_level='warning')",
        tmp_path,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", serving)
        signed_up = httpx.post(
            f"http://127.0.0.1:{port}/users",
            json={"name": "Ada", "email": "ada@example.org", "password": "violet harbor lantern 42"},
        )
        assert signed_up.status_code == 201, signed_up.text
        assert [path.suffix for folder in _folders(tmp_path) for path in folder.iterdir()].count(".db") >= 1
        serving.send_signal(signal.SIGTERM)  # how docker and systemd stop a process
        assert serving.wait(timeout=30) == -signal.SIGTERM  # uvicorn re-raised it: died of it, as it should
    finally:
        serving.kill()
    assert _folders(tmp_path) == []


def test_the_folder_of_a_killed_process_is_swept_by_the_next_one_and_a_live_ones_kept(tmp_path):
    make = (
        "from course_lib.services.db import isolated_database; import sys; "
        "database = isolated_database(); print(database.path, flush=True); sys.stdin.read()"
    )
    killed = _child(make, tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    living = _child(make, tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        killed_file, living_file = (Path(child.stdout.readline().strip()) for child in (killed, living))
        killed.kill()  # SIGKILL: no handler runs, the folder stays
        killed.wait()
        assert killed_file.exists()
        nxt = _child("from course_lib.services.db import database_url; database_url()", tmp_path)
        assert nxt.wait(timeout=60) == 0
        assert not killed_file.parent.exists()  # its pid is dead: swept
        assert living_file.exists()  # its process still runs: kept
    finally:
        living.communicate("", timeout=60)  # stdin closed: it exits normally and removes its own folder
    assert _folders(tmp_path) == []


def test_sweep_keeps_folders_of_live_pids_and_foreign_names(tmp_path):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead, live = int(finished.stdout), os.getpid()
    for name in (f"{dead}-abc", f"{live}-def", "oldstyle"):
        (tmp_path / f"{db.SCRATCH_PREFIX}{name}").mkdir()
    assert db.sweep_scratch_folders(tmp_path) == [tmp_path / f"{db.SCRATCH_PREFIX}{dead}-abc"]
    assert [folder.name.removeprefix(db.SCRATCH_PREFIX) for folder in _folders(tmp_path)] == [f"{live}-def", "oldstyle"]


def test_a_folder_goes_when_its_last_database_is_dropped(tmp_path):
    # In a process of its own: this one holds other tests' databases in its folder.
    code = """if True:
        from course_lib.services.db import isolated_database
        first, second = isolated_database(), isolated_database()
        folder = first.path.parent
        first.drop()
        assert folder.is_dir()  # the second still lives there
        second.drop()
        assert not folder.exists()  # the server stopped: nothing left in the temp folder
        third = isolated_database()  # and the next database gets a folder again
        assert third.path.parent.is_dir()
        third.drop()
        assert not third.path.parent.exists()
    """
    assert _child(code, tmp_path).wait(timeout=60) == 0
    assert _folders(tmp_path) == []
