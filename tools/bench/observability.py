"""What observability costs: chapter 21's app against chapter 16's, the same request in process, as ratios — every
request traced with a simple span processor, and as production runs it (course_lib/lab/observability_cost.py)."""

from __future__ import annotations

import asyncio
import statistics

from course_lib.lab.observability_cost import PLAIN, PRODUCTION, TRACED, sample_in_process
from tools.bench.apps import backends, embedded
from tools.bench.core import Context, Figure, Goal, benchmark

REQUESTS = 200  # per sample


@benchmark("observability", TRACED, PRODUCTION)
def observability(context: Context):
    """Chapter 21's instrumentation as a multiple of chapter 16's app, per request in process."""
    samples = asyncio.run(sample_in_process(REQUESTS, 3 if context.quick else 7, embedded()))
    plain = samples[PLAIN]
    for name, goal in ((TRACED, None), (PRODUCTION, Goal("<=", 1.15))):
        yield Figure(
            name=name,
            unit="µs",
            measured=statistics.median(samples[name]),
            baseline=statistics.median(plain),
            baseline_name=PLAIN,
            goal=goal,
            samples=samples[name],
            baseline_samples=plain,
            note=f"GET /tasks/{{id}} (cache hit, API key) in process, one request at a time, {backends(embedded())}",
        )
