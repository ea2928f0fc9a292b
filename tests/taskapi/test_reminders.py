"""The reminders job's pieces: an e-mail sent once per processed id, and the database a worker process finds."""

import pytest
from sqlalchemy import create_engine

from course_lib.taskapi import reminders


def test_send_once_sends_once_per_key_and_the_record_commits_with_the_email(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'jobs.db'}")
    reminders.JOB_TABLES.create_all(engine)
    assert reminders.send_once(engine, "reminder:j1:1", "ada@example.org", "Reminder: a", 1, "j1")
    assert not reminders.send_once(engine, "reminder:j1:1", "ada@example.org", "Reminder: a", 1, "j1")
    assert reminders.send_once(engine, "reminder:j2:1", "ada@example.org", "Reminder: a", 1, "j2")
    assert [(mail["job_id"], mail["task_id"]) for mail in reminders.outbox(engine)] == [("j1", 1), ("j2", 1)]


def test_a_worker_process_finds_its_database_in_its_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("JOBS_DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="JOBS_DATABASE_URL"):
        reminders.database_of("test-queue-without-database")
    monkeypatch.setenv("JOBS_DATABASE_URL", f"sqlite:///{tmp_path / 'worker.db'}")
    engine = reminders.database_of("test-queue-from-environment")
    assert str(engine.url).endswith("worker.db")
    reminders.use_database("test-queue-from-environment", None)
    registered = create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    reminders.use_database("test-queue-registered", registered)
    assert reminders.database_of("test-queue-registered") is registered
    reminders.use_database("test-queue-registered", None)
