"""The capstone's runner: the suite in a child process per app, its report read into a scorecard."""

from course_lib.lab.capstone import (
    BROKEN,
    CHECKLIST,
    REFERENCE,
    SLOW,
    Scorecard,
    outcomes,
    read_report,
    readiness,
    scorecards,
)


def test_the_reference_gets_full_marks_and_the_broken_app_names_the_failed_request():
    ticks = []
    cards = scorecards([REFERENCE, BROKEN, "no_such_module:create_app"], progress=ticks.append, fresh=True)
    reference, broken, missing = cards.values()
    assert reference.full_marks, reference.summary()
    assert all(row.figure for row in reference.rows), reference.table()
    assert not any(check_number in SLOW for check_number in outcomes(reference))
    assert not broken.full_marks
    failed = {row.check: row.why for row in broken.missing if row.outcome == "failed"}
    assert "GET /tasks/{task_id} by another user → 200, not 404" in failed["02_object_level_authorization_on_tasks"]
    assert "checks.py:" in failed["06_mass_assignment"]  # a bare assert: its line says the request
    assert not missing.full_marks and "No module named 'no_such_module'" in missing.rows[0].why
    assert len(ticks) == 3 * len(reference.rows)


def test_figures_go_to_the_checks_that_passed_in_run_order():
    report = {
        "results": [
            {"check": "test_08_errors", "outcome": "failed", "why": "GET /x → 500"},
            {"check": "test_02_tasks", "outcome": "passed", "why": ""},
            {"check": "test_02_jobs", "outcome": "skipped", "why": "not applicable"},
            {"check": "test_08_whole_run", "outcome": "passed", "why": ""},
        ],
        "figures": {"02": ["tasks figure"], "08": ["whole-run figure"]},
    }
    card = read_report("app:f", report)
    assert [(row.check, row.figure) for row in card.rows] == [
        ("08_errors", ""),
        ("02_tasks", "tasks figure"),
        ("02_jobs", ""),
        ("08_whole_run", "whole-run figure"),
    ]
    assert [row.item for row in card.rows] == [
        "resource + contract",
        "authn / authz",
        "authn / authz",
        "resource + contract",
    ]
    assert card.passed == 2 and not card.full_marks
    assert readiness(outcomes(card))["resource + contract"] == "broken"
    assert readiness(outcomes(card))["authn / authz"] == "missing"
    assert readiness(outcomes(card))["scale"] == "not run"


def test_a_run_without_checks_is_not_full_marks():
    assert not Scorecard("app:f").full_marks
    assert set(readiness({})) == set(CHECKLIST)
