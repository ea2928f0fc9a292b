"""RQ and Celery measured on the same job, the same Redis and two real worker processes each."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from rq import Queue

from course_lib.lab import celery_app, rq_full

OTHERS = {  # named, not installed: one line each
    "Dramatiq": "RabbitMQ or Redis; acks late by default, retries with exponential backoff built in, middleware",
    "Taskiq": "asyncio-native (async def tasks, FastAPI-style dependencies); brokers for Redis, RabbitMQ, NATS, Kafka",
}


@dataclass
class Throughput:
    """One queue's numbers on `jobs` no-op jobs."""

    queue: str
    jobs: int
    enqueue_ms: float  # median time for the client to store one job
    jobs_per_s: float  # from the first enqueue to the last result


def _deadline_wait(done, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not done within {timeout:g} s")
        time.sleep(0.02)


def rq_throughput(queue: Queue, jobs: int = 20, timeout: float = 60.0) -> Throughput:
    """Enqueue `jobs` no-ops on `queue` (its workers running) and wait for every result."""
    latencies, enqueued = [], []
    began = time.perf_counter()
    for n in range(jobs):
        started = time.perf_counter()
        enqueued.append(queue.enqueue(rq_full.noop, n, result_ttl=60))
        latencies.append(time.perf_counter() - started)
    _deadline_wait(lambda: all(job.get_status(refresh=True) == "finished" for job in enqueued), timeout, "RQ jobs")
    assert [job.return_value() for job in enqueued] == list(range(jobs))
    return Throughput("RQ", jobs, statistics.median(latencies) * 1000, jobs / (time.perf_counter() - began))


def celery_throughput(jobs: int = 20, timeout: float = 60.0) -> Throughput:
    """Send `jobs` no-ops to the Celery workers and wait for every result."""
    latencies, sent = [], []
    began = time.perf_counter()
    for n in range(jobs):
        started = time.perf_counter()
        sent.append(celery_app.noop.delay(n))
        latencies.append(time.perf_counter() - started)
    _deadline_wait(lambda: all(result.ready() for result in sent), timeout, "Celery jobs")
    assert [result.get(timeout=5) for result in sent] == list(range(jobs))
    return Throughput("Celery", jobs, statistics.median(latencies) * 1000, jobs / (time.perf_counter() - began))
