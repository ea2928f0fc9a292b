"""A pytest plugin for the capstone: each acceptance check's outcome, failure and figure, as JSON (`-p` loads it).

ACCEPTANCE_REPORT names the JSON file; one line per finished check goes to stdout ("CHECK <outcome> <name>") so the
notebook can show progress while the suite runs in its own process."""

from __future__ import annotations

import json
import linecache
import os
import re
from pathlib import Path

RESULTS: list[dict] = []
CONFIG: list = []  # pytest's config, for its terminal writer: print() in a hook is captured with the test's output
ORDER: list[str] = []  # test names in the order pytest collected them


def check_name(nodeid: str) -> str:
    """`tests/acceptance/test_acceptance.py::test_02_object_level_x` → `test_02_object_level_x`."""
    return nodeid.rpartition("::")[2]


def why(report) -> str:
    """What went wrong, in one line: the assertion's message, or the failing line itself when it has none."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is None:  # a skip: (path, line, "Skipped: reason")
        text = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        return text.removeprefix("Skipped: ")
    message = crash.message.splitlines()[0] if crash.message else ""
    bare = re.fullmatch(r"\w+(Error|Exception)?:?\s*(assert .*)?", message)
    if bare:  # an `assert` without a message in the check: the line says which request and what it expected
        line = linecache.getline(crash.path, crash.lineno).strip()
        return f"{message.split(':')[0]} at {Path(crash.path).name}:{crash.lineno}: {line}"
    return message


def pytest_configure(config) -> None:
    CONFIG[:] = [config]


def say(line: str) -> None:
    """A line for the parent process, on a line of its own, at once."""
    writer = CONFIG[0].get_terminal_writer()
    writer.line()
    writer.line(line)
    writer.flush()


def pytest_collection_finish(session) -> None:
    ORDER[:] = [check_name(item.nodeid) for item in session.items]
    say(f"CHECKS {len(session.items)}")


def pytest_runtest_logreport(report) -> None:
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        outcome = report.outcome
        RESULTS.append(
            {
                "check": check_name(report.nodeid),
                "outcome": outcome,
                "why": "" if outcome == "passed" else why(report),
                "seconds": round(report.duration, 2),
            }
        )
        say(f"CHECK {outcome} {check_name(report.nodeid)}")


def pytest_sessionfinish(session) -> None:
    path = os.environ.get("ACCEPTANCE_REPORT")
    if not path:
        return
    try:
        from tests.acceptance.harness import FIGURES
    except ImportError:
        FIGURES = {}
    Path(path).write_text(json.dumps({"order": ORDER, "results": RESULTS, "figures": FIGURES}, ensure_ascii=False))
