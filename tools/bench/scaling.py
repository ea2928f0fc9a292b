"""Scaling: 1 vs 2 vs 3 replicas behind nginx, same load (chapter 11's slot)."""

from __future__ import annotations

from tools.bench.core import Context, Figure, Goal, benchmark


@benchmark("scaling", "2 replicas behind nginx", "3 replicas behind nginx")
def scaling(context: Context):
    """Throughput of 2 and 3 replicas behind nginx vs one, same load: a slot until chapter 11 is merged."""
    reason = "slot: chapter 11's replicas behind nginx are not merged yet"
    yield Figure.skip("2 replicas behind nginx", reason, goal=Goal(">=", 1.4), baseline_name="1 replica")
    yield Figure.skip("3 replicas behind nginx", reason, baseline_name="1 replica")
