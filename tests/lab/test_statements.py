"""The statement counter sees what an engine sends, and stops seeing once the block ends."""

from sqlalchemy import create_engine, text

from course_lib.lab.statements import counting


def test_counting_records_each_statement_in_the_block_only():
    engine = create_engine("sqlite://")
    with engine.connect() as connection:
        with counting(engine) as seen:
            connection.execute(text("SELECT 1"))
            connection.execute(text("SELECT   2"))
        connection.execute(text("SELECT 3"))
    assert seen == ["SELECT 1", "SELECT 2"]
