"""Chapter 13's models: server-side UTC timestamps on both databases, versioned updates, explicit loading."""

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session, joinedload, lazyload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from course_lib.services import migrations
from course_lib.services.db import isolated_database
from course_lib.services.query_counter import counting_statements
from course_lib.services.settings import Settings
from course_lib.taskapi.orm_models import TaskRow, UserRow
from course_lib.taskapi.records import utcnow
from tests.lab.test_races import DATABASES


@pytest.fixture(params=DATABASES)
def engine(request):
    database = isolated_database(Settings(database_url=request.param))
    migrations.upgrade(database.engine)
    yield database.engine
    database.drop()


def seed(engine, users: int = 4, tasks_each: int = 3) -> None:
    with Session(engine) as session:
        for n in range(users):
            session.add(
                UserRow(
                    name=f"u{n}",
                    email=f"u{n}@example.org",
                    email_key=f"u{n}@example.org",
                    tasks=[TaskRow(title=f"t{n}.{k}") for k in range(tasks_each)],
                )
            )
        session.commit()


def test_the_database_stamps_inserts_in_utc_and_the_orm_reads_them_back(engine):
    before = utcnow()
    with Session(engine) as session:
        task = TaskRow(title="t")
        session.add(task)
        session.flush()  # INSERT … RETURNING: no second SELECT for the defaults
        assert task.created_at == task.updated_at and task.version == 1
        assert task.created_at.utcoffset().total_seconds() == 0
        assert before.replace(microsecond=0) <= task.created_at <= utcnow()


def test_utc_comes_out_whatever_the_session_time_zone(engine):
    with Session(engine) as session:
        task = TaskRow(title="t")
        session.add(task)
        session.commit()
        stamped = task.created_at
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET TIME ZONE 'America/New_York'"))
        else:  # SQLite stores UTC text, which is what it hands back
            raw = connection.execute(text("SELECT created_at FROM tasks")).scalar()
            assert raw == stamped.strftime("%Y-%m-%d %H:%M:%S.%f")
        with Session(bind=connection) as session:
            again = session.scalar(select(TaskRow.created_at))
    assert again == stamped and again.tzinfo is not None and again.utcoffset().total_seconds() == 0


def test_updated_at_moves_forward_even_within_one_clock_tick(engine):
    with Session(engine) as session:
        task = TaskRow(title="t")
        session.add(task)
        session.commit()
        seen = [task.updated_at]
        for n in range(5):  # one transaction: PostgreSQL's now() stays the same, SQLite's ticks in milliseconds
            session.execute(update(TaskRow).where(TaskRow.id == task.id).values(title=f"t{n}"))
            seen.append(session.scalar(select(TaskRow.updated_at)))
    assert all(earlier < later for earlier, later in zip(seen, seen[1:])), seen


def test_the_orm_refuses_to_overwrite_a_version_it_did_not_read(engine):
    seed(engine, users=1, tasks_each=1)
    with Session(engine) as first, Session(engine) as second:
        mine, theirs = first.get(TaskRow, 1), second.get(TaskRow, 1)
        theirs.title = "theirs"
        second.commit()
        mine.title = "mine"
        with pytest.raises(StaleDataError):
            first.commit()
    with Session(engine) as session:
        assert (session.get(TaskRow, 1).title, session.get(TaskRow, 1).version) == ("theirs", 2)


def test_relationships_refuse_to_load_lazily(engine):
    seed(engine)
    with Session(engine) as session:
        user = session.scalars(select(UserRow)).first()
        with pytest.raises(InvalidRequestError, match="lazy='raise'"):
            user.tasks  # noqa: B018


@pytest.mark.parametrize(
    ("option", "statements"),
    [
        (lazyload(UserRow.tasks), 1 + 4),  # one per user: N+1
        (selectinload(UserRow.tasks), 2),  # users, then all their tasks: WHERE owner_id IN (...)
        (joinedload(UserRow.tasks), 1),  # one LEFT OUTER JOIN, users repeated per task
    ],
)
def test_statements_per_loading_strategy(engine, option, statements):
    seed(engine)
    with Session(engine) as session, counting_statements(engine) as seen:
        users = session.scalars(select(UserRow).options(option).order_by(UserRow.id)).unique().all()
        titles = [[task.title for task in user.tasks] for user in users]
    assert titles[0] == ["t0.0", "t0.1", "t0.2"] and len(titles) == 4
    assert seen.count == statements, seen.sql


def test_many_to_one_owner_loads_with_a_join(engine):
    seed(engine)
    with Session(engine) as session, counting_statements(engine) as seen:
        tasks = session.scalars(select(TaskRow).options(joinedload(TaskRow.owner)).order_by(TaskRow.id)).all()
        owners = {task.owner.name for task in tasks}
    assert owners == {"u0", "u1", "u2", "u3"} and seen.count == 1
