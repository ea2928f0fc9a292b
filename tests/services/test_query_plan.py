from sqlalchemy import select

from course_lib.services.db import isolated_database
from course_lib.services.query_plan import explain, uses_index
from course_lib.taskapi.sql_tables import TaskRow, create_tables

INDEX = "ix_tasks_owner_created_at_id"


def test_the_plan_names_the_index_only_while_it_exists():
    database = isolated_database()
    try:
        create_tables(database.engine)
        statement = select(TaskRow).where(TaskRow.owner_id == 7).order_by(TaskRow.created_at.desc())
        with database.engine.connect() as connection:
            with_index = explain(connection, statement)
        assert with_index and all(isinstance(line, str) for line in with_index)
        assert uses_index(with_index, INDEX)
        next(index for index in TaskRow.__table__.indexes if index.name == INDEX).drop(database.engine)
        database.engine.dispose()  # SQLite may answer EXPLAIN from a statement prepared before the DROP
        with database.engine.connect() as connection:
            without = explain(connection, statement)
        assert not uses_index(without, INDEX)
    finally:
        database.drop()
