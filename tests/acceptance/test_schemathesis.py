"""Check 1: schemathesis over the app's OpenAPI (all checks, stateful phase, seed 9457, as a real user); then check 8
over every response that run produced."""

from __future__ import annotations

from tests.acceptance import checks
from tests.acceptance.harness import FULL, figure


def test_01_schemathesis_finds_no_failure(live, tmp_path):
    report_dir = checks.Path("build/acceptance/schemathesis").resolve() if FULL else tmp_path
    figure(1, checks.check_01_schemathesis(live, report_dir))


def test_08_no_schemathesis_response_broke_the_error_format(live):
    figure(8, "check 1's run: " + checks.whole_run(live))
