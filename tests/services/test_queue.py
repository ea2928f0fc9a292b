"""The job queue: a worker thread that starts, wakes and stops cleanly, an `rq worker` process on REDIS_URL that
reaches the app's database, and who may read a job."""

import os
import threading
import time

import pytest
from rq.timeouts import TimerDeathPenalty

from course_lib.services.queue import EmbeddedWorker, ExternalWorkers, JobQueue, ThreadWorker, WorkerProcess
from course_lib.services.settings import Settings
from tests.taskapi.jobs_for_tests import spin


def wait_for(job, deadline_s: float = 30.0) -> str:
    deadline = time.monotonic() + deadline_s
    while (status := job.get_status(refresh=True)) not in ("finished", "failed"):
        assert time.monotonic() < deadline, status
        time.sleep(0.02)
    return status


def test_the_worker_kind_follows_the_settings():
    assert Settings(redis_url=None).job_worker == "thread"
    assert Settings(redis_url="redis://127.0.0.1:6379/0").job_worker == "process"
    assert Settings(redis_url="redis://127.0.0.1:6379/0", worker="external").job_worker == "external"
    assert Settings(redis_url=None).describe(jobs=True).endswith("· jobs: worker thread")
    with pytest.raises(ValueError, match="needs REDIS_URL"):
        JobQueue(Settings(redis_url=None, worker="process"), "test-no-redis")


def test_a_thread_worker_uses_a_timer_not_sigalrm():
    assert ThreadWorker.death_penalty_class is TimerDeathPenalty


@pytest.mark.skipif(bool(os.environ.get("REDIS_URL")), reason="the embedded worker thread runs on fakeredis")
def test_the_worker_thread_runs_a_job_at_once_and_stops_without_a_trace():
    queue = JobQueue(Settings(), "test-thread-queue")
    assert isinstance(queue.worker, EmbeddedWorker)
    queue.worker.start()
    queue.worker.start()  # idempotent: still one thread
    assert [t.name for t in threading.enumerate()].count("rq-test-thread-queue") == 1
    job = queue.enqueue(spin, 0.05, owner_id=1)
    assert wait_for(job, 10) == "finished" and job.return_value() == "done"
    assert queue.owner_of(job.id) == 1 and queue.fetch(job.id).id == job.id
    assert queue.fetch("00000000-0000-4000-8000-000000000000") is None and queue.owner_of("nope") is None
    queue.worker.stop()
    assert not queue.worker.running
    assert "rq-test-thread-queue" not in [t.name for t in threading.enumerate()]
    queue.clear()
    assert queue.fetch(job.id) is None and queue.owner_of(job.id) is None


def test_external_workers_need_nothing_started():
    queue = JobQueue(Settings(worker="external"), "test-external")
    assert isinstance(queue.worker, ExternalWorkers)
    queue.worker.start(), queue.worker.stop()
    job = queue.enqueue(spin, 0, owner_id=3)
    assert job.get_status() == "queued"  # waits for `make worker`
    queue.clear()


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set: no worker process without it")
def test_a_worker_process_starts_runs_a_job_and_stops():
    queue = JobQueue(Settings(), "test-process-queue", environment={"JOBS_DATABASE_URL": "sqlite://"})
    assert isinstance(queue.worker, WorkerProcess)
    job = queue.enqueue(spin, 0.05, owner_id=2)  # queued before any worker runs: it waits
    queue.worker.start()
    queue.worker.wait_ready()
    assert queue.worker.running
    assert wait_for(job) == "finished"
    process = queue.worker.process
    queue.worker.stop()
    assert process is not None and process.poll() is not None and not queue.worker.running
    queue.clear()
