"""Solution blocks of the chapter sources: what the solved and learner notebooks show, and each exercise's solution.

A code cell of chapters/NN_slug.py may hold blocks

    ### BEGIN SOLUTION
    answer = 404
    ### STUB
    answer = None  # YOUR CODE HERE
    ### END SOLUTION

The solved notebook keeps the solution lines, the learner notebook the stub lines; `qK.solution()` shows the solution
cell that precedes the cell calling `qK.check(...)`, so the solution a learner is shown is the code CI runs.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

CHAPTERS = Path(__file__).resolve().parents[2] / "chapters"
BEGIN, STUB, END = "### BEGIN SOLUTION", "### STUB", "### END SOLUTION"
_CHECK_CALL = re.compile(r"^(q\d+)\.check\(", re.MULTILINE)


class SourceError(ValueError):
    """A chapter source whose solution markers do not pair up."""


def split_solution(source: str, version: str) -> str:
    """The cell source as the `version` ('solution' or 'learner') notebook shows it."""
    out: list[str] = []
    state = None  # None outside a block, "solution" or "stub" inside one
    indent = ""
    stub_lines: list[str] = []
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if state is not None:
                raise SourceError(f"line {number}: {BEGIN} inside another block")
            state, indent, stub_lines = "solution", line[: len(line) - len(line.lstrip())], []
        elif marker == STUB:
            if state != "solution":
                raise SourceError(f"line {number}: {STUB} outside a solution block")
            state = "stub"
        elif marker == END:
            if state is None:
                raise SourceError(f"line {number}: {END} without {BEGIN}")
            if version == "learner":
                if state == "solution" and not indent:
                    raise SourceError(f"line {number}: a top-level solution block needs a {STUB} part")
                out += stub_lines if state == "stub" else [f"{indent}raise NotImplementedError  # YOUR CODE HERE"]
            state = None
        elif state == "solution":
            if version == "solution":
                out.append(line)
        elif state == "stub":
            stub_lines.append(line)
        else:
            out.append(line)
    if state is not None:
        raise SourceError(f"{BEGIN} without {END}")
    return "\n".join(out)


def code_cells(source_path: Path) -> list[str]:
    """The code cells of a chapter source, in order."""
    import jupytext

    notebook = jupytext.reads(source_path.read_text(), fmt="py:percent")
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


@lru_cache
def chapter_solutions(chapter: str) -> dict[str, str]:
    """Exercise id → solved code, for chapter 'chNN', read from chapters/NN_*.py (empty when not shipped)."""
    sources = sorted(CHAPTERS.glob(f"{chapter[2:]}_*.py"))
    if not sources:
        return {}
    found, last_solution = {}, None
    for cell in code_cells(sources[0]):
        if BEGIN in cell:
            last_solution = split_solution(cell, "solution")
        for name in _CHECK_CALL.findall(cell):
            if last_solution is not None:
                found[f"{chapter}.{name}"] = last_solution
    return found


def solution_for(exercise_id: str) -> str | None:
    """The solved code of one exercise ('ch03.q2'), or None when the chapter source is not available."""
    return chapter_solutions(exercise_id.split(".")[0]).get(exercise_id)
