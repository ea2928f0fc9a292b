"""SqlStorage runs its schema hook when it is built and again when a server starts on a database it dropped."""

from dataclasses import replace

from course_lib.taskapi.sql_storage import CHAPTER_06, SqlStorage, pool_capacity


def test_the_schema_hook_builds_the_tables_when_built_and_after_a_drop(database):
    built = []

    class Counted(SqlStorage):
        schema = replace(CHAPTER_06, build=lambda engine: (built.append(engine), CHAPTER_06.build(engine)))

    storage = Counted(database)
    assert built == [database.engine]
    storage.start()  # built and not served yet: the tables are there
    assert len(built) == 1
    storage.stop()
    storage.start()  # the database was dropped with the last server: made again, tables and all
    assert len(built) == 2 and storage.tasks.add("back").id == 1
    storage.stop()


def test_pool_capacity_is_at_least_one(database):
    assert pool_capacity(database.engine) >= 1
