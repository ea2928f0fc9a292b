"""UTCTimestamp: aware UTC datetimes in and out, naive ones refused, on SQLite and with DATABASE_URL PostgreSQL."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from course_lib.taskapi.sql_storage import SqlStorage


def test_datetimes_come_back_aware_in_utc(database):
    storage = SqlStorage(database)
    paris = timezone(timedelta(hours=1))
    created = datetime(2026, 3, 1, 13, 0, tzinfo=paris)
    list(storage.add_many([{"title": "t", "created_at": created, "updated_at": created}]))
    task = storage.tasks.get(1)
    assert task.created_at == created and task.created_at.tzinfo is UTC and task.created_at.hour == 12
    with pytest.raises(Exception, match="naive datetime"):
        list(storage.add_many([{"title": "t", "created_at": datetime(2026, 3, 1)}]))
