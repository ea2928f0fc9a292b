"""The finished API under load on loopback vs a bare FastAPI hello endpoint, server and load generator pinned apart."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from course_lib.lab.load import LoadResult, measure
from tools.bench.apps import backends, embedded, without_services
from tools.bench.core import ROOT, Context, Figure, Goal, Skip, benchmark

SERVER_CPU, LOAD_CPU = 0, 1
SEED_TASKS = 200


@contextmanager
def target(kind: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """A server process of `kind` pinned to SERVER_CPU (`env` added to its environment); yields its base URL and
    stops it after."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.bench.target", kind, str(SERVER_CPU)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**without_services(os.environ), "PYTHONPATH": str(ROOT), **(env or {})},
    )
    try:
        assert process.stdout is not None  # stdout=PIPE
        port = process.stdout.readline().strip()
        if not port.isdigit():
            raise RuntimeError(f"the {kind} server did not start")
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(url + "/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def seed(url: str) -> tuple[dict[str, str], int]:
    """A user (their API key headers) and SEED_TASKS tasks of theirs; returns the headers and one task's id."""
    from course_lib.taskapi.api_keys import sign_up

    with httpx.Client(base_url=url, timeout=10) as client:
        auth = sign_up(client, "Bench")
        ids = [client.post("/tasks", json={"title": f"task {n}"}, headers=auth).json()["id"] for n in range(SEED_TASKS)]
    return auth, ids[len(ids) // 2]


def ratio_figure(name: str, runs: list[LoadResult], hello: list[LoadResult], goal: Goal | None) -> Figure:
    """Median throughput beside the hello endpoint's; latencies and failures in the note."""
    failures = sum(run.failures for run in runs)
    note = (
        f"p50 {statistics.median(r.p50_ms for r in runs):g} ms, p99 {statistics.median(r.p99_ms for r in runs):g}"
        f" ms (hello {statistics.median(r.p50_ms for r in hello):g}/{statistics.median(r.p99_ms for r in hello):g}"
        f" ms); {backends(embedded())}"
    )
    if failures:
        note += f"; {failures} failed requests"
    return Figure(
        name=name,
        unit="req/s",
        measured=statistics.median(r.throughput for r in runs),
        baseline=statistics.median(r.throughput for r in hello),
        baseline_name="bare FastAPI hello",
        goal=goal,
        samples=[r.throughput for r in runs],
        baseline_samples=[r.throughput for r in hello],
        note=note,
    )


@benchmark(
    "throughput",
    "GET /tasks/{id} (authenticated)",
    "GET /tasks (list page)",
    "POST /tasks",
    "GET /tasks (cached list page)",
)
def throughput(context: Context):
    """Requests per second and p50/p99 of the task API's routes, each as a ratio to a hello endpoint in this run."""
    if len(os.sched_getaffinity(0)) < 2:
        raise Skip("needs 2 CPUs (server and load generator pinned apart)")
    repeats = 1 if context.quick else 3
    seconds = 3 if context.quick else 4
    users = 10

    def load(url: str, **kwargs) -> LoadResult:
        return measure(url, users=users, seconds=seconds, cpu=LOAD_CPU, **kwargs)

    hello, get_one, list_page, cached_list, post = [], [], [], [], []
    with target("hello") as hello_url, target("taskapi") as api_url, target("taskapi-uncached") as plain_url:
        auth, task_id = seed(api_url)
        plain_auth, _ = seed(plain_url)
        for _ in range(repeats):  # interleaved, so a burst of noise hits every figure alike
            hello.append(load(f"{hello_url}/hello"))
            get_one.append(load(f"{api_url}/tasks/{task_id}", headers=auth))
            list_page.append(load(f"{plain_url}/tasks?limit=20", headers=plain_auth))
            cached_list.append(load(f"{api_url}/tasks?limit=20", headers=auth))
            post.append(load(f"{api_url}/tasks", headers=auth, method="POST", body={"title": "load"}))
    yield ratio_figure("GET /tasks/{id} (authenticated)", get_one, hello, Goal(">=", 0.5))
    yield ratio_figure("GET /tasks (list page)", list_page, hello, None)
    yield ratio_figure("POST /tasks", post, hello, None)
    yield ratio_figure("GET /tasks (cached list page)", cached_list, hello, Goal(">=", 0.6))
