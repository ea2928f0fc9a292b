"""Each chapter notebook's strict-nbval time vs an empty notebook's, in one pytest session (per-file times)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from tools.bench.core import ROOT, Context, Figure, Goal, Skip, benchmark

QUICK_SAMPLE = ("00", "06", "10")  # the first chapter, the middle, the latest merged (--quick)
EMPTY_COPIES = 3


def empty_notebook(like: Path, path: Path) -> Path:
    """A notebook with one trivial cell and the same kernel and metadata as `like`."""
    source = json.loads(like.read_text())
    cell = {"cell_type": "code", "execution_count": 1, "id": "empty", "metadata": {}, "outputs": [], "source": "pass"}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**source, "cells": [cell]}, indent=1))
    return path


def chapter_notebooks(quick: bool) -> list[Path]:
    """notebooks/NN_*.ipynb: every chapter, or a sample of three with --quick."""
    found = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if quick:
        found = [path for path in found if path.name[:2] in QUICK_SAMPLE] or found[:1]
    return found


def per_file_seconds(report: Path) -> dict[str, float]:
    """Seconds per notebook from a JUnit XML report: each cell's setup + call + teardown, summed per file.

    Kernel start is the file's setup (in its first cell's time) and kernel shutdown its teardown (in the last).
    """
    totals: dict[str, float] = defaultdict(float)
    for case in ET.parse(report).getroot().iter("testcase"):
        totals[case.get("file") or case.get("classname", "").split("::")[0]] += float(case.get("time", 0))
    return dict(totals)


def nbval_session(paths: list[Path], report: Path) -> dict[str, float]:
    """Run strict nbval (the sanitizer `make nbval` uses) over `paths` in one session; seconds per notebook."""
    command = [sys.executable, "-m", "pytest", "--nbval", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg",
               "--nbval-cell-timeout=600", "-p", "no:cacheprovider", "-q", f"--junitxml={report}",
               "-o", "junit_family=xunit1", *map(str, paths)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if not report.exists():
        raise RuntimeError(f"nbval wrote no report: {result.stdout[-300:]}{result.stderr[-300:]}")
    failed = result.returncode != 0
    times = per_file_seconds(report)
    return {key: value for key, value in times.items()} | ({"__failed__": 1.0} if failed else {})


def _key(times: dict[str, float], path: Path) -> float | None:
    for name, seconds in times.items():
        if name.endswith(path.name) or path.stem in name:
            return seconds
    return None


@benchmark("notebooks", "nbval per chapter notebook")
def notebooks(context: Context):
    """nbval over each chapter notebook (learner's version) beside an empty notebook on the same kernel."""
    chapters = chapter_notebooks(context.quick)
    if not chapters:
        raise Skip("no notebooks/NN_*.ipynb")
    folder = context.out / "nbval"
    empties = [empty_notebook(chapters[0], folder / f"empty_{n}.ipynb") for n in range(EMPTY_COPIES)]
    times = nbval_session([*empties, *chapters], folder / "report.xml")
    baseline = [seconds for path in empties if (seconds := _key(times, path)) is not None]
    if not baseline:
        raise RuntimeError("no time for the empty notebook in the report")
    for path in chapters:
        seconds = _key(times, path)
        name = f"nbval {path.stem}"
        if seconds is None:
            yield Figure.skip(name, "no time in the report", goal=Goal("<=", 3.0))
            continue
        yield Figure(name=name, unit="s", measured=seconds, baseline=statistics.median(baseline),
                     baseline_name="empty notebook", goal=Goal("<=", 3.0), samples=[seconds],
                     baseline_samples=baseline, note="" if "__failed__" not in times else "nbval reported failures")
