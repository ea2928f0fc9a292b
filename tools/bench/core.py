"""Figures, goals and the registry of benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Goal:
    """What a figure must reach: its ratio to the baseline (or its own value) at most or at least `bound`."""

    op: Literal["<=", ">="]
    bound: float
    of: Literal["ratio", "value"] = "ratio"
    unit: str = ""

    def met(self, value: float) -> bool:
        """True when `value` (a ratio, or the measured value) satisfies the goal."""
        return value <= self.bound if self.op == "<=" else value >= self.bound

    def __str__(self) -> str:
        sign = "≤" if self.op == "<=" else "≥"
        return f"{sign} {self.bound:g}×" if self.of == "ratio" else f"{sign} {self.bound:g} {self.unit}".rstrip()


@dataclass
class Figure:
    """One measured figure beside its baseline; `skipped` says why it could not be measured (then no numbers)."""

    name: str
    unit: str = ""
    measured: float | None = None
    baseline: float | None = None
    baseline_name: str = ""
    goal: Goal | None = None
    samples: list[float] = field(default_factory=list)
    baseline_samples: list[float] = field(default_factory=list)
    note: str = ""
    skipped: str | None = None
    group: str = ""

    @classmethod
    def skip(cls, name: str, reason: str, *, goal: Goal | None = None, baseline_name: str = "") -> Figure:
        """A figure that could not be measured here, and why."""
        return cls(name=name, goal=goal, baseline_name=baseline_name, skipped=reason)

    @property
    def ratio(self) -> float | None:
        """measured / baseline, when both exist and the baseline is not zero."""
        if self.skipped or self.measured is None or not self.baseline:
            return None
        return self.measured / self.baseline

    @property
    def passed(self) -> bool | None:
        """Whether the goal is met; None without a goal or without numbers."""
        if self.goal is None or self.skipped:
            return None
        value = self.ratio if self.goal.of == "ratio" else self.measured
        return None if value is None else self.goal.met(value)

    def as_dict(self) -> dict:
        """The figure as JSON-ready data, derived fields included."""
        return {
            "group": self.group,
            "name": self.name,
            "unit": self.unit,
            "measured": self.measured,
            "baseline": self.baseline,
            "baseline_name": self.baseline_name,
            "ratio": self.ratio,
            "goal": str(self.goal) if self.goal else None,
            "passed": self.passed,
            "skipped": self.skipped,
            "samples": self.samples,
            "baseline_samples": self.baseline_samples,
            "note": self.note,
        }


def measured(
    name: str,
    samples: list[float],
    baseline_samples: list[float],
    *,
    unit: str,
    baseline_name: str,
    goal: Goal | None = None,
    note: str = "",
) -> Figure:
    """A figure whose value and baseline are the medians of their samples."""
    return Figure(
        name=name,
        unit=unit,
        measured=statistics.median(samples),
        baseline=statistics.median(baseline_samples),
        baseline_name=baseline_name,
        goal=goal,
        samples=list(samples),
        baseline_samples=list(baseline_samples),
        note=note,
    )


class Skip(Exception):  # raised to say "skipped: <reason>"
    """A benchmark cannot run here; the message says why."""


@dataclass(frozen=True)
class Context:
    """How a run measures: repeats per figure, quick mode, where outputs go."""

    repeats: int = 5
    quick: bool = False
    out: Path = ROOT / "build" / "bench"


Bench = Callable[[Context], Iterable[Figure]]


@dataclass(frozen=True)
class Benchmark:
    """A registered benchmark: its group name, the figures it promises and the function measuring them."""

    group: str
    run: Bench
    figures: tuple[str, ...] = ()


REGISTRY: dict[str, Benchmark] = {}


def benchmark(group: str, *figures: str) -> Callable[[Bench], Bench]:
    """Register a benchmark under `group`; `figures` name what a Skip replaces (else the group's name)."""

    def register(run: Bench) -> Bench:
        REGISTRY[group] = Benchmark(group, run, figures)
        return run

    return register


def run_benchmark(bench: Benchmark, context: Context) -> Iterator[Figure]:
    """The figures of one benchmark, each tagged with its group; a Skip or a failure becomes skipped figures."""
    try:
        for figure in bench.run(context):
            figure.group = figure.group or bench.group
            yield figure
    except Skip as reason:
        for name in bench.figures or (bench.group,):
            yield Figure(name=name, skipped=str(reason), group=bench.group)
    except Exception as error:  # one broken benchmark must not hide the others' figures
        for name in bench.figures or (bench.group,):
            yield Figure(name=name, skipped=f"failed: {type(error).__name__}: {error}", group=bench.group)


def timed(action: Callable[[], object], repeats: int) -> list[float]:
    """Seconds per call of `action`, `repeats` times."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples
