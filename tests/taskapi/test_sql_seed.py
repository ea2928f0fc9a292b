"""Seeding inserts task dicts in batches and reports the running count."""

from datetime import UTC

from course_lib.taskapi.sql_storage import SqlStorage


def test_add_many_reports_progress_per_batch(database):
    storage = SqlStorage(database)
    progress = list(storage.add_many(({"title": f"t{i}"} for i in range(25)), batch_size=10))
    assert progress == [10, 20, 25] and storage.tasks.count() == 25
    assert storage.tasks.get(25).title == "t24" and storage.tasks.get(25).created_at.tzinfo is UTC
