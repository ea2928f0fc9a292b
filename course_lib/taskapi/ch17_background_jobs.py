"""Chapter 17 — background jobs: work longer than a request is accepted (202) and done by a worker.

- POST /reminders → 202 Accepted + Location: /jobs/{id}; a worker e-mails a reminder of each open task (into an
  outbox table), its progress in the job's record; GET /jobs/{id} → status, progress, result (RFC 9110 §15.3.3);
- a job is its owner's alone: another user's job and an unknown id get the same 404; ids are random UUIDs;
- the record of an ended job is kept `job_result_ttl` seconds, then its owner hears 404 "expired";
- a failed job runs again (RQ's Retry), and each e-mail commits with its processed-id, so none is sent twice;
- the worker: a thread of this process with the embedded fakeredis, an `rq worker` process this app starts and stops
  with REDIS_URL (the same database: its URL goes in the process's environment), or external workers (WORKER).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

import redis
from sqlalchemy import make_url

from course_lib.services.db import Database
from course_lib.services.queue import JobQueue
from course_lib.services.settings import Settings
from course_lib.taskapi import ch16_redis_cache, reminders
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import TaskAPI, need
from course_lib.taskapi.routes import jobs
from course_lib.taskapi.seams import Seams
from course_lib.taskapi.sql_storage import SqlStorage

SHARED_QUEUE = "tasks"  # replicas on one database, and `make worker`, share this queue


def extend(app: TaskAPI, seams: Seams) -> None:
    """A job queue beside the cache, and the routes that use it."""
    settings = app.context.settings
    name = f"tasks-{secrets.token_hex(4)}" if settings.isolate_database else SHARED_QUEUE
    environment = {"JOBS_DATABASE_URL": database_url(app)}  # a worker process writes where this app reads
    queue = app.context.jobs = JobQueue(settings, name, environment, worker_command="course_lib.taskapi.worker")
    app.context.at_stop(queue.clear)  # an app of its own forgets its jobs with its data
    app.include_router(jobs.router(seams))


def sql_database(app: TaskAPI) -> Database:
    """The database under the app's storage (chapter 16's cache passes the attribute through to chapter 13's)."""
    return cast(SqlStorage, app.context.storage).database


def database_url(app: TaskAPI) -> str:
    """The app's own database as a URL a worker process can open (a PostgreSQL schema rides in the URL's options)."""
    database = sql_database(app)
    url = make_url(database.url)
    schema = getattr(database, "schema", None)  # an IsolatedDatabase's on PostgreSQL
    if schema:
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@asynccontextmanager
async def lifespan(app: TaskAPI) -> AsyncIterator[None]:
    """While served: the job tables exist, the worker runs, and jobs run here find the app's database."""
    queue = need(app.context.jobs, "job queue", 17)
    reminders.use_database(queue.name, sql_database(app).engine)
    try:
        queue.worker.start()
    except (RuntimeError, redis.RedisError) as error:  # Redis down: serve anyway (job routes answer 503 meanwhile)
        logging.getLogger("course_lib.taskapi").warning("the job worker did not start: %s", error)
    try:
        yield
    finally:
        queue.worker.stop()
        reminders.use_database(queue.name, None)


CHAPTER = Chapter(__name__, previous=ch16_redis_cache.CHAPTER, extend=extend, lifespan=lifespan)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 16's API with background jobs: 202 Accepted, a job resource, a worker."""
    return build_app(CHAPTER, settings)
