"""Deliberately broken task APIs for checks 15 and 22: the finished API with one mistake that shows only when a
process dies under it. Each is an app factory (settings → app); test_mutants.py proves the check fails on it.

The job function lives here, in an importable module, so the rq worker processes the check starts can run it.
"""

from __future__ import annotations

from typing import Any

from rq import get_current_job
from sqlalchemy import insert, select

from course_lib.services.cache_aside import CacheUnavailable
from course_lib.taskapi import latest
from course_lib.taskapi.orm_models import TaskRow, UserRow
from course_lib.taskapi.reminders import OUTBOX, database_of, report


def send_reminders_every_time(user_id: int, mail_latency: float, fail_after: int | None = None) -> dict[str, int]:
    """The reminder job without its processed-ids record: run again, it e-mails again what it had e-mailed."""
    import time

    job = get_current_job()
    assert job is not None, "runs as an RQ job"
    engine = database_of(job.origin)
    with engine.connect() as connection:
        recipient = connection.scalar(select(UserRow.email).where(UserRow.id == user_id))
        tasks = connection.execute(
            select(TaskRow.id, TaskRow.title).where(TaskRow.owner_id == user_id, TaskRow.done.is_(False))
        ).all()
    for done, (task_id, title) in enumerate(tasks, start=1):
        with engine.begin() as connection:
            connection.execute(
                insert(OUTBOX).values(
                    recipient=recipient or "", subject=f"Reminder: {title}", task_id=task_id, job_id=job.id
                )  # fmt: skip
            )
        time.sleep(mail_latency)
        report(job, done, len(tasks))
    return {"sent": len(tasks), "already_sent": 0, "tasks": len(tasks)}


def job_effect_repeated(settings: Any = None) -> Any:
    """A job whose effects are not idempotent: a retry after a killed work horse e-mails twice."""
    app = latest(settings)
    queue = app.context.jobs
    enqueue = queue.enqueue
    queue.enqueue = lambda function, *args, **kwargs: enqueue(send_reminders_every_time, *args, **kwargs)  # type: ignore[method-assign]
    return app


def job_timeout_ignored(settings: Any = None) -> Any:
    """Jobs enqueued without a timeout (RQ's -1): a job stuck or slow holds its worker for ever."""
    app = latest(settings)
    app.context.jobs.timeout = -1
    return app


def cache_write_without_invalidation(settings: Any = None) -> Any:
    """A write that commits when Redis cannot hear of it: after Redis returns, its old copy is served."""
    app = latest(settings)
    cache = app.context.cache
    hold = cache.hold

    def hold_or_not(scopes: set[str]) -> None:
        try:
            hold(scopes)
        except CacheUnavailable:
            pass  # the mistake: commit anyway

    cache.hold = hold_or_not  # type: ignore[method-assign]
    return app


def pool_without_pre_ping(settings: Any = None) -> Any:
    """An engine whose pool hands out connections without testing them: after a PostgreSQL restart, requests get
    the connections the restart cut."""
    app = latest(settings)
    app.context.storage.database.engine.pool._pre_ping = False
    return app
