"""The observability cost: three apps answer the same GET, each sample a (wall, CPU) pair per app, taken in turns;
the production app samples and batches, the traced one traces every request with a simple processor."""

import asyncio

from course_lib.lab.observability_cost import PLAIN, PRODUCTION, TRACED, apps, sample_in_process


def test_the_three_apps_are_what_their_names_say():
    built = apps()
    assert built[PLAIN].context.tracing is None  # chapter 20: no instrumentation
    traced, production = built[TRACED].context.tracing, built[PRODUCTION].context.tracing
    assert (traced.sample_rate, traced.batch) == (1.0, False)
    assert (production.sample_rate, production.batch) == (0.1, True)


def test_each_app_gets_one_sample_per_round_in_turns():
    calls = []
    samples = asyncio.run(sample_in_process(requests=5, rounds=2, progress=lambda: calls.append(1)))
    assert set(samples) == {PLAIN, TRACED, PRODUCTION} and len(calls) == 3 + 6
    assert all(len(found) == 2 and all(wall > 0 and cpu >= 0 for wall, cpu in found) for found in samples.values())
