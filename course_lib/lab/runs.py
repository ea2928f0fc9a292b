"""Two test runs a notebook starts as processes of their own: schemathesis on part of the OpenAPI, and line coverage.

    contract = contract_run(app, paths="^/tasks", max_examples=5)      # served here, schemathesis in a subprocess
    covered = coverage_run("course_lib.web.pagination", "tests/web/test_pagination.py", "-k", "not served")

Coverage runs pytest in a fresh process: inside a kernel the module under test was imported before tracing began, so
its `def` and `import` lines count as never run and the figure comes out too low. A fresh process imports it under
the tracer, and the figure is exact. Plugins are not auto-loaded there (PYTEST_DISABLE_PLUGIN_AUTOLOAD), which saves
seconds of start-up the few unit tests do not need.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course_lib.lab.conformance import HOOKS, ROOT, TESTER, Report, read_report, schemathesis_args
from course_lib.notebook.server import serve
from course_lib.taskapi.api_keys import sign_up

PHASES = ("examples", "fuzzing")


def _env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **extra,
    }


def contract_run(app, paths: str, max_examples: int, phases: tuple[str, ...] = PHASES, timeout: float = 300) -> Report:
    """Serve `app`, sign a user up, and run schemathesis (all checks, seed 9457) on the operations whose path matches
    the regex `paths`: conformance.check_conformance, narrowed to fit in a notebook cell."""
    report_dir = Path(tempfile.mkdtemp(prefix="course-contract-"))
    api = serve(app, name="contract")
    try:
        headers = sign_up(api, TESTER["name"], TESTER["email"])
        args = schemathesis_args(api.url, headers, report_dir, max_examples=max_examples, phases=phases)
        args += ["--include-path-regex", paths]
        done = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=report_dir,
            env=_env(SCHEMATHESIS_HOOKS=HOOKS),
        )
    finally:
        api.stop()
    return read_report(report_dir, done.returncode, done.stdout + done.stderr)


@dataclass(frozen=True)
class Coverage:
    """Line coverage of one module by one pytest run."""

    module: str
    statements: int
    missing: list[int]
    passed: bool  # did every selected test pass?
    output: str

    @property
    def percent(self) -> float:
        return 100 * (self.statements - len(self.missing)) / self.statements if self.statements else 100.0

    def missing_by_function(self) -> dict[str, list[int]]:
        """The lines no test ran, under the name of the module's function that holds them."""
        module = importlib.import_module(self.module)
        spans = [
            (name, *_span(function))
            for name, function in inspect.getmembers(module, inspect.isfunction)
            if function.__module__ == module.__name__
        ]
        found: dict[str, list[int]] = {}
        for line in self.missing:
            name = next((name for name, first, last in spans if first <= line <= last), "(module level)")
            found.setdefault(name, []).append(line)
        return found


def _span(function: object) -> tuple[int, int]:
    lines, first = inspect.getsourcelines(function)  # type: ignore[arg-type]
    return first, first + len(lines) - 1


def coverage_run(module: str, *pytest_args: str, timeout: float = 300) -> Coverage:
    """Run pytest under coverage in a fresh process (from the repository's root) and measure `module`'s lines."""
    folder = Path(tempfile.mkdtemp(prefix="course-coverage-"))
    data, report = folder / ".coverage", folder / "coverage.json"
    run = [sys.executable, "-m", "coverage", "run", f"--data-file={data}", f"--source={module}"]
    tests = ["-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args]
    done = subprocess.run(
        run + tests,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
        env=_env(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"),
    )
    subprocess.run(
        [sys.executable, "-m", "coverage", "json", f"--data-file={data}", "-o", str(report), "-q"],
        capture_output=True,
        check=False,
        cwd=ROOT,
        env=_env(),
    )
    files = json.loads(report.read_text())["files"] if report.exists() else {}
    found: dict[str, Any] = next(iter(files.values()), {"summary": {"num_statements": 0}, "missing_lines": []})
    return Coverage(
        module, found["summary"]["num_statements"], found["missing_lines"], done.returncode == 0, done.stdout
    )
