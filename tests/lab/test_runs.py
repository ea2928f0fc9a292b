"""The notebook's two process runs: coverage measured in a fresh process, schemathesis on part of the OpenAPI."""

from course_lib.lab.runs import Coverage, contract_run, coverage_run
from course_lib.taskapi import latest


def test_coverage_in_a_fresh_process_counts_the_definitions_and_names_what_no_test_ran():
    covered = coverage_run("course_lib.web.pagination", "tests/web/test_pagination.py", "-k", "last_page")
    assert covered.passed, covered.output
    assert covered.statements > 40
    assert 1 not in covered.missing  # the module's first statement ran: it was imported under the tracer
    by_function = covered.missing_by_function()
    assert "parse_sort" in by_function and "last_page" not in by_function  # only last_page's test ran
    assert 40 < covered.percent < 100


def test_missing_lines_outside_any_function_are_module_level():
    found = Coverage("course_lib.web.pagination", 10, [1], True, "").missing_by_function()
    assert found == {"(module level)": [1]}
    assert Coverage("m", 0, [], True, "").percent == 100.0


def test_a_narrow_contract_run_passes_on_the_latest_api():
    report = contract_run(latest(), paths="^/health$", max_examples=2)
    assert report.ok, report.output
    assert report.cases >= 1
