import httpx
from fastapi import FastAPI

from course_lib.notebook import progress
from course_lib.notebook.exercises import (
    CORRECT,
    INCORRECT,
    NOT_ATTEMPTED,
    Exercise,
    Incorrect,
    NotAttempted,
    cache_directives,
    expect_header,
    expect_status,
    header_tokens,
)
from course_lib.notebook.server import serving


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
    result = calls.evaluate(stub)
    assert result.status == NOT_ATTEMPTED and "write its body" in result.message


def test_an_exception_in_learner_code_is_reported_not_raised():
    def broken():
        return 1 / 0

    calls = Exercise("test.q3", "calls", lambda f: f(), hint="", solution="")
    result = calls.evaluate(broken)
    assert result.status == INCORRECT and "ZeroDivisionError" in result.message


def test_the_learners_line_is_named_not_the_librarys():
    def parse(text):
        import json

        return json.loads(text)  # the line the learner must see

    calls = Exercise("test.q5", "calls", lambda f: f("{"), hint="", solution="")
    result = calls.evaluate(parse)
    assert result.status == INCORRECT and "JSONDecodeError" in result.message
    assert "of parse: `return json.loads(text)  # the line the learner must see`" in result.message


def test_code_a_library_generated_is_not_the_learners_line():
    from course_lib.taskapi.orm_models import TaskRow

    def build(title):
        return TaskRow(titel=title)  # the learner's typo: SQLAlchemy's generated __init__ raises

    result = Exercise("test.q5b", "calls", lambda f: f("x"), hint="", solution="").evaluate(build)
    assert result.status == INCORRECT and "of build: `return TaskRow(titel=title)" in result.message


def test_an_error_after_the_learners_code_returned_names_the_library_not_its_line():
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from course_lib.notebook.exercises import describe_error
    from course_lib.taskapi.orm_models import Base, TaskRow

    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(TaskRow(title=None))  # what the learner left behind; the check's commit fails on it
        try:
            session.commit()
        except sa.exc.IntegrityError as error:
            failed = error.with_traceback(error.__traceback__.tb_next)  # only library frames: no line of the learner's
    described = describe_error(failed)
    assert described.startswith("IntegrityError") and described.endswith(
        "(inside sqlalchemy, after your code returned: in what it returned or left behind)"
    )


def test_the_input_that_broke_a_function_is_named():
    def halve(values):
        return [value // 2 for value in values if value > 0 or value["x"]]

    def test(f):
        f([4, 2])
        f([4, 0])

    result = Exercise("test.q6", "calls", test, hint="", solution="").evaluate(halve)
    assert result.status == INCORRECT and "TypeError" in result.message
    assert "It raised when called as halve([4, 0])." in result.lines()


def test_an_edited_function_raising_not_implemented_is_incorrect():
    def half_done(x):
        if x > 1:
            return x
        raise NotImplementedError  # YOUR CODE HERE

    calls = Exercise("test.q7", "calls", lambda f: f(0), hint="", solution="")
    result = calls.evaluate(half_done)
    assert result.status == INCORRECT and "NotImplementedError" in result.message and "stub" in result.message


def test_none_from_an_edited_function_says_returned_none():
    def forgot_return(x):
        x * 2

    def test(f):
        got = f(21)
        if got is None:
            raise NotAttempted
        if got != 42:
            raise Incorrect("wrong", expected=42, got=got)

    result = Exercise("test.q8", "calls", test, hint="", solution="").evaluate(forgot_return)
    assert result.status == INCORRECT and result.message.startswith("forgot_return(21) returned None")

    def compares(f):
        got = f(21)
        if got != 42:
            raise Incorrect("wrong", expected=42, got=got)

    result = Exercise("test.q9", "calls", compares, hint="", solution="").evaluate(forgot_return)
    assert (
        result.status == INCORRECT
        and "forgot_return(21) returned None: does every path end with `return ...`?" in result.lines()
    )

    def none_on_purpose(x):  # None is this function's answer for "no": no hint about a missing return
        if x > 100:
            return 42
        return None

    result = Exercise("test.q10", "calls", compares, hint="", solution="").evaluate(none_on_purpose)
    assert result.status == INCORRECT and not any("every path" in line for line in result.lines())


def test_a_route_that_raises_is_reported_with_its_line():
    def add_route(app):
        @app.get("/boom")
        def boom():
            return {"ratio": 1 / 0}

    def test(add):
        app = FastAPI()
        add(app)
        with serving(app) as server:
            got = server.get("/boom")
        expect_status(got, 200)

    result = Exercise("test.q10", "route", test, hint="", solution="").evaluate(add_route)
    assert result.status == INCORRECT and result.got == 500
    assert any(
        line.startswith("Your route raised ZeroDivisionError: division by zero (line")
        and "of boom: `return {'ratio': 1 / 0}`" in line.replace('"', "'")
        for line in result.lines()
    )


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
    with_charset = response(200, {"Content-Type": "application/problem+json; charset=utf-8"})
    assert expect_header(with_charset, "content-type", "application/problem+json")
    for wrong in ("application/problem+jsonx", "application/json"):
        try:
            expect_header(response(200, {"Content-Type": wrong}), "content-type", "application/problem+json")
        except Incorrect:
            pass
        else:
            raise AssertionError(f"expect_header accepted {wrong}")
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


def test_header_tokens_are_tokens_not_substrings():
    vary = response(200, [("Vary", "Accept-Encoding"), ("Vary", "Origin, ACCEPT")])
    assert header_tokens(vary, "vary") == ["accept-encoding", "origin", "accept"]
    assert "accept" not in header_tokens(response(200, {"Vary": "Accept-Encoding"}), "vary")


def test_cache_directives_ignore_order_case_and_quotes():
    assert (
        cache_directives('public, Max-Age="60"')
        == cache_directives("max-age=60, public")
        == {"max-age": "60", "public": None}
    )
    assert cache_directives(None) == {}
