"""/reminders and /jobs: work that takes longer than a request, accepted now and done by a worker (chapter 17).

| path | methods |
|---|---|
| /reminders | POST: e-mail the caller a reminder of each open task → 202 Accepted + Location of the job |
| /jobs/{job_id} | GET: the job's status, progress and result (its owner's alone: others get a missing job's 404) |

RFC 9110 §15.3.3: 202 means "accepted for processing, not completed"; the response says where to see how it goes.

POST /reminders takes no body, or an empty JSON object (any member is a 422: nothing is there to choose); from
chapter 20 on, each user may ask REMINDER_LIMIT times per window (429 + Retry-After past it, as every limit answers).
"""

# No `from __future__ import annotations`: FastAPI reads the parameter types at run time.

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

import redis
from fastapi import APIRouter, Body, Depends, Path, Response
from pydantic import BaseModel, ConfigDict
from rq import Retry
from rq.job import Job

from course_lib.services.queue import JobQueue
from course_lib.taskapi.context import AppContext, ContextDep, need
from course_lib.taskapi.records import User
from course_lib.taskapi.reminders import send_reminders
from course_lib.taskapi.seams import Seams
from course_lib.web.problems import Problem
from course_lib.web.rate_limits import REDIS_DOWN, Policy, too_many_requests
from course_lib.web.request_ids import current_request_id

RETRIES = 2  # a job that fails runs again, at most this many times (its effects are idempotent: safe to repeat)
JOB_ID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"  # RQ's ids: str(uuid4()), 122 random bits


class Progress(BaseModel):
    """How far a job is: `done` of `total` steps."""

    done: int
    total: int


class JobStatus(BaseModel):
    """A job as its owner sees it."""

    id: str
    status: Literal["queued", "started", "finished", "failed", "deferred", "scheduled", "stopped", "canceled"]
    progress: Progress | None
    result: dict[str, Any] | None = None
    error: str | None = None


class ReminderRequest(BaseModel):
    """The body of POST /reminders, if any: an empty object (a reminder covers every open task of the caller)."""

    model_config = ConfigDict(extra="forbid")


def job_queue(context: ContextDep) -> JobQueue:
    """The app's queue (chapter 17)."""
    return need(context.jobs, "job queue", 17)


QueueDep = Annotated[JobQueue, Depends(job_queue)]
JobId = Annotated[str, Path(pattern=JOB_ID, description="The id the 202's Location named (a UUID).")]


QUEUE_DOWN = "The job queue (Redis) is unreachable: nothing was queued (Retry-After)"
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"description": QUEUE_DOWN, "headers": {"Retry-After": {"schema": {"type": "integer"}}}}
}


@contextmanager
def queue_reachable() -> Iterator[None]:
    """A Redis error inside becomes 503 + Retry-After, as chapter 12 answers for any dependency that is down."""
    try:
        yield
    except redis.RedisError:
        raise Problem(503, QUEUE_DOWN, headers={"Retry-After": "5"}) from None


def not_found(job_id: str) -> Problem:
    """The one 404 for a job that never was and for another user's job: nothing tells them apart."""
    return Problem(404, f"job {job_id} not found")


def job_status(job: Job) -> JobStatus:
    """What GET /jobs/{id} says: the error of a failed job is a sentence, never its traceback."""
    status = job.get_status(refresh=False)
    failed = status == "failed"
    result = job.return_value(refresh=False) if status == "finished" else None
    error = "timed out" if failed and "JobTimeoutException" in (job.exc_info or "") else "failed" if failed else None
    return JobStatus(
        id=job.id,
        status=status.value if status is not None else "queued",  # type: ignore[arg-type]  # RQ's statuses
        progress=job.meta.get("progress"),
        result=result,
        error=error,
    )


def reminders_refused(context: AppContext, user_id: int) -> Response | None:
    """429 when `user_id` has asked for reminders REMINDER_LIMIT times in this window (chapter 20's counters, per
    user: each job e-mails every open task); None to go ahead, and always before chapter 20 or with Redis down."""
    if context.rate_limits is None:
        return None
    policy = Policy.parse("reminders", context.settings.reminder_limit)
    try:
        verdict = context.rate_limits.hit(policy, f"user-{user_id}")
    except REDIS_DOWN:
        return None  # as every limit of chapter 20: a cache outage must not become an API outage
    if verdict.allowed:
        return None
    return too_many_requests(verdict, f"more than {policy.quota} reminder jobs in {policy.window} s for this user")


def router(seams: Seams) -> APIRouter:
    """POST /reminders (202 + Location) and GET /jobs/{job_id}, for a logged-in caller."""
    jobs = APIRouter(tags=["jobs"])
    Who = Annotated[User, Depends(seams.current_user)]

    @jobs.post("/reminders", status_code=202, response_model=JobStatus, responses={401: {}, 422: {}, **UNAVAILABLE})
    async def send_my_reminders(
        who: Who,
        queue: QueueDep,
        context: ContextDep,
        response: Response,
        body: Annotated[ReminderRequest | None, Body()] = None,  # validated, nothing to read: a 422 for any member
    ) -> JobStatus | Response:
        """202 Accepted: a job will e-mail you a reminder of each open task; Location says where to follow it."""
        refused = reminders_refused(context, who.id)
        if refused is not None:
            return refused
        latency = context.settings.mail_latency
        with queue_reachable():
            job = queue.enqueue(
                send_reminders,
                who.id,
                latency,
                owner_id=who.id,
                retry=Retry(max=RETRIES),
                request_id=current_request_id(),  # None before chapter 21's request ids
            )
        response.headers["Location"] = f"/jobs/{job.id}"
        return JobStatus(id=job.id, status="queued", progress=None)

    @jobs.get("/jobs/{job_id}", response_model=JobStatus, responses={401: {}, 404: {}, **UNAVAILABLE})
    async def get_job(job_id: JobId, who: Who, queue: QueueDep) -> JobStatus:
        """200 with the job's status, progress and result; 404 for a job that is not yours or not known (any more)."""
        with queue_reachable():
            job = queue.fetch(job_id)
            expired = job is None and queue.owner_of(job_id) == who.id  # yours, but its record has expired
        if job is None or job.meta.get("owner_id") != who.id:
            if expired:
                raise Problem(
                    404,
                    f"job {job_id} ended and its record expired {queue.result_ttl} s later: send a new request",
                    type="/problems/job-expired",
                    title="Job record expired",
                )
            raise not_found(job_id)
        return job_status(job)

    return jobs
