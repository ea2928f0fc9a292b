"""Real worker processes for chapter 22, and what survives when one is killed (SIGKILL, by its process id).

Forking workers need a Redis that every process reaches: REDIS_URL's redis-server, or on the defaults fakeredis'
TcpFakeServer serving from a thread of this process (slower than redis-server, the same protocol). Every worker
started here is a child of this process: stopped on leaving its `with`, and killed with this process.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import redis
from rq import Queue, Retry
from rq.registry import StartedJobRegistry
from rq.scheduler import RQScheduler

from course_lib.lab import celery_app, children, fake_redis_tcp, job_effects, rq_full

ROOT = str(Path(__file__).resolve().parents[2])


@contextmanager
def redis_url(url: str | None = None) -> Iterator[str]:
    """`url` (REDIS_URL's redis-server) as is, else this process's TcpFakeServer on 127.0.0.1 (started once)."""
    yield url or fake_redis_tcp.shared_url()


def _environment(url: str) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "COURSE_CELERY_URL": url}


class Process:
    """One worker process: started now, its output in a log file, stopped (SIGTERM, then SIGKILL) by `stop`."""

    def __init__(self, name: str, command: list[str], url: str) -> None:
        self.name = name
        self.log = Path(tempfile.gettempdir()) / f"course22-{os.getpid()}-{name}.log"
        with self.log.open("wb") as log:
            self.popen = children.start(command, env=_environment(url), stdout=log, stderr=log, cwd=ROOT)

    @property
    def pid(self) -> int:
        """Its process id."""
        return self.popen.pid

    def kill(self) -> None:
        """SIGKILL it and its children (an rq worker's horse and scheduler, a Celery worker's pool), as the OOM killer
        of its container or a lost machine would: no clean-up runs, and no orphan lives on."""
        family = _children_of(self.pid)
        os.kill(self.pid, signal.SIGKILL)
        self.popen.wait(10)
        for pid in family:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        """Warm shutdown: SIGTERM, the job running now finishes (SIGKILL after 10 s)."""
        children.stop(self.popen, timeout=10)
        self.log.unlink(missing_ok=True)

    def tail(self) -> str:
        """The end of its log."""
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""


def _children_of(pid: int) -> list[int]:
    """The process ids of `pid`'s children (Linux's /proc; none known elsewhere)."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def rq_worker(url: str, queue: str, name: str) -> Process:
    """A real `rq worker` (a work horse forked per job), checking its horse every second, with the scheduler. Its
    name gets a random suffix: a worker killed earlier stays registered under its name for minutes.

    Its worker TTL of 16 s makes it wait on the queue (BLPOP) 1 s at a time, not RQ's default 405 s: TcpFakeServer
    does not notice a killed client while it blocks, so a killed worker's BLPOP would live on in the server for minutes
    and take the next job pushed (a second Run All found the retried job gone to the dead worker)."""
    name = f"{name}-{uuid.uuid4().hex[:6]}"
    command = [sys.executable, "-m", "course_lib.lab.rq_worker", "--url", url, "--name", name, "--worker-ttl", "16",
               "--job-monitoring-interval", "1", "--with-scheduler", "--logging_level", "WARNING", queue]  # fmt: skip
    return Process(name, command, url)


def celery_worker(url: str, name: str) -> Process:
    """A real Celery worker: prefork pool with one child, which runs the jobs (a unique name, as an rq worker)."""
    name = f"{name}-{uuid.uuid4().hex[:6]}"
    command = [sys.executable, "-m", "celery", "-A", "course_lib.lab.celery_app", "worker", "--pool", "prefork",
               "--concurrency", "1", "-n", f"{name}@127.0.0.1", "--loglevel", "WARNING", "--without-gossip",
               "--without-mingle", "--without-heartbeat"]  # fmt: skip
    return Process(name, command, url)


def celery_beat(url: str, schedule: Path) -> Process:
    """Celery beat: sends the app's beat_schedule to the queue (its state in `schedule`)."""
    command = [sys.executable, "-m", "celery", "-A", "course_lib.lab.celery_app", "beat", "-s", str(schedule),
               "--max-interval", "1", "--loglevel", "WARNING"]  # fmt: skip
    return Process("beat", command, url)


