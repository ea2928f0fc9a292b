"""Timing helpers for the performance chapter: medians, cases measured in turns, and the hierarchy of waiting."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping

import httpx
from sqlalchemy import Engine, select

from course_lib.lab.cpu_work import count_primes
from course_lib.taskapi.sql_tables import UserRow


def median_seconds(work: Callable[[], object], runs: int = 15) -> float:
    """The median wall time of `work()` over `runs` runs, after one warm-up."""
    work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def in_turns(cases: Mapping[str, Callable[[], float]], rounds: int = 3) -> dict[str, float]:
    """Run every case once per round, one after the other, and give each case's median: a moment of load on a
    busy machine then falls on every case alike, not on whichever happened to run during it."""
    results: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, case in cases.items():
            results[name].append(case())
    return {name: statistics.median(values) for name, values in results.items()}


def hierarchy_of_waiting(engine: Engine, dependency_url: str) -> dict[str, float]:
    """Median seconds of: a dict lookup, a query by primary key, a loopback HTTP call, a 50 ms dependency, CPU work,
    measured in turns (a moment of load falls on every step alike)."""
    names = {user_id: f"user {user_id}" for user_id in range(1, 201)}
    with engine.connect() as connection, httpx.Client(base_url=dependency_url) as client:
        return in_turns(
            {
                "dict lookup": lambda: median_seconds(lambda: names[150], runs=300),
                "database query": lambda: median_seconds(
                    lambda: connection.execute(select(UserRow.name).where(UserRow.id == 150)).scalar_one(), runs=5
                ),
                "HTTP over loopback": lambda: median_seconds(
                    lambda: client.get("/wait", params={"seconds": 0}).raise_for_status(), runs=5
                ),
                "slow dependency (50 ms)": lambda: median_seconds(
                    lambda: client.get("/wait", params={"seconds": 0.05}).raise_for_status(), runs=1
                ),
                "CPU: primes below 20,000": lambda: median_seconds(lambda: count_primes(20_000), runs=1),
            },
            rounds=5,
        )


def readable(seconds: float) -> str:
    """1.2 µs, 3.4 ms or 1.20 s: a duration in the unit that reads best."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:,.1f} µs"
    return f"{seconds * 1e3:,.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def with_factors(steps: dict[str, float], chain: int | None = None) -> list[dict[str, str]]:
    """Table rows: each step's median and how many times the step before it it costs (for the first `chain` steps;
    the rest are shown beside the chain, not in it)."""
    rows, before = [], None
    for number, (what, seconds) in enumerate(steps.items()):
        in_chain = chain is None or number < chain
        factor = f"×{seconds / before:,.0f}" if before and in_chain else ""
        rows.append({"what": what, "median": readable(seconds), "× the step before": factor})
        before = seconds
    return rows
