"""Exercise checks that never raise: Correct, Incorrect (what request failed, expected vs got) or Not attempted."""

from __future__ import annotations

import html
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from course_lib.notebook import progress
from course_lib.notebook.solutions import solution_for

CORRECT, INCORRECT, NOT_ATTEMPTED = "correct", "incorrect", "not attempted"
EXERCISES: dict[str, Exercise] = {}
_COLOURS = {CORRECT: "#1a7f37", INCORRECT: "#cf222e", NOT_ATTEMPTED: "#9a6700"}
_MISSING = object()


class Incorrect(Exception):
    """Raised by a checker: the answer is wrong, and this says how."""

    def __init__(self, message: str, request: str | None = None, expected: Any = _MISSING, got: Any = _MISSING):
        super().__init__(message)
        self.message, self.request, self.expected, self.got = message, request, expected, got


class NotAttempted(Exception):
    """Raised by a checker when the answer is still the stub."""


@dataclass(frozen=True)
class Result:
    """What a check found."""

    exercise_id: str
    title: str
    status: str
    message: str = ""
    request: str | None = None
    expected: Any = _MISSING
    got: Any = _MISSING

    def lines(self) -> list[str]:
        heading = {CORRECT: "✔ Correct", INCORRECT: "✘ Incorrect", NOT_ATTEMPTED: "… Not attempted"}[self.status]
        lines = [f"{heading} — {self.exercise_id}: {self.title}"]
        if self.message:
            lines.append(self.message)
        if self.request:
            lines.append(f"request:  {self.request}")
        if self.expected is not _MISSING:
            lines.append(f"expected: {self.expected!r}")
        if self.got is not _MISSING:
            lines.append(f"got:      {self.got!r}")
        return lines

    def __repr__(self) -> str:
        return "\n".join(self.lines())

    def _repr_html_(self) -> str:
        first, *rest = (html.escape(line) for line in self.lines())
        colour = _COLOURS[self.status]
        body = "".join(f"<div><code>{line}</code></div>" if ":" in line[:10] else f"<div>{line}</div>"
                       for line in rest)
        return (f'<div style="border-left:4px solid {colour};padding:4px 10px">'
                f'<b style="color:{colour}">{first}</b>{body}</div>')


def is_stub(answer: Any) -> bool:
    """True for the placeholders a learner notebook starts with."""
    return answer is None or answer is Ellipsis


class Exercise:
    """One exercise: a test over the learner's answer, a hint and a solution."""

    def __init__(self, exercise_id: str, title: str, test: Callable[[Any], None], hint: str,
                 solution: str | None = None):
        self.id, self.title, self._test, self._hint, self._solution = exercise_id, title, test, hint, solution
        EXERCISES[exercise_id] = self

    def evaluate(self, answer: Any = None) -> Result:
        """Run the test over `answer` and say what it found; never raises."""
        try:
            if is_stub(answer):
                raise NotAttempted
            self._test(answer)
        except NotAttempted:
            return Result(self.id, self.title, NOT_ATTEMPTED,
                          "Replace the placeholder with your answer, run that cell, then run this one again.")
        except NotImplementedError:
            return Result(self.id, self.title, NOT_ATTEMPTED,
                          "Your function still raises NotImplementedError: write its body, then check again.")
        except Incorrect as wrong:
            return Result(self.id, self.title, INCORRECT, wrong.message, wrong.request, wrong.expected, wrong.got)
        except Exception as error:  # the learner's code may raise anything; say what and where, never re-raise
            where = traceback.extract_tb(error.__traceback__)[-1]
            return Result(self.id, self.title, INCORRECT,
                          f"Your code raised {type(error).__name__}: {error} (line {where.lineno} of {where.name}).")
        return Result(self.id, self.title, CORRECT)

    def check(self, answer: Any = None) -> None:
        """Display Correct, Incorrect or Not attempted for `answer`, and record it in your progress."""
        result = self.evaluate(answer)
        progress.record(self.id, result.status)
        _display(result)

    def hint(self) -> None:
        """Display a hint."""
        _display_text(f"Hint — {self.id}: {self.hint_text}")

    def solution(self) -> None:
        """Display the worked solution: the code the solved notebook runs, read from the chapter source."""
        _display_text(f"Solution — {self.id}:\n{self.solution_text}")

    @property
    def solution_text(self) -> str:
        return (self._solution or solution_for(self.id)
                or f"see the solved notebook of chapter {self.id[2:4]} in solutions/")

    @property
    def hint_text(self) -> str:
        return self._hint

    def __repr__(self) -> str:
        return f"<Exercise {self.id}: {self.title} — .check(answer), .hint(), .solution()>"


def _display(result: Result) -> None:
    try:
        from IPython.display import display
    except ImportError:  # outside IPython
        print(repr(result))
        return
    display(result)


def _display_text(text: str) -> None:
    print(text)


def describe(response: httpx.Response) -> str:
    """'GET /tasks/1' for a response's request."""
    request = response.request
    return f"{request.method} {request.url.raw_path.decode('ascii')}"


def expect_status(response: httpx.Response, expected: int, why: str = "") -> None:
    """Raise Incorrect naming the request when its status is not `expected`."""
    if response.status_code != expected:
        message = why or f"{describe(response)} answered {response.status_code}, not {expected}."
        raise Incorrect(message, request=describe(response), expected=expected, got=response.status_code)


def expect_header(response: httpx.Response, name: str, expected: str | None = None, why: str = "") -> str:
    """Raise Incorrect unless the response has header `name` (equal to `expected` when given); return its value."""
    value = response.headers.get(name)
    if value is None or (expected is not None and value != expected):
        message = why or f"the response to {describe(response)} needs a {name} header" + (
            f" equal to {expected!r}." if expected is not None else ".")
        raise Incorrect(message, request=describe(response), expected=expected if expected is not None else
                        f"a {name} header", got=value)
    return value


def expect_equal(got: Any, expected: Any, message: str, request: str | None = None) -> None:
    """Raise Incorrect unless got == expected."""
    if got != expected:
        raise Incorrect(message, request=request, expected=expected, got=got)