def wait_until(condition: Callable[[], object], timeout: float, what: str, *watched: Process) -> None:
    """Poll `condition` (bounded); TimeoutError naming `what`, with the logs of the `watched` processes."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {p.name}\n{p.tail()}" for p in watched)
            raise TimeoutError(f"{what}: not within {timeout:g} s\n{logs}")
        time.sleep(0.02)


def rq_ready(r: redis.Redis, *workers: Process, timeout: float = 30.0) -> None:
    """Wait until every rq worker has registered in Redis."""
    for worker in workers:
        key = f"rq:worker:{worker.name}"
        wait_until(partial(r.exists, key), timeout, f"rq worker {worker.name}", worker)


def celery_ready(*workers: Process, timeout: float = 30.0) -> None:
    """Wait until every Celery worker answers a ping."""
    names = {f"{worker.name}@127.0.0.1" for worker in workers}

    def answered() -> bool:
        # limit: return as soon as they all answered, not after the whole timeout
        replies = celery_app.app.control.ping(sorted(names), timeout=0.5, limit=len(names)) or []
        return names <= {name for reply in replies for name in reply}

    wait_until(answered, timeout, "celery workers " + ", ".join(sorted(names)), *workers)


@dataclass
class KillResult:
    """What a kill did to one job."""

    queue: str
    killed: str
    attempts: int
    status: str
    effects: int
    distinct: int
    emails: int
    seconds: float

    @property
    def exactly_once(self) -> bool:
        """Every e-mail in the outbox, none twice."""
        return self.effects == self.distinct == self.emails


def _mid_job(r: redis.Redis, batch: str, sent: int, timeout: float, *watched: Process) -> dict[str, int]:
    """Wait until `batch` has sent `sent` e-mails; the process ids of the run."""
    wait_until(lambda: len(job_effects.outbox(r, batch)) >= sent, timeout, f"{sent} e-mails of {batch}", *watched)
    return job_effects.pids(r, batch)


def _result(r: redis.Redis, queue: str, killed: str, batch: str, status: str, emails: int, began: float) -> KillResult:
    sent = job_effects.outbox(r, batch)
    return KillResult(queue, killed, job_effects.attempts(r, batch), status, len(sent), len(set(sent)), emails,
                      round(time.monotonic() - began, 1))  # fmt: skip


def kill_rq_horse(r: redis.Redis, queue: Queue, emails: int = 10, latency: float = 0.05) -> KillResult:
    """SIGKILL the work horse mid-job: the worker sees it die and, the job having a retry left, queues it again."""
    batch, began = f"rq-horse-{uuid.uuid4().hex[:8]}", time.monotonic()
    job = queue.enqueue(rq_full.send_reminders, batch, emails, latency, retry=Retry(max=2), job_timeout=60)
    os.kill(_mid_job(r, batch, 3, 30)["pid"], signal.SIGKILL)
    status = rq_full.wait_for(job, 30)
    return _result(r, "RQ", "work horse (SIGKILL)", batch, status, emails, began)


def kill_rq_worker(
    r: redis.Redis, queue: Queue, workers: list[Process], emails: int = 10, latency: float = 0.05
) -> KillResult:
    """SIGKILL a whole rq worker and its horse mid-job: the job stays `started` with no one running it, until a
    live worker's maintenance finds its registry entry expired (≥ 61 s; fast-forwarded here) and retries it."""
    batch, began = f"rq-worker-{uuid.uuid4().hex[:8]}", time.monotonic()
    job = queue.enqueue(rq_full.send_reminders, batch, emails, latency, retry=Retry(max=2), job_timeout=60)
    ids = _mid_job(r, batch, 3, 30, *workers)
    victim = next(w for w in workers if w.pid == ids["parent"])
    victim.kill()  # the worker first, so that it cannot notice its horse's death; then the horse and the scheduler
    # A killed scheduler's lock on the queue outlives it by 61 s, and a new worker tries to take it only at its start
    # and every 2 minutes: the next Run All's retries (REDIS_URL) would wait for it. A live scheduler that held it
    # takes it again at its next heartbeat (every second).
    r.delete(RQScheduler.get_locking_key(queue.name))
    wait_until(lambda: job.get_status(refresh=True) == "started", 5, "the orphaned job")
    # What a live worker's maintenance does once the entry has expired; a timestamp in the future expires it now.
    StartedJobRegistry(queue=queue).cleanup(timestamp=time.time() + 120)
    status = rq_full.wait_for(job, 30)
    return _result(r, "RQ", "whole worker (SIGKILL)", batch, status, emails, began)


def kill_celery_child(r: redis.Redis, emails: int = 10, latency: float = 0.05) -> KillResult:
    """SIGKILL the prefork child mid-job: the pool starts a new child, the message goes back to the queue."""
    batch, began = f"celery-child-{uuid.uuid4().hex[:8]}", time.monotonic()
    result = celery_app.send_reminders.delay(batch, emails, latency)
    os.kill(_mid_job(r, batch, 3, 30)["pid"], signal.SIGKILL)
    result.get(timeout=30, propagate=False)
    return _result(r, "Celery", "pool child (SIGKILL)", batch, result.state, emails, began)


def kill_celery_worker(
    r: redis.Redis,
    workers: list[Process],
    emails: int = 10,
    latency: float = 0.05,
    meanwhile: Callable[[], object] | None = None,
) -> KillResult:
    """SIGKILL a whole Celery worker and its child mid-job: the message stays unacknowledged in Redis until the
    visibility timeout passes, then a live worker restores it to the queue. `meanwhile` runs during that wait."""
    batch, began = f"celery-worker-{uuid.uuid4().hex[:8]}", time.monotonic()
    result = celery_app.send_reminders.delay(batch, emails, latency)
    ids = _mid_job(r, batch, 3, 30, *workers)
    victim = next(w for w in workers if w.pid == ids["parent"])
    victim.kill()  # and its pool's child
    if meanwhile is not None:
        meanwhile()
    result.get(timeout=30 + celery_app.VISIBILITY_TIMEOUT, propagate=False)
    return _result(r, "Celery", "whole worker (SIGKILL)", batch, result.state, emails, began)


def kill_celery_worker_and_child(r: redis.Redis, workers: list[Process]) -> tuple[KillResult, KillResult]:
    """Kill a whole Celery worker mid-job and, while its job waits out the visibility timeout, the pool child of the
    other worker mid-job (the two recoveries overlap); the results of the child's kill and of the worker's."""
    child: list[KillResult] = []
    whole = kill_celery_worker(r, workers, meanwhile=lambda: child.append(kill_celery_child(r)))
    return child[0], whole


def survivor(workers: list[Process]) -> list[Process]:
    """The workers still alive."""
    return [w for w in workers if w.popen.poll() is None]


def stop_all(processes: list[Process]) -> None:
    """Stop every process still running (warm shutdown): SIGTERM to all first, so that they shut down together."""
    for process in processes:
        if process.popen.poll() is None:
            process.popen.terminate()
    for process in reversed(processes):
        process.stop()
