"""Background jobs on RQ: one queue in Redis per app, run by a worker thread in this process (the embedded default)
or by an `rq worker` process this process starts (REDIS_URL set), or by workers of their own (WORKER=external).

A job's record lives in Redis (RQ's job hash: status, meta, result), so whoever asks about it next — this process, a
replica, the same app after a restart — finds it there; only what the job *did* lives in the database. Each job also
leaves a small owner record that outlives its result, so an owner asking too late hears "expired", not "never was".
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry as Retry_
from rq import Queue, Retry, SimpleWorker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.timeouts import TimerDeathPenalty

from course_lib.services.cache import redis_client
from course_lib.services.settings import Settings

WorkerKind = Literal["thread", "process", "external"]
IDLE_WAIT = 1.0  # seconds an idle worker thread sleeps before it looks again (an enqueue wakes it at once)
START_TIMEOUT = 30.0  # seconds an `rq worker` process may take to register in Redis before the app gives up
REDIS_TIMEOUT = 0.5  # seconds to connect to Redis, and to wait for each answer, before the API answers 503
OWNER_TTL = 24 * 3600  # seconds the owner record of a job outlives its result: "expired" instead of "unknown"

for _name in ("rq.worker", "rq.job", "rq.queue"):  # RQ prints to stdout/stderr unless its loggers have a handler
    logging.getLogger(_name).addHandler(logging.NullHandler())


class ThreadWorker(SimpleWorker):
    """RQ's SimpleWorker, fit for a thread: no signal handlers (only the main thread may install them), and
    `job_timeout` enforced by a timer that raises in the job's thread (RQ's TimerDeathPenalty), not by SIGALRM."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        """Nothing: the thread's owner stops it (EmbeddedWorker.stop), a signal never reaches it."""


