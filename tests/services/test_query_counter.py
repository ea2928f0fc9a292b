from sqlalchemy import select, text

from course_lib.services.db import isolated_database
from course_lib.services.query_counter import counting_statements
from course_lib.taskapi.sql_tables import UserRow, create_tables


def test_counts_every_statement_inside_the_block_only():
    database = isolated_database()
    try:
        create_tables(database.engine)
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))  # before: not counted
            with counting_statements(database.engine) as statements:
                connection.execute(select(UserRow.id))
                connection.execute(text("SELECT  2\n"))
            connection.execute(text("SELECT 3"))  # after: not counted
        assert statements.count == 2
        assert statements.sql[1] == "SELECT 2"  # whitespace folded
        assert "FROM users" in statements.sql[0]
    finally:
        database.drop()
