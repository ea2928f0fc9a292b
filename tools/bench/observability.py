"""What observability costs: chapter 21's app against chapter 20's (the app it builds on), the same request in
process, as ratios — every request traced with a simple span processor, and as production runs it
(course_lib/lab/observability_cost.py)."""

from __future__ import annotations

import asyncio
import statistics

from course_lib.lab.observability_cost import PLAIN, PRODUCTION, TRACED, sample_in_process
from tools.bench.apps import backends, embedded
from tools.bench.core import Context, Figure, Goal, benchmark

REQUESTS = 200  # per sample


@benchmark("observability", TRACED, PRODUCTION)
def observability(context: Context):
    """Chapter 21's instrumentation as a multiple of chapter 20's app: CPU time per request in process (the process's,
    worker threads and the batch exporter included: steadier than wall-clock time on a shared machine, and what
    limits requests per second under load); the note gives the wall-clock ratio too."""
    samples = asyncio.run(sample_in_process(REQUESTS, 3 if context.quick else 7, embedded()))
    cpu = {name: [each[1] for each in found] for name, found in samples.items()}
    wall = {name: statistics.median(each[0] for each in found) for name, found in samples.items()}
    for name, goal in ((TRACED, None), (PRODUCTION, Goal("<=", 1.15))):
        yield Figure(
            name=name,
            unit="µs CPU",
            measured=statistics.median(cpu[name]),
            baseline=statistics.median(cpu[PLAIN]),
            baseline_name=PLAIN,
            goal=goal,
            samples=cpu[name],
            baseline_samples=cpu[PLAIN],
            note=f"GET /tasks/{{id}} (cache hit, API key) in process, one request at a time, {backends(embedded())}; "
            f"wall-clock {wall[name]:,.0f} µs vs {wall[PLAIN]:,.0f} µs ({wall[name] / wall[PLAIN]:.2f}×)",
        )
