"""Chapter 22's Celery app: the reminders job with acks_late, reject_on_worker_lost and retries with backoff, and a
beat schedule. Its broker and result backend are one Redis, named by COURSE_CELERY_URL (a worker process gets it in
its environment; the notebook calls `configure`).

The visibility timeout is short (3 s, Redis' default is an hour) so that a job of a worker killed whole comes back
within the chapter; it must stay longer than any job and any retry countdown, or a slow job is delivered twice.
"""

from __future__ import annotations

import os

import redis
from celery import Celery

from course_lib.lab import job_effects

VISIBILITY_TIMEOUT = 3  # seconds an unacknowledged message waits before the broker gives it to a worker again

app = Celery("course22", broker=os.environ.get("COURSE_CELERY_URL", "memory://"))
app.conf.update(
    result_backend=os.environ.get("COURSE_CELERY_URL", "cache+memory://"),
    broker_transport_options={
        "visibility_timeout": VISIBILITY_TIMEOUT,
        "unacked_restore_interval": 1,  # look for expired messages every second (default 10 s)…
        "unacked_restore_throttle": 1,  # …in every worker process that may (default once per 10 s, per host)
    },
    result_expires=600,
    worker_prefetch_multiplier=1,  # a worker holds one message beyond the one it runs, not four
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    beat_schedule={"tick": {"task": "course_lib.lab.celery_app.tick", "schedule": 1.0}},
)


def configure(url: str) -> None:
    """Use the Redis at `url` as broker and result backend (in the notebook's process)."""
    app.conf.broker_url = url
    app.conf.result_backend = url
    os.environ["COURSE_CELERY_URL"] = url


def effects_redis() -> redis.Redis:
    """The Redis the effects go to: the broker's."""
    return redis.Redis.from_url(app.conf.broker_url)


@app.task(
    bind=True,
    acks_late=True,  # acknowledge after the run, not before: a run that dies leaves the message in the broker
    reject_on_worker_lost=True,  # a killed child sends the message back to the queue instead of failing the job
    autoretry_for=(ConnectionError,),
    retry_backoff=1,  # 1 s, 2 s, 4 s …
    retry_jitter=False,  # exact delays here; in production keep the jitter, so that retries do not come in waves
    max_retries=3,
)
def send_reminders(self, batch: str, emails: int, latency: float = 0.0, fail_first: int = 0) -> dict[str, int]:
    """The reminders job on Celery: its progress goes into the result backend (state PROGRESS)."""

    def report(done: int, total: int) -> None:
        self.update_state(state="PROGRESS", meta={"done": done, "total": total})

    return job_effects.remind(effects_redis(), batch, emails, latency, report, fail_first)


@app.task
def noop(n: int) -> int:
    """The smallest job: measures the queue, not the work."""
    return n


@app.task
def tick() -> int:
    """What beat sends every second: counts itself."""
    return effects_redis().incr(f"{job_effects.PREFIX}:ticks")
