"""The task API's contract: its cases name every failure mode chapter 05 teaches (tests/taskapi runs them live)."""

from course_lib.lab.task_contract import CONTRACT


def test_the_contract_covers_every_failure_mode():
    assert {401, 403, 404, 405, 409, 422} <= {case.expect for case in CONTRACT}
