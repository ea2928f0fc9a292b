"""A lab app to measure handler styles: I/O awaited, I/O blocking in a thread, I/O blocking the event loop, and
CPU work on the loop, in a thread or in a process. Plus burst(), stall_during() and one_and_two_at_once() to measure
them from outside, and profile_shares() to read a profile.

| route | what the handler does | what it costs the server |
|---|---|---|
| /io/async | `async def`, awaits the dependency (httpx.AsyncClient) | nothing while waiting: the loop serves others |
| /io/sync | `def`, calls the dependency blocking (httpx.Client) | one of the thread pool's 40 threads while waiting |
| /io/blocking | `async def` that calls it blocking | the event loop itself: every request waits in line |
| /cpu/inline | `async def` that computes | the event loop, for the whole computation |
| /cpu/thread | computes in a worker thread (anyio.to_thread) | the loop stays free; the GIL runs one thread at a time |
| /cpu/process | computes in a worker process (ProcessPoolExecutor) | another core: the loop and the GIL stay free |
| /report | waits for the dependency, then computes: the slow route a profiler looks at (`?profile=1`) | |

`?profile=1` is answered only with PROFILING set and the lab's admin key (`app.admin_key`) as a Bearer token.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import re
import secrets
import signal
import statistics
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import asynccontextmanager

import anyio
import httpx
from fastapi import FastAPI, Query

from course_lib.lab.cpu_work import count_primes, timed_count_primes
from course_lib.lab.timing import in_turns
from course_lib.services.settings import Settings, get_settings
from course_lib.web.profiler import add_profiler, bearer_is

Seconds = Query(0.1, ge=0, le=5)
Limit = Query(20_000, ge=2, le=2_000_000)


class LabApp(FastAPI):
    """The lab app and what it holds: an admin key, and while served its outbound client and its process pool."""

    admin_key: str
    client: httpx.AsyncClient
    pool: ProcessPoolExecutor


def handlers_app(dependency_url: str, processes: int = 2, settings: Settings | None = None) -> LabApp:
    """The lab app; `dependency_url` answers GET /wait?seconds= (course_lib.lab.slow_service)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: LabApp) -> AsyncIterator[None]:
        # Workers ignore Ctrl-C: interrupting the kernel stops the request, the pool stays for the next one.
        # spawn: what macOS and Windows use anyway, and safe in a kernel full of threads (fork copies held locks).
        pool = ProcessPoolExecutor(
            processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=signal.signal,
            initargs=(signal.SIGINT, signal.SIG_IGN),
        )
        warm = [asyncio.get_running_loop().run_in_executor(pool, count_primes, 2) for _ in range(processes)]
        await asyncio.gather(*warm)  # start the workers now: a process costs a second to start, not per request
        async with httpx.AsyncClient(base_url=dependency_url) as client:
            app.client, app.pool = client, pool
            try:
                yield
            finally:
                pool.shutdown(cancel_futures=True)

    app = LabApp(title="Handler styles (lab)", lifespan=lifespan)
    blocking = httpx.Client(base_url=dependency_url)

    app.admin_key = secrets.token_urlsafe(32)  # the lab has no users: whoever holds this key is its admin
    add_profiler(app, settings.profiling, bearer_is(app.admin_key))

    @app.get("/health")
    async def health() -> dict[str, str]:
        """Answers at once — when the event loop is free to run it."""
        return {"status": "ok"}

    @app.get("/io/async")
    async def io_async(seconds: float = Seconds) -> dict:
        """Await the dependency: the loop serves other requests meanwhile."""
        return (await app.client.get("/wait", params={"seconds": seconds})).json()

    @app.get("/io/sync")
    def io_sync(seconds: float = Seconds) -> dict:
        """Block on the dependency in a plain def: FastAPI runs it in its thread pool."""
        return blocking.get("/wait", params={"seconds": seconds}).json()

    @app.get("/io/blocking")
    async def io_blocking(seconds: float = Seconds) -> dict:
        """The mistake: a blocking call inside async def stops the event loop until it returns."""
        return blocking.get("/wait", params={"seconds": seconds}).json()

    @app.get("/cpu/inline")
    async def cpu_inline(limit: int = Limit) -> dict:
        """Compute on the event loop: nothing else runs meanwhile."""
        return timed_count_primes(limit)

    @app.get("/cpu/thread")
    async def cpu_thread(limit: int = Limit) -> dict:
        """Compute in a worker thread: the loop runs between the GIL's switches."""
        return await anyio.to_thread.run_sync(timed_count_primes, limit)

    @app.get("/cpu/process")
    async def cpu_process(limit: int = Limit) -> dict:
        """Compute in a worker process: another interpreter, another GIL, another core."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(app.pool, timed_count_primes, limit)

    @app.get("/report")
    async def report(seconds: float = Seconds, limit: int = Limit) -> dict:
        """A slow route: one call to the dependency, then a computation."""
        await app.client.get("/wait", params={"seconds": seconds})
        return {"primes": count_primes(limit)}

    return app


def burst(url: str, n: int, answers: list | None = None) -> float:
    """Send `n` GETs to `url` at the same moment; seconds until the last one answered (each must answer 200).
    Their JSON bodies are added to `answers` when given."""
    start = threading.Barrier(n + 1)
    with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=n)) as client, ThreadPoolExecutor(n) as pool:

        def one(_: int) -> httpx.Response:
            start.wait()
            return client.get(url)

        futures = [pool.submit(one, i) for i in range(n)]
        start.wait()
        began = time.perf_counter()
        responses = [future.result() for future in futures]
        elapsed = time.perf_counter() - began
    statuses = {response.status_code for response in responses}
    if statuses != {200}:
        raise RuntimeError(f"{url} answered {sorted(statuses)}, expected 200")
    if answers is not None:
        answers.extend(response.json() for response in responses)
    return elapsed


def stall_during(work_url: str, probe_url: str) -> dict[str, float]:
    """Send one request to `work_url`; while it runs, probe `probe_url` back to back. The work's seconds, and the
    slowest and median probe (how long a small request waited behind the work)."""
    probes: list[float] = []
    with httpx.Client(timeout=60) as client:
        client.get(probe_url)  # connection open before the clock starts
        with ThreadPoolExecutor(1) as pool:
            began = time.perf_counter()
            work = pool.submit(client.get, work_url)
            while not work.done():
                sent = time.perf_counter()
                client.get(probe_url)
                probes.append(time.perf_counter() - sent)
            work.result().raise_for_status()
            took = time.perf_counter() - began
    return {
        "work": took,
        "slowest probe": max(probes),
        "median probe": statistics.median(probes),
        "probes": len(probes),
    }


def one_and_two_at_once(lab_url: str, limit: int, rounds: int = 3) -> dict[str, dict[str, float]]:
    """CPU work in a thread and in a process, taken in turns: the median seconds of 1 request and of 2 at once, and
    the CPU seconds the two computations used (measured where they ran: a busy machine cannot shrink the wall time
    below it when they take turns)."""
    cpu: dict[str, list[float]] = {"thread": [], "process": []}

    def two(place: str) -> float:
        answers: list[dict] = []
        seconds = burst(f"{lab_url}/cpu/{place}?limit={limit}", 2, answers)
        cpu[place].append(sum(answer["cpu_seconds"] for answer in answers))
        return seconds

    cases = {
        f"{place} {n}": (
            functools.partial(burst, f"{lab_url}/cpu/{place}?limit={limit}", 1)
            if n == 1
            else functools.partial(two, place)
        )
        for place in ("thread", "process")
        for n in (1, 2)
    }
    medians = in_turns(cases, rounds)
    return {
        place: {
            "1 request": medians[f"{place} 1"],
            "2 at once": medians[f"{place} 2"],
            "CPU of the 2": statistics.median(cpu[place]),
        }
        for place in ("thread", "process")
    }


def profile_shares(report: str, of: str, parts: tuple[str, ...]) -> dict[str, float]:
    """From pyinstrument's text report: the share of `of`'s seconds that each of `parts` took (first line of each)."""
    seconds: dict[str, float] = {}
    for line in report.splitlines():
        found = re.search(r"(\d+\.\d+) (\S+)", line)
        if found and found[2] in (of, *parts):
            seconds.setdefault(found[2], float(found[1]))
    return {part: seconds.get(part, 0.0) / seconds[of] for part in parts}
