"""The reminders done inside the request, as chapter 17 argues against, for its demonstrations (never part of the API).

- POST /lab/reminders/inline: the work inside the request (it answers when every e-mail is sent), with no
  processed-ids record: a client that times out and tries again sends every e-mail again;
- GET /lab/ping: the cheapest request. It and the inline route share WORKERS slots, as the requests of a server with
  that many workers (sync worker processes, or threads) do.
"""

# No `from __future__ import annotations`: FastAPI reads the parameter types at run time.

import secrets
import time
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends
from sqlalchemy import Engine, insert, select

from course_lib.services.settings import Settings
from course_lib.taskapi import ch17_background_jobs
from course_lib.taskapi.context import TaskAPI
from course_lib.taskapi.orm_models import TaskRow, UserRow
from course_lib.taskapi.records import User
from course_lib.taskapi.reminders import JOB_TABLES, OUTBOX

WORKERS = 4  # the slots the lab's inline route and ping share: a server with 4 workers


def remind_all(engine: Engine, user_id: int, latency: float, origin: str) -> int:
    """One e-mail per open task of `user_id` into the outbox, `latency` s each, nothing recorded: run twice, sent
    twice."""
    JOB_TABLES.create_all(engine, checkfirst=True)
    with engine.connect() as connection:
        recipient = connection.scalar(select(UserRow.email).where(UserRow.id == user_id)) or ""
        tasks = connection.execute(
            select(TaskRow.id, TaskRow.title).where(TaskRow.owner_id == user_id, TaskRow.done.is_(False))
        ).all()
    for task_id, title in tasks:
        with engine.begin() as connection:
            connection.execute(
                insert(OUTBOX).values(recipient=recipient, subject=f"Reminder: {title}", task_id=task_id, job_id=origin)
            )
        time.sleep(latency)  # the mail service's time for one e-mail (simulated)
    return len(tasks)


def lab_router(app: TaskAPI) -> APIRouter:
    """The lab routes of `app` (its database, its current_user)."""
    lab = APIRouter(prefix="/lab", tags=["lab"])
    Who = Annotated[User, Depends(app.context.seams.current_user)]
    engine = ch17_background_jobs.sql_database(app).engine
    latency = app.context.settings.mail_latency
    slots: dict[str, anyio.CapacityLimiter] = {}

    def workers() -> anyio.CapacityLimiter:
        if "workers" not in slots:  # made on the server's event loop, on first use
            slots["workers"] = anyio.CapacityLimiter(WORKERS)
        return slots["workers"]

    @lab.post("/reminders/inline")
    async def inline(who: Who) -> dict[str, int]:
        """200 once every e-mail is sent: the request holds a worker all that time."""
        origin = f"inline-{secrets.token_hex(4)}"  # this request's mark on its e-mails
        sent = await anyio.to_thread.run_sync(remind_all, engine, who.id, latency, origin, limiter=workers())
        return {"sent": sent}

    @lab.get("/ping")
    async def ping() -> dict[str, str]:
        """The cheapest answer, but it needs a worker too."""
        await anyio.to_thread.run_sync(lambda: None, limiter=workers())
        return {"pong": "yes"}

    return lab


def lab_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 17's API plus the lab routes (for the demonstrations only)."""
    app = ch17_background_jobs.create_app(settings)
    app.include_router(lab_router(app))
    return app
