"""The background job of chapter 17: e-mail a user a reminder of each of their open tasks.

It lives in an importable module, never in a notebook's `__main__`: a worker process imports it by name
(`course_lib.taskapi.reminders.send_reminders`). The e-mails go into an outbox table (a relay would hand them to
the mail service); the processed-ids record `processed_effects` says which (job, task) pairs are done, and it commits
in the same transaction as the e-mail, so a job run again — RQ's retry, a worker killed mid-job — never sends one
twice. The tables are this chapter's own (a deploy would add them in a migration beside chapter 13's).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from rq import get_current_job
from rq.job import Job
from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.exc import IntegrityError

from course_lib.services.db import engine_for_url
from course_lib.taskapi.orm_models import TaskRow, UserRow
from course_lib.web.request_ids import request_context

log = logging.getLogger(__name__)

JOB_TABLES = MetaData()
OUTBOX = Table(
    "outbox",
    JOB_TABLES,
    Column("id", Integer, primary_key=True),
    Column("recipient", String(320), nullable=False),
    Column("subject", String(600), nullable=False),
    Column("task_id", Integer, nullable=False),
    Column("job_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
)
PROCESSED = Table(  # the processed-ids record: one row per effect done, its key unique
    "processed_effects",
    JOB_TABLES,
    Column("key", String(200), primary_key=True),
    Column("processed_at", DateTime(timezone=True), server_default=func.now()),
)

_ENGINES: dict[str, Engine] = {}  # queue name → its app's database, in a process that serves the app
_LOCK = threading.Lock()


def use_database(queue_name: str, engine: Engine | None) -> None:
    """Jobs of `queue_name` run in this process write to `engine` (None: forget it); the app says so when served."""
    with _LOCK:
        if engine is None:
            _ENGINES.pop(queue_name, None)
        else:
            JOB_TABLES.create_all(engine, checkfirst=True)
            _ENGINES[queue_name] = engine


def database_of(queue_name: str) -> Engine:
    """The database of a queue's app: registered here (a worker thread), else JOBS_DATABASE_URL (a worker process
    the app started), else DATABASE_URL (`make worker` beside replicas on one database)."""
    with _LOCK:
        if queue_name not in _ENGINES:
            url = os.environ.get("JOBS_DATABASE_URL") or os.environ.get("DATABASE_URL")
            if not url:
                raise RuntimeError(f"no database for the jobs of queue {queue_name!r}: set JOBS_DATABASE_URL")
            _ENGINES[queue_name] = engine_for_url(url)
        return _ENGINES[queue_name]


def send_reminders(user_id: int, mail_latency: float, fail_after: int | None = None) -> dict[str, int]:
    """E-mail `user_id` one reminder per open task, each taking `mail_latency` s; progress in the job's meta.

    `fail_after` (demonstrations only; the API never sets it): the first attempt fails after that many e-mails, as
    a mail service that drops the connection would, so a retry has something to repeat.
    """
    job = get_current_job()
    assert job is not None, "send_reminders runs as an RQ job"
    job.meta["attempt"] = job.meta.get("attempt", 0) + 1  # 1 on the first run, 2 on its first retry, ...
    # Its log lines carry the id of the request that asked for it (chapter 21), in a worker process too.
    with request_context(job.meta.get("request_id"), user_id):
        result = e_mail_reminders(job, user_id, mail_latency, fail_after)
        log.info("reminders: %(sent)s sent, %(already_sent)s already sent, %(tasks)s tasks", result)
    return result


def e_mail_reminders(job: Job, user_id: int, mail_latency: float, fail_after: int | None) -> dict[str, int]:
    """send_reminders' work, inside its request's context."""
    engine = database_of(job.origin)
    with engine.connect() as connection:
        recipient = connection.scalar(select(UserRow.email).where(UserRow.id == user_id))
        tasks = connection.execute(
            select(TaskRow.id, TaskRow.title).where(TaskRow.owner_id == user_id, TaskRow.done.is_(False))
            .order_by(TaskRow.id)
        ).all()  # fmt: skip
    sent = already = 0
    report(job, 0, len(tasks))
    for done, (task_id, title) in enumerate(tasks, start=1):
        if fail_after is not None and sent == fail_after and job.meta["attempt"] == 1:
            raise ConnectionError(f"the mail service dropped the connection after {sent} e-mails")
        if send_once(engine, f"reminder:{job.id}:{task_id}", recipient or "", f"Reminder: {title}", task_id, job.id):
            sent += 1
            time.sleep(mail_latency)  # the mail service's time for one e-mail (simulated)
        else:
            already += 1
        report(job, done, len(tasks))
    return {"sent": sent, "already_sent": already, "tasks": len(tasks)}


def send_once(engine: Engine, key: str, recipient: str, subject: str, task_id: int, job_id: str) -> bool:
    """Put one e-mail in the outbox unless `key` is in the processed-ids record: both in one transaction, so the
    e-mail exists exactly when its key does. False when it was sent before."""
    try:
        with engine.begin() as connection:
            connection.execute(insert(PROCESSED).values(key=key))  # a second run fails here: the key is unique
            connection.execute(
                insert(OUTBOX).values(recipient=recipient, subject=subject, task_id=task_id, job_id=job_id)
            )
    except IntegrityError:
        return False
    return True


def report(job: Any, done: int, total: int) -> None:
    """Progress where the API reads it: the job's meta in Redis."""
    job.meta["progress"] = {"done": done, "total": total}
    job.save_meta()


def outbox(engine: Engine) -> list[dict[str, Any]]:
    """Every e-mail in the outbox, oldest first."""
    with engine.connect() as connection:
        rows = connection.execute(select(OUTBOX).order_by(OUTBOX.c.id)).mappings().all()
    return [dict(row) for row in rows]
