"""Each chapter notebook's strict-nbval time vs an empty notebook's, in one pytest session (per-file times)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from tools.bench.apps import without_services
from tools.bench.core import ROOT, Context, Figure, Goal, Skip, benchmark

QUICK_SAMPLE = ("00", "06", "10")  # the first chapter, the middle, the latest merged (--quick)
EMPTY_COPIES = 3
# Two notebooks at a time, as `make nbval` runs them (a notebook's client and kernel mostly take turns on a core), the
# empty ones included: half the wall time, and every figure and its baseline under the same conditions.
WORKERS = ("-n", "2", "--dist", "loadfile")


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


def per_cell_seconds(report: Path) -> dict[str, dict[str, float]]:
    """Seconds per cell ("Cell N": the Nth code cell) per notebook, from a JUnit XML report (setup + call + teardown).

    Kernel start is the file's setup (in its first cell's time) and kernel shutdown its teardown (in the last).
    """
    cells: dict[str, dict[str, float]] = defaultdict(dict)
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.get("name", "").split("::")[-1]
        cells[case.get("file") or case.get("classname", "").split("::")[0]][name] = float(case.get("time", 0))
    return dict(cells)


def per_file_seconds(report: Path) -> dict[str, float]:
    """Seconds per notebook: its cells' times summed."""
    return {name: sum(cells.values()) for name, cells in per_cell_seconds(report).items()}


def slowest_cell(path: Path, cells: dict[str, float]) -> str:
    """'slowest: cell 20 (10.1 s) `from tqdm import tqdm`': where a notebook's time goes, by its first line."""
    if not cells:
        return ""
    name, seconds = max(cells.items(), key=lambda item: item[1])
    code = [cell for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "code"]
    index = int(name.rsplit(" ", 1)[-1]) if name.rsplit(" ", 1)[-1].isdigit() else -1
    first = "".join(code[index]["source"]).strip().splitlines()[0][:50] if 0 <= index < len(code) else ""
    return f"slowest: code cell {index} ({seconds:.1f} s) `{first}`"


def nbval_session(paths: list[Path], report: Path) -> dict[str, dict[str, float]]:
    """Run strict nbval (the sanitizer and the two workers `make nbval` uses) over `paths` in one session; seconds per
    cell of each notebook."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--nbval",
        "--nbval-sanitize-with",
        "tests/nbval_sanitize.cfg",
        "--nbval-cell-timeout=600",
        "-p",
        "no:cacheprovider",
        "-q",
        f"--junitxml={report}",
        "-o",
        "junit_family=xunit1",
        *WORKERS,
        *map(str, paths),
    ]
    # On the embedded defaults, as a learner runs them: the services have figures of their own.
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=without_services(os.environ))
    if not report.exists():
        raise RuntimeError(f"nbval wrote no report: {result.stdout[-300:]}{result.stderr[-300:]}")
    if result.returncode != 0:
        raise RuntimeError(f"nbval failed: {result.stdout.strip().splitlines()[-1:]}")
    return per_cell_seconds(report)


def _key(cells: dict[str, dict[str, float]], path: Path) -> dict[str, float] | None:
    for name, times in cells.items():
        if name.endswith(path.name) or path.stem in name:
            return times
    return None


@benchmark("notebooks", "nbval per chapter notebook")
def notebooks(context: Context):
    """nbval over each chapter notebook (learner's version) beside an empty notebook on the same kernel."""
    chapters = chapter_notebooks(context.quick)
    if not chapters:
        raise Skip("no notebooks/NN_*.ipynb")
    folder = context.out / "nbval"
    empties = [empty_notebook(chapters[0], folder / f"empty_{n}.ipynb") for n in range(EMPTY_COPIES)]
    cells = nbval_session([*empties, *chapters], folder / "report.xml")
    baseline = [sum(times.values()) for path in empties if (times := _key(cells, path)) is not None]
    if not baseline:
        raise RuntimeError("no time for the empty notebook in the report")
    for path in chapters:
        times = _key(cells, path)
        name = f"nbval {path.stem}"
        if times is None:
            yield Figure.skip(name, "no time in the report", goal=Goal("<=", 3.0))
            continue
        seconds = sum(times.values())
        yield Figure(
            name=name,
            unit="s",
            measured=seconds,
            baseline=statistics.median(baseline),
            baseline_name="empty notebook",
            goal=Goal("<=", 3.0),
            samples=[seconds],
            baseline_samples=baseline,
            note=slowest_cell(path, times),
        )
