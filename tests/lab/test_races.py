"""Read-modify-write races: the naive writer loses updates; the version column and the lock keep every one."""

import os

import pytest
from sqlalchemy.orm import Session

from course_lib.lab import races
from course_lib.services import migrations
from course_lib.services.db import isolated_database
from course_lib.services.settings import Settings
from course_lib.taskapi.orm_models import TaskRow

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
WRITERS = 12


@pytest.fixture(params=DATABASES)
def task(request):
    """A migrated database of its own with one task: (engine, task id)."""
    database = isolated_database(Settings(database_url=request.param))
    migrations.upgrade(database.engine)
    with Session(database.engine) as session:
        row = TaskRow(title="contended", description="")
        session.add(row)
        session.commit()
        yield database.engine, row.id
    database.drop()


def test_the_naive_read_modify_write_loses_updates(task):
    outcome = races.race(*task, races.naive, WRITERS)
    assert outcome == {"names kept": 1, "attempts": WRITERS}  # everyone read the same version: the last write won


def test_the_version_column_keeps_every_update_at_the_cost_of_retries(task):
    outcome = races.race(*task, races.optimistic, WRITERS)
    assert outcome["names kept"] == WRITERS and outcome["attempts"] > WRITERS


def test_locking_before_reading_keeps_every_update_without_retries(task):
    assert races.race(*task, races.locked, WRITERS) == {"names kept": WRITERS, "attempts": WRITERS}


def test_more_writers_than_connections_is_refused_before_anything_waits(task):
    with pytest.raises(ValueError, match="connections"):
        races.race(*task, races.naive, 1000)
