import httpx

from course_lib.notebook import progress
from course_lib.notebook.exercises import (
    CORRECT,
    INCORRECT,
    NOT_ATTEMPTED,
    Exercise,
    Incorrect,
    expect_header,
    expect_status,
)


def must_be_42(answer):
    if answer != 42:
        raise Incorrect("not the answer", expected=42, got=answer)


exercise = Exercise("test.q1", "The answer", must_be_42, hint="six times seven", solution="answer = 42")


def test_outcomes():
    assert exercise.evaluate(42).status == CORRECT
    assert exercise.evaluate(41).status == INCORRECT
    assert exercise.evaluate(None).status == NOT_ATTEMPTED
    assert exercise.evaluate(...).status == NOT_ATTEMPTED


def test_incorrect_says_expected_and_got():
    text = repr(exercise.evaluate(41))
    assert "✘ Incorrect" in text and "expected: 42" in text and "got:      41" in text


def test_a_stub_function_is_not_attempted():
    def stub():
        raise NotImplementedError

    calls = Exercise("test.q2", "calls", lambda f: f(), hint="", solution="")
    assert calls.evaluate(stub).status == NOT_ATTEMPTED


def test_an_exception_in_learner_code_is_reported_not_raised():
    def broken():
        return 1 / 0

    calls = Exercise("test.q3", "calls", lambda f: f(), hint="", solution="")
    result = calls.evaluate(broken)
    assert result.status == INCORRECT and "ZeroDivisionError" in result.message


def test_check_displays_and_records(capsys):
    exercise.check(42)
    assert "✔ Correct" in capsys.readouterr().out
    assert progress.load() == {"test.q1": "correct"}


def test_hint_and_solution(capsys):
    exercise.hint()
    exercise.solution()
    out = capsys.readouterr().out
    assert "six times seven" in out and "answer = 42" in out


def test_html_rendering_is_escaped():
    html = Exercise("test.q4", "<b>", must_be_42, "", "").evaluate("<script>")._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html


def response(status, headers=None):
    return httpx.Response(status, headers=headers, request=httpx.Request("GET", "http://x/tasks/1"))


def test_expect_status_names_the_request():
    try:
        expect_status(response(200), 404)
    except Incorrect as wrong:
        assert wrong.request == "GET /tasks/1" and wrong.expected == 404 and wrong.got == 200
    else:
        raise AssertionError("expect_status accepted a wrong status")


def test_expect_header():
    assert expect_header(response(200, {"ETag": '"1"'}), "etag") == '"1"'
    try:
        expect_header(response(200), "etag")
    except Incorrect as wrong:
        assert "etag" in wrong.message
    else:
        raise AssertionError("expect_header accepted a missing header")


def test_every_exercise_shows_the_solution_its_chapter_runs():
    from course_lib.checks import all_exercises
    from course_lib.notebook.solutions import chapter_solutions

    course = {key: value for key, value in all_exercises().items() if key.startswith("ch")}
    assert len(course) >= 27
    for exercise_id, each in course.items():
        solved = chapter_solutions(exercise_id.split(".")[0]).get(exercise_id)
        assert solved, f"no solution cell precedes {exercise_id}.check(...) in its chapter source"
        assert each.solution_text == solved and "### " not in solved


def test_a_missing_chapter_source_points_to_the_solved_notebook():
    assert "solutions/" in Exercise("ch99.q1", "none", must_be_42, hint="").solution_text
