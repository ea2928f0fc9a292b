"""make contract: schemathesis with every check and phase, seed 9457, against the latest task API's OpenAPI."""

from __future__ import annotations

import argparse
import sys

from course_lib.lab.conformance import SEED, check_conformance
from course_lib.lab.slow_service import with_calendar
from course_lib.services.settings import use_kernel_key
from course_lib.taskapi import latest


def main(argv: list[str] | None = None) -> int:
    """Run the conformance check; print its output and numbers; exit 1 on any failure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--report-dir", default="build/contract")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--max-examples", type=int, default=None, help="per operation (default: schemathesis's)")
    args = parser.parse_args(argv)
    use_kernel_key()  # the API checked here signs with a random key of this run
    report = check_conformance(latest(with_calendar()), args.report_dir, seed=args.seed, max_examples=args.max_examples)
    print(report.output)
    print(f"schemathesis: {report.cases} test cases, {report.failures} unique failures (seed {args.seed})")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
