"""Chapter 22's RQ jobs (importable: a worker process imports them by name) and an in-process worker for the defaults.

On the embedded defaults RQ runs on fakeredis in this process, so its worker is a thread here: chapter 17's
ThreadWorker (no signal handlers, `job_timeout` by a timer) in bursts `with_scheduler`, which moves retries whose
backoff has passed back to the queue. With REDIS_URL (and in the kill demonstrations) real `rq worker` processes run
the same functions.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from rq import Queue, get_current_job
from rq.job import Job, JobStatus

from course_lib.lab import job_effects
from course_lib.services.queue import ThreadWorker

FINAL = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


def send_reminders(batch: str, emails: int, latency: float = 0.0, fail_first: int = 0) -> dict[str, int]:
    """The reminders job on RQ: its progress goes into the job's meta."""
    job = get_current_job()
    assert job is not None, "send_reminders runs as an RQ job"

    def report(done: int, total: int) -> None:
        job.meta["progress"] = {"done": done, "total": total}
        job.save_meta()

    return job_effects.remind(job.connection, batch, emails, latency, report, fail_first)


def slow(seconds: float) -> str:
    """Work that takes `seconds`; it sleeps in short steps so that a timer's timeout can interrupt it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.02)
    return "done"


def noop(n: int) -> int:
    """The smallest job: measures the queue, not the work."""
    return n


class InProcessWorker:
    """A worker thread in this process (fakeredis cannot be shared with a worker process): bursts with the scheduler."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rq22-{queue.name}", daemon=True)

    def __enter__(self) -> InProcessWorker:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            worker = ThreadWorker([self.queue], connection=self.queue.connection)
            worker.work(burst=True, with_scheduler=True, logging_level="WARNING")
            self._stop.wait(0.05)  # the next look at the queue and at retries whose backoff has passed

    def stop(self) -> None:
        """End after the job running now."""
        self._stop.set()
        self._thread.join(30)


def wait_for(job: Job, timeout: float = 30.0) -> str:
    """Poll `job` (bounded) until it ends; its final status."""
    deadline = time.monotonic() + timeout
    while (status := job.get_status(refresh=True)) not in FINAL:
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job.id} still {status} after {timeout:g} s")
        time.sleep(0.02)
    return str(status.value if hasattr(status, "value") else status)
