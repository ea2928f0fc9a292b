from sqlalchemy.orm import Session

from course_lib.lab.task_owners import owners_by_join, owners_in_one_query, owners_one_by_one, seed
from course_lib.services.db import isolated_database
from course_lib.services.query_counter import counting_statements
from course_lib.taskapi.sql_tables import create_tables


def test_three_forms_same_rows_different_statement_counts():
    database = isolated_database()
    try:
        create_tables(database.engine)
        seed(database.engine, owners=12, tasks_per_owner=2)
        seed(database.engine, owners=3)  # a second seeding adds users after the first ones
        answers, counts = [], []
        for form in (owners_one_by_one, owners_by_join, owners_in_one_query):
            with Session(database.engine) as session, counting_statements(database.engine) as statements:
                answers.append(form(session, limit=10))
            counts.append(statements.count)
        assert answers[0] == answers[1] == answers[2]
        assert answers[0][0] == (27, "task of user 15", "user 15")  # newest first
        assert counts == [11, 1, 2]  # 10 tasks, 10 different owners
        with Session(database.engine) as session:
            assert len(owners_by_join(session, limit=100)) == 27
    finally:
        database.drop()
