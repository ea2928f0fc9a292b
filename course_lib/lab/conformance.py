"""Does the API do what its OpenAPI says? Schemathesis generates requests from the document and checks every answer.

    report = check_conformance(latest(with_calendar()), max_examples=10)  # with_calendar: course_lib.lab.slow_service
    assert report.ok, report.output

The app is served on loopback for the run; a user signs up first, and every request carries its X-API-Key, so the
writes get past authentication and reach the rules the document states. All checks run (status codes, content types,
response schemas, valid data accepted, invalid data rejected, ...), the stateful phase too, with a fixed seed.
The one rule the document can only state in words (schemathesis_hooks.py) is taught to the generator by a hook.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from course_lib.notebook.server import serve
from course_lib.taskapi.api_keys import sign_up

SEED = 9457
ROOT = Path(__file__).resolve().parents[2]
HOOKS = "course_lib.lab.schemathesis_hooks"  # the cross-field rule of sign-up, which JSON Schema cannot state
PHASES = ("examples", "coverage", "fuzzing", "stateful")
TESTER = {"name": "Schema Tester", "email": "schema.tester@example.org"}


@dataclass(frozen=True)
class Report:
    """What one schemathesis run found."""

    cases: int  # test cases generated and sent
    failures: int  # unique failures
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.failures == 0


# Schemathesis's defaults, plus what preconditions add (chapter 10): a valid request may carry an If-Match that is
# not (or no longer) the task's ETag, which RFC 9110 §13.1.1 answers with 412; a request without the required If-Match
# gets 428 (RFC 6585), the status for exactly that missing header. A list's cursor (chapter 14) is any string to the
# schema, but only one the server signed for that list is valid: any other is 400, as its description says.
CONFIG = """[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "412", "429", "5xx"]

[checks.missing_required_header]
expected-statuses = ["400", "401", "403", "406", "415", "422", "428"]
"""


def schemathesis_args(
    url: str,
    headers: dict[str, str],
    report_dir: Path,
    *,
    seed: int = SEED,
    max_examples: int | None = None,
    phases: tuple[str, ...] = PHASES,
    max_time: int | None = None,
) -> list[str]:
    """The command line of one run: all checks, the given phases, one worker (so the seed reproduces the run)."""
    config = report_dir / "schemathesis.toml"
    config.write_text(CONFIG)
    args = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--phases",
        ",".join(phases),
        "--seed",
        str(seed),
        "--workers",
        "1",
        "--no-color",
        "--report",
        "json",
        "--report-dir",
        str(report_dir),
    ]
    for name, value in headers.items():
        args += ["--header", f"{name}: {value}"]
    if max_examples is not None:
        args += ["--max-examples", str(max_examples)]
    if max_time is not None:
        args += ["--max-time", str(max_time)]
    return args


def read_report(report_dir: Path, returncode: int, output: str) -> Report:
    """The numbers of a run, from its JSON report (or its summary line when there is none)."""
    reports = sorted(report_dir.glob("*.json"))
    if reports:
        summary = json.loads(reports[-1].read_text())
        cases, failures = _counts(summary)
    else:
        cases = int(next(iter(re.findall(r"(\d+) generated", output)), 0))
        failures = int(next(iter(re.findall(r"(\d+) unique failures", output)), 0))
    return Report(cases=cases, failures=failures, returncode=returncode, output=output)


def _counts(summary: dict) -> tuple[int, int]:
    cases = summary.get("test_cases", {})
    return int(cases.get("generated", 0)), int(cases.get("unique_failures", 0)) + len(summary.get("errors", []))


def check_conformance(
    app,
    report_dir: str | Path = "build/conformance",
    *,
    seed: int = SEED,
    max_examples: int | None = None,
    phases: tuple[str, ...] = PHASES,
    max_time: int | None = None,
    timeout: float | None = None,
) -> Report:
    """Serve `app`, sign a user up, and run schemathesis with every check against it."""
    report_dir = Path(report_dir).resolve()
    report_dir.mkdir(parents=True, exist_ok=True)
    for old in report_dir.glob("*.json"):
        old.unlink()
    api = serve(app, name="conformance")
    try:
        headers = sign_up(api, TESTER["name"], TESTER["email"])
        args = schemathesis_args(
            api.url, headers, report_dir, seed=seed, max_examples=max_examples, phases=phases, max_time=max_time
        )
        # Run in report_dir: schemathesis keeps its example database (.schemathesis/) in the working directory.
        env = {
            **os.environ,
            "SCHEMATHESIS_HOOKS": HOOKS,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        done = subprocess.run(
            args, capture_output=True, text=True, timeout=timeout, check=False, cwd=report_dir, env=env
        )
    finally:
        api.stop()
    return read_report(report_dir, done.returncode, done.stdout + done.stderr)
