"""Checks for chapter 18 — Testing: tests graded by what they catch.

Both exercises hand in tests, not code. A check runs them twice over: on the real code, where every test must pass
(a test that fails on right code is a false alarm), then on mutants, copies of the code with one rule broken, where
at least one test must fail for each (a mutant no test notices is a bug the suite would let through).
- q1: tests of `last_page(total, limit)`, run against wrong versions of it (pure functions: no server);
- q2: tests of the task API through a TestClient, run against the latest app and its mutants (lab/api_mutants.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from course_lib.lab.api_mutants import MUTANTS, Switchboard, real_app
from course_lib.lab.suites import Case, Outcome, api_fixtures, collect, run_case, substituted
from course_lib.notebook.exercises import Exercise, Incorrect, NotAttempted
from course_lib.web import pagination


@dataclass(frozen=True)
class FunctionMutant:
    """A wrong last_page and what it gets wrong, in words that name the rule, not the test that finds it."""

    name: str
    breaks: str
    function: Callable[[int, int], int]


LAST_PAGE_MUTANTS = [
    FunctionMutant(
        "rounds_down",
        "it divides rounding down, so a last page that is only partly full is never counted",
        lambda total, limit: max(1, total // limit),
    ),
    FunctionMutant(
        "rounds_down_plus_one",
        "it divides rounding down and adds one, so a list that fills its pages exactly gets an empty page more",
        lambda total, limit: max(1, total // limit + 1),
    ),
    FunctionMutant(
        "no_first_page_when_empty",
        "an empty list gets page 0 instead of page 1",
        lambda total, limit: -(-total // limit),
    ),
    FunctionMutant(
        "rounds_to_nearest",
        "it rounds to the nearest whole number of pages, so some partly full last pages are lost",
        lambda total, limit: max(1, round(total / limit)),
    ),
    FunctionMutant(
        "one_item_short",
        "it counts one item fewer than the total, so a last page holding a single item is lost",
        lambda total, limit: max(1, -(-(total - 1) // limit)),
    ),
    FunctionMutant(
        "pages_one_larger",
        "it divides by limit + 1, as if each page held one item more than it does",
        lambda total, limit: max(1, -(-total // (limit + 1))),
    ),
]


def tests_in(answer: Any) -> list[Case]:
    """The test cases the answer holds (skipped ones left out); NotAttempted when there are none."""
    cases = [case for case in collect(answer) if not case.skipped]
    if not cases:
        raise NotAttempted
    return cases


def names(outcomes: list[Outcome]) -> list[str]:
    return [outcome.case.name for outcome in outcomes]


def fails_on_real(case: Case, outcome: Outcome, where: str) -> Incorrect:
    """Incorrect: a test fails on code that is right."""
    return Incorrect(
        f"{case.name} fails on the real {where}, which is right: a test that fails on right code is a false alarm. "
        "Fix the test (is its expectation what the API documents? does it set up everything it reads?).",
        request=case.name,
        expected="passes on the real code",
        got=outcome.why(),
    )


def survivors_message(survivors: list[str], total: int, cases: list[Case]) -> str:
    """What the first surviving mutant breaks, and how many survive."""
    return (
        f"{len(survivors)} of {total} mutants survive: all {len(cases)} of your tests passed on code where "
        f"{survivors[0]}. Add a test that fails there (and still passes on the real code)."
    )


def _test_last_page_tests(answer: Any) -> None:
    cases = tests_in(answer)
    with substituted(cases, "last_page", pagination, pagination.last_page):
        for case in cases:
            outcome = run_case(case, {})
            if not outcome.passed:
                raise fails_on_real(case, outcome, "last_page")
    survivors = []
    for mutant in LAST_PAGE_MUTANTS:
        with substituted(cases, "last_page", pagination, mutant.function):
            if all(run_case(case, {}).passed for case in cases):
                survivors.append(mutant)
    if survivors:
        raise Incorrect(
            survivors_message([each.breaks for each in survivors], len(LAST_PAGE_MUTANTS), cases),
            request=f"your tests on {len(LAST_PAGE_MUTANTS)} wrong versions of last_page",
            expected="each wrong version fails at least one test",
            got=f"passed on: {', '.join(each.name for each in survivors)}",
        )


q1 = Exercise(
    "ch18.q1",
    "Tests that catch a wrong last_page",
    _test_last_page_tests,
    hint="Check the edges: an empty list (page 1), a list that fills its pages exactly (no extra page), one item "
    "more than that (one page more), a partly full page. A property with @given states all of them at once: for "
    "total > 0, (last_page - 1) * limit < total <= last_page * limit.",
)


def _test_api_tests(answer: Any) -> None:
    cases = tests_in(answer)
    real = real_app()
    for case in cases:
        outcome = run_case(case, api_fixtures(real))
        if not outcome.passed:
            raise fails_on_real(case, outcome, "API")
    survivors = []
    board = Switchboard()
    for mutant in MUTANTS.values():
        board.active = mutant.name
        if all(run_case(case, api_fixtures(board.app)).passed for case in cases):  # stops at the first test that fails
            survivors.append(mutant)
    if survivors:
        raise Incorrect(
            survivors_message([each.breaks for each in survivors], len(MUTANTS), cases),
            request=f"your tests on {len(MUTANTS)} mutants of the task API",
            expected="each mutant fails at least one test",
            got=f"passed on: {', '.join(each.name for each in survivors)}",
        )


q2 = Exercise(
    "ch18.q2",
    "Tests that catch a broken task API",
    _test_api_tests,
    hint="Three rules, each from both sides: Bob gets 404 for Ada's task and never sees it in his list, while Ada "
    "does; a PATCH with the ETag Ada read succeeds once and a second one with the same (now old) ETag is 412, the "
    'title left as the first PATCH set it; more tasks than `limit`, every page followed by its Link rel="next", '
    "gives each task exactly once.",
)
