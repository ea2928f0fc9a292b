"""Alembic migrations from code: upgrade head → downgrade base → upgrade head, no difference from the models.

Runs on the embedded SQLite always, and on PostgreSQL too when DATABASE_URL points at one (CI sets it).
"""

import os

import pytest
from sqlalchemy import inspect, text

from course_lib.services import migrations
from course_lib.services.db import isolated_database
from course_lib.services.settings import Settings
from course_lib.taskapi import orm_models, sql_tables

POSTGRES = os.environ.get("DATABASE_URL", "")
DATABASES = [
    pytest.param(None, id="sqlite"),
    pytest.param(
        POSTGRES,
        id="postgresql",
        marks=pytest.mark.skipif(
            not POSTGRES.startswith("postgresql"), reason="DATABASE_URL does not name a PostgreSQL server (CI sets one)"
        ),
    ),
]


@pytest.fixture(params=DATABASES)
def database(request):
    database = isolated_database(Settings(database_url=request.param))
    yield database
    database.drop()


def tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_the_history_is_linear_from_the_chapter_06_schema():
    assert migrations.revisions() == ["0001", "0002", "0003"]
    assert migrations.BASELINE == "0001"


def test_upgrade_downgrade_upgrade_leaves_no_difference_from_the_models(database):
    engine = database.engine
    migrations.upgrade(engine)
    assert migrations.current(engine) == "0003"
    assert migrations.differences(engine, orm_models.Base.metadata) == []
    migrations.downgrade(engine, "base")
    assert migrations.current(engine) is None and tables(engine) == set()
    migrations.upgrade(engine)
    assert migrations.differences(engine, orm_models.Base.metadata) == []


def test_the_first_revision_is_the_schema_chapters_06_to_12_create(database):
    migrations.upgrade(database.engine, "0001")
    assert migrations.differences(database.engine, sql_tables.Base.metadata) == []


def test_autogenerate_drafts_the_second_revision(database):
    migrations.upgrade(database.engine, "0001")
    kinds = {
        diff[0][0] if isinstance(diff, list) else diff[0]
        for diff in migrations.differences(database.engine, orm_models.Base.metadata)
    }
    assert kinds == {"add_index", "modify_default"}
    draft = migrations.autogenerate(database.engine, orm_models.Base.metadata)
    assert "batch_alter_table('tasks'" in draft and "ix_tasks_title_id" in draft and "server_default" in draft


def test_downgrade_one_step_removes_the_defaults_and_keeps_the_rows(database):
    engine = database.engine
    migrations.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (name, email, email_key, role, password_hash) "
                "VALUES ('Ada', 'ada@example.org', 'ada@example.org', 'member', '')"
            )
        )
        connection.execute(text("INSERT INTO tasks (title, description, done, owner_id) VALUES ('t', '', false, 1)"))
    migrations.downgrade(engine, "0001")
    assert migrations.differences(engine, sql_tables.Base.metadata) == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT title, version FROM tasks")).all() == [("t", 1)]
        assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 1  # no CASCADE from a copy


def test_the_data_migration_casefolds_email_keys_and_its_downgrade_lowers_them(database):
    engine = database.engine
    migrations.upgrade(engine, "0002")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (name, email, email_key, role, password_hash) VALUES "
                "('Gauß', 'Gauß@Example.org', 'gauß@example.org', 'member', ''), "
                "('Ada', 'Ada@Example.org', 'ada@example.org', 'member', '')"
            )
        )
    migrations.upgrade(engine)
    with engine.connect() as connection:
        keys = connection.execute(text("SELECT email_key FROM users ORDER BY id")).scalars().all()
    assert keys == ["gauss@example.org", "ada@example.org"]
    migrations.downgrade(engine, "0002")
    with engine.connect() as connection:
        keys = connection.execute(text("SELECT email_key FROM users ORDER BY id")).scalars().all()
    assert keys == ["gauß@example.org", "ada@example.org"]


def test_the_data_migration_names_accounts_that_would_collide(database):
    engine = database.engine
    migrations.upgrade(engine, "0002")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (name, email, email_key, role, password_hash) VALUES "
                "('A', 'strasse@example.org', 'strasse@example.org', 'member', ''), "
                "('B', 'straße@example.org', 'straße@example.org', 'member', '')"
            )
        )
    with pytest.raises(RuntimeError, match="merge them first"):
        migrations.upgrade(engine)
    assert migrations.current(engine) == "0002"  # the failed revision left nothing behind


def test_a_database_chapters_06_to_12_made_is_adopted_at_the_baseline(database):
    engine = database.engine
    sql_tables.create_tables(engine)
    migrations.upgrade(engine)
    assert migrations.current(engine) == "0003"
    assert migrations.differences(engine, orm_models.Base.metadata) == []


def test_sqlite_keeps_autoincrement_and_foreign_keys_through_the_table_copies():
    database = isolated_database(Settings(database_url=None))
    try:
        migrations.upgrade(database.engine)
        with database.engine.connect() as connection:
            schema = dict(connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all())
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert "AUTOINCREMENT" in schema["tasks"] and "AUTOINCREMENT" in schema["users"]
        assert "ON DELETE CASCADE" in schema["tasks"]
    finally:
        database.drop()


def test_a_new_sqlite_file_brought_to_head_by_copy_equals_one_migrated_step_by_step():
    copied, stepped = (isolated_database(Settings(database_url=None)) for _ in range(2))
    try:
        migrations.upgrade(copied.engine)  # empty file, head: copied from this process's migrated template
        migrations.upgrade(stepped.engine, "0001")
        migrations.upgrade(stepped.engine)  # has tables: every migration runs

        def schema(engine) -> list[tuple]:
            with engine.connect() as connection:
                return connection.exec_driver_sql(
                    "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
                ).all()

        assert migrations.current(copied.engine) == migrations.current(stepped.engine) == "0003"
        assert schema(copied.engine) == schema(stepped.engine)
        assert migrations.differences(copied.engine, orm_models.Base.metadata) == []
    finally:
        copied.drop()
        stepped.drop()
