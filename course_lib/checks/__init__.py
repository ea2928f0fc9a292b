"""Exercise checks, one module per chapter (chNN.py, exercises q1, q2, ...), and the progress table."""

from __future__ import annotations

import importlib
import pkgutil
import re

from course_lib.notebook import progress
from course_lib.notebook.exercises import EXERCISES, Exercise

_MODULE = re.compile(r"^ch(\d\d)$")


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of the course, by id (chNN.qK), in chapter order."""
    for info in pkgutil.iter_modules(__path__):
        if _MODULE.match(info.name):
            importlib.import_module(f"{__name__}.{info.name}")
    return dict(sorted(EXERCISES.items()))


def progress_rows() -> list[dict]:
    """One row per chapter: how many exercises it has, how many you solved and how many you tried."""
    results = progress.load()
    rows: dict[str, dict] = {}
    for exercise_id in all_exercises():
        chapter = exercise_id.split(".")[0]
        row = rows.setdefault(chapter, {"chapter": chapter, "exercises": 0, "correct": 0, "tried": 0})
        row["exercises"] += 1
        status = results.get(exercise_id)
        row["correct"] += status == "correct"
        row["tried"] += status is not None and status != "not attempted"
    return list(rows.values())


def show_progress() -> None:
    """Print your progress over every chapter, from the record kept outside the repository."""
    from course_lib.notebook.display import table

    rows = progress_rows()
    table(rows)
    solved = sum(row["correct"] for row in rows)
    total = sum(row["exercises"] for row in rows)
    print(f"\n{solved} of {total} exercises solved · record: {progress.progress_file()}")


__all__ = ["all_exercises", "progress_rows", "show_progress"]