class EmbeddedWorker:
    """A worker thread of this process: it runs every job of its queue as soon as an enqueue wakes it."""

    kind: WorkerKind = "thread"

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self._wake, self._stopping = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        self._worker: ThreadWorker | None = None

    def start(self) -> None:
        """Start the thread (idempotent)."""
        if self._thread is None or not self._thread.is_alive():
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name=f"rq-{self.queue.name}", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """A job is waiting: look now instead of after IDLE_WAIT."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            self._worker = ThreadWorker([self.queue], connection=self.queue.connection)
            self._worker.work(burst=True, logging_level="WARNING")  # every job queued now, then back here
            self._wake.wait(IDLE_WAIT)

    def stop(self, timeout: float = 30.0) -> None:
        """Let the job running now finish, then end the thread (a job left in the queue waits for the next worker)."""
        self._stopping.set()
        if self._worker is not None:
            self._worker._stop_requested = True  # between two jobs, a burst ends here
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        """True while the thread lives."""
        return self._thread is not None and self._thread.is_alive()


class WorkerProcess:
    """`rq worker` in a child process of this one, on REDIS_URL: the way a deploy runs jobs, started and stopped with
    the app. Its environment names the app's database (JOBS_DATABASE_URL), so the jobs write where the app reads."""

    kind: WorkerKind = "process"

    def __init__(self, queue: Queue, redis_url: str, environment: Mapping[str, str], command: str = "rq.cli") -> None:
        self.queue, self.redis_url, self.environment = queue, redis_url, dict(environment)
        self.command = command  # the module run with `python -m`: rq.cli, or one that imports the jobs first
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.gettempdir()) / f"course-rq-{os.getpid()}-{queue.name}.log"

    def start(self) -> None:
        """Start the process; it takes jobs once it has imported them (seconds): the queue holds them meanwhile."""
        if self.process is not None and self.process.poll() is None:
            return
        from course_lib.lab import children  # children die with this process, even when it is killed

        worker = ["worker"] if self.command == "rq.cli" else []  # rq.cli needs the subcommand, a wrapper adds it
        command = [sys.executable, "-m", self.command, *worker, "--url", self.redis_url, "--name", self.name,
                   "--job-monitoring-interval", "1", "--logging_level", "WARNING", self.queue.name]  # fmt: skip
        root = str(Path(__file__).resolve().parents[2])  # the course_lib this process imports
        path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
        with self.log.open("wb") as log:
            self.process = children.start(
                command, env={**os.environ, **self.environment, "PYTHONPATH": path}, stdout=log, stderr=log
            )

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until the process has registered in Redis (polling, bounded); RuntimeError, and the process stopped,
        if it died or did not register in time."""
        assert self.process is not None, "start() first"
        deadline = time.monotonic() + timeout
        try:
            while not self.queue.connection.exists(f"rq:worker:{self.name}"):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(self.log.read_text(errors="replace")[-2000:] or "no output")
                time.sleep(0.05)  # polling for readiness, bounded by START_TIMEOUT
        except (RuntimeError, redis.RedisError) as error:
            self.stop()
            raise RuntimeError(f"rq worker {self.name} did not start: {error}") from None

    @property
    def name(self) -> str:
        """The worker's name in Redis: its queue's and this process's."""
        return f"{self.queue.name}-{os.getpid()}"

    def wake(self) -> None:
        """Nothing: the process blocks on the queue in Redis and sees a new job at once."""

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (RQ's warm shutdown: the job running now finishes), then SIGKILL after `timeout` s."""
        from course_lib.lab import children

        if self.process is not None:
            children.stop(self.process, timeout=timeout)
            self.process = None
        self.log.unlink(missing_ok=True)

    @property
    def running(self) -> bool:
        """True while the process lives."""
        return self.process is not None and self.process.poll() is None


class ExternalWorkers:
    """Workers of their own (`make worker`, a deploy's worker service): the app only enqueues."""

    kind: WorkerKind = "external"
    running = True

    def start(self) -> None:
        """Nothing to start."""

    def wake(self) -> None:
        """Nothing: they block on the queue in Redis."""

    def stop(self, timeout: float = 30.0) -> None:
        """Nothing to stop."""


Worker = EmbeddedWorker | WorkerProcess | ExternalWorkers


class JobQueue:
    """An app's jobs: enqueue with an owner, fetch (or hear that the result expired), and the worker that runs them."""

    def __init__(
        self,
        settings: Settings,
        name: str,
        environment: Mapping[str, str] | None = None,
        worker_command: str = "rq.cli",
    ) -> None:
        # RQ stores pickled bytes. Short timeouts and one retry: a Redis that is down costs a request about a second
        # (a 503), not redis-py's default retries; the worker process has its own connection and no such limit.
        self.redis: redis.Redis = redis_client(
            settings,
            decode_responses=False,
            socket_timeout=REDIS_TIMEOUT,
            socket_connect_timeout=REDIS_TIMEOUT,
            retry=Retry_(NoBackoff(), 1),
        )
        self.queue = Queue(name, connection=self.redis)
        self.result_ttl, self.timeout = settings.job_result_ttl, settings.job_timeout
        kind = settings.job_worker
        if kind == "process" and not settings.redis_url:
            raise ValueError("WORKER=process needs REDIS_URL: a worker process cannot reach this process's fakeredis")
        self.worker: Worker
        if kind == "thread":
            self.worker = EmbeddedWorker(self.queue)
        elif kind == "process":
            assert settings.redis_url is not None
            self.worker = WorkerProcess(self.queue, settings.redis_url, environment or {}, worker_command)
        else:
            self.worker = ExternalWorkers()

    @property
    def name(self) -> str:
        """The queue's name in Redis."""
        return self.queue.name

    def enqueue(
        self,
        function: Callable[..., Any],
        *args: Any,
        owner_id: int,
        retry: Retry | None = None,
        request_id: str | None = None,
        **kwargs: Any,
    ) -> Job:
        """Queue `function(*args, **kwargs)` for `owner_id`; its id is RQ's (a random UUID: unguessable).

        `request_id` is the id of the request that asked for the job (chapter 21): the job's log lines carry it.
        """
        job = self.queue.enqueue(
            function,
            args=args,
            kwargs=kwargs,
            meta={"owner_id": owner_id, "progress": None, "request_id": request_id},
            result_ttl=self.result_ttl,
            failure_ttl=self.result_ttl,
            job_timeout=self.timeout,
            retry=retry,
        )
        self.redis.set(self._owner_key(job.id), str(owner_id), ex=self.result_ttl + OWNER_TTL)
        self.worker.wake()
        return job

    def fetch(self, job_id: str) -> Job | None:
        """The job, or None when Redis has no record of it (never was, or its result expired)."""
        try:
            return Job.fetch(job_id, connection=self.redis)
        except (NoSuchJobError, ValueError):
            return None

    def owner_of(self, job_id: str) -> int | None:
        """Who enqueued `job_id`, while its owner record lives (a day longer than its result)."""
        owner = self.redis.get(self._owner_key(job_id))
        return int(owner) if owner is not None else None

    def _owner_key(self, job_id: str) -> str:
        return f"jobs:{self.queue.name}:owner:{job_id}"

    def clear(self) -> None:
        """Forget this app's jobs: the queue, every job record, the owner records."""
        for key in self.redis.scan_iter(match=f"jobs:{self.queue.name}:owner:*"):
            self.redis.delete(key)
        for registry in (self.queue.finished_job_registry, self.queue.failed_job_registry):
            for job_id in registry.get_job_ids():
                self.redis.delete(Job.key_for(job_id), f"rq:results:{job_id}")
            self.redis.delete(registry.key)
        self.queue.empty()
        self.queue.delete(delete_jobs=True)
