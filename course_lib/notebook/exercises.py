"""Exercise checks that never raise: Correct, Incorrect (what request failed, expected vs got) or Not attempted.

When the learner's code raises — in a function the check calls, or in a route of an app the check serves — Incorrect
names the exception, the learner's own line (not a library's) and the call that broke it.
"""

from __future__ import annotations

import dis
import functools
import html
import inspect
import logging
import os
import reprlib
import sysconfig
import threading
import time
import traceback
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from course_lib.notebook import progress
from course_lib.notebook.server import LOGS
from course_lib.notebook.solutions import solution_for
from course_lib.notebook.source_rules import may_end_without_return

COURSE_LIB = Path(__file__).parent.parent  # the course_lib package: its frames are the course's, not the learner's
CORRECT, INCORRECT, NOT_ATTEMPTED = "correct", "incorrect", "not attempted"
EXERCISES: dict[str, Exercise] = {}
_COLOURS = {CORRECT: "#1a7f37", INCORRECT: "#cf222e", NOT_ATTEMPTED: "#9a6700"}
_MISSING = object()
_RAISE_ONLY = {"RESUME", "NOP", "CACHE", "LOAD_GLOBAL", "LOAD_CONST", "PUSH_NULL", "PRECALL", "CALL", "RAISE_VARARGS"}


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
    details: tuple[str, ...] = ()  # what the learner's code raised or returned, and where

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
        return lines + list(self.details)

    def __repr__(self) -> str:
        return "\n".join(self.lines())

    def _repr_html_(self) -> str:
        first, *rest = (html.escape(line) for line in self.lines())
        colour = _COLOURS[self.status]
        body = "".join(f"<div><code>{line}</code></div>" if ":" in line[:10] else f"<div>{line}</div>" for line in rest)
        return (
            f'<div style="border-left:4px solid {colour};padding:4px 10px">'
            f'<b style="color:{colour}">{first}</b>{body}</div>'
        )


def is_stub(answer: Any) -> bool:
    """True for the placeholders a learner notebook starts with: None, ..., or a function that only raises."""
    return answer is None or answer is Ellipsis or is_stub_function(answer)


def is_stub_function(answer: Any) -> bool:
    """True for an untouched stub: a function whose body is `raise NotImplementedError` (and maybe a docstring)."""
    code = getattr(answer, "__code__", None)
    return (
        isinstance(code, types.CodeType)
        and set(code.co_names) == {"NotImplementedError"}
        and {instruction.opname for instruction in dis.get_instructions(code)} <= _RAISE_ONLY
    )


class Exercise:
    """One exercise: a test over the learner's answer, a hint and a solution."""

    def __init__(
        self, exercise_id: str, title: str, test: Callable[[Any], None], hint: str, solution: str | None = None
    ):
        self.id, self.title, self._test, self._hint, self._solution = exercise_id, title, test, hint, solution
        EXERCISES[exercise_id] = self

    def evaluate(self, answer: Any = None) -> Result:
        """Run the test over `answer` and say what it found; never raises."""
        if is_stub_function(answer):
            return self._result(
                NOT_ATTEMPTED,
                "Your function still only raises NotImplementedError: write its body, run that cell, then check again.",
            )
        if is_stub(answer):
            return self._result(
                NOT_ATTEMPTED, "Replace the placeholder with your answer, run that cell, then run this one again."
            )
        calls = _Calls()
        errors = _ServerErrors()
        LOGS.addFilter(errors)
        try:
            self._test(calls.trace(answer))
        except NotAttempted:
            if calls.last is None:
                return self._result(
                    NOT_ATTEMPTED, "Replace the placeholder with your answer, run that cell, then run this one again."
                )
            return self._result(INCORRECT, f"{calls.last} returned None: does every path end with `return ...`?")
        except Incorrect as wrong:
            details = errors.describe(wait=_is_server_error(wrong.got))
            # Only where a path can end without `return`: when every path returns, None was the learner's answer
            if wrong.got is None and calls.returned_none and may_end_without_return(answer):
                details.append(f"{calls.last} returned None: does every path end with `return ...`?")
            return Result(
                self.id, self.title, INCORRECT, wrong.message, wrong.request, wrong.expected, wrong.got, tuple(details)
            )
        except Exception as error:  # the learner's code may raise anything; say what, where and on what input
            stub_left = (
                " Is the stub's `raise NotImplementedError` still there?"
                if isinstance(error, NotImplementedError)
                else ""
            )
            return self._result(
                INCORRECT,
                f"Your code raised {describe_error(error)}.{stub_left}",
                _called_with(error) + errors.describe(wait=False),
            )
        finally:
            LOGS.removeFilter(errors)
        return self._result(CORRECT)

    def _result(self, status: str, message: str = "", details: list[str] | None = None) -> Result:
        return Result(self.id, self.title, status, message, details=tuple(details or ()))

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
        return (
            self._solution
            or solution_for(self.id)
            or f"see the solved notebook of chapter {self.id[2:4]} in solutions/"
        )

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
    """Raise Incorrect unless the response has header `name` (equal to `expected` when given); return its value.

    A Content-Type is compared by media type (`application/json; charset=utf-8` is `application/json`) unless
    `expected` has parameters itself.
    """
    value = response.headers.get(name)
    if value is not None and expected is not None and name.lower() == "content-type" and ";" not in expected:
        matches = media_type(value) == expected.lower()
    else:
        matches = value is not None and (expected is None or value.strip() == expected)
    if not matches:
        message = why or f"the response to {describe(response)} needs a {name} header" + (
            f" equal to {expected!r}." if expected is not None else "."
        )
        raise Incorrect(
            message,
            request=describe(response),
            expected=expected if expected is not None else f"a {name} header",
            got=value,
        )
    return value


def expect_equal(got: Any, expected: Any, message: str, request: str | None = None) -> None:
    """Raise Incorrect unless got == expected."""
    if got != expected:
        raise Incorrect(message, request=request, expected=expected, got=got)


def media_type(content_type: str | None) -> str | None:
    """'type/subtype' of a Content-Type value, lower case, without parameters."""
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower()


def header_tokens(response: httpx.Response, name: str) -> list[str]:
    """The comma-separated elements of every `name` field of the response, lower case (Vary, Allow, Connection)."""
    return [
        token.strip().lower()
        for value in response.headers.get_list(name)
        for token in value.split(",")
        if token.strip()
    ]


def cache_directives(value: str | None) -> dict[str, str | None]:
    """Cache-Control directives by lower-case name: {'max-age': '60', 'public': None}; quotes around values dropped."""
    directives: dict[str, str | None] = {}
    for part in (value or "").split(","):
        name, has_value, argument = part.strip().partition("=")
        if name:
            directives[name.strip().lower()] = argument.strip().strip('"') if has_value else None
    return directives


# --- what the learner's code did -------------------------------------------------------------------------------

_LIBRARY_ROOTS = tuple(
    sorted({sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")} | {str(COURSE_LIB)})
)
# code a library compiles at run time (SQLAlchemy's __init__ and flush, dataclasses' methods): never a learner's line
_GENERATED = ("<frozen", "<string>", "<sqlalchemy ")
_SHORT = reprlib.Repr()
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlist, _SHORT.maxdict = 60, 60, 6, 6


def learner_frame(tb: types.TracebackType | None) -> traceback.FrameSummary | None:
    """The innermost frame of a traceback that runs the learner's code, not a library's or the course's."""
    for frame in reversed(traceback.extract_tb(tb)):
        if not frame.filename.startswith((*_LIBRARY_ROOTS, *_GENERATED)):
            return frame
    return None


def _library(tb: types.TracebackType | None) -> str | None:
    """Which library the innermost frame of a traceback is in: 'sqlalchemy', 'the check', ...; None if unknown."""
    frames = [frame for frame in traceback.extract_tb(tb) if not frame.filename.startswith("<")]
    if not frames:
        return None
    path = Path(frames[-1].filename)
    if path.is_relative_to(COURSE_LIB):
        return "the check"
    for root in sorted(_LIBRARY_ROOTS, key=len, reverse=True):
        if path.is_relative_to(root):
            return path.relative_to(root).parts[0].removesuffix(".py")
    return None


def describe_error(error: BaseException) -> str:
    """'ZeroDivisionError: division by zero (line 3 of total: `return a / b`)', the line being the learner's."""
    frame = learner_frame(error.__traceback__)
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if frame is None:  # not on a line of the learner's: say where it came from rather than quote a library's line
        where = _library(error.__traceback__)
        return (
            f"{text} (inside {where}, after your code returned: in what it returned or left behind)" if where else text
        )
    code = f": `{frame.line.strip()}`" if frame.line else ""
    return f"{text} (line {frame.lineno} of {frame.name}{code})"


def _short(value: Any) -> str:
    text = _SHORT.repr(value)
    return f"<{type(value).__name__}>" if text.startswith("<") and " at 0x" in text else text


class _Calls:
    """Wraps a learner's function to remember the last call, so feedback can name the input that broke it."""

    def __init__(self) -> None:
        self.last: str | None = None
        self.returned_none = False

    def trace(self, answer: Any) -> Any:
        if (
            not inspect.isfunction(answer)
            or inspect.iscoroutinefunction(answer)
            or inspect.isgeneratorfunction(answer)
            or inspect.isasyncgenfunction(answer)
        ):
            return answer

        @functools.wraps(answer)
        def traced(*args: Any, **kwargs: Any) -> Any:
            arguments = [*map(_short, args), *(f"{name}={_short(value)}" for name, value in kwargs.items())]
            call = f"{answer.__name__}({', '.join(arguments)})"
            self.last, self.returned_none = call, False
            try:
                result = answer(*args, **kwargs)
            except BaseException as error:
                if not hasattr(error, "course_call"):
                    try:
                        error.course_call = call  # type: ignore[attr-defined]  # any exception takes one (see below)
                    except AttributeError:  # an exception type with __slots__
                        pass
                raise
            self.returned_none = result is None
            return result

        return traced


def _called_with(error: BaseException) -> list[str]:
    call = getattr(error, "course_call", None)
    return [f"It raised when called as {call}."] if call else []


def _is_server_error(got: Any) -> bool:
    return isinstance(got, int) and 500 <= got < 600


class _ServerErrors(logging.Filter):
    """Collects the exceptions the served app logs while a check runs (uvicorn logs each one with its traceback)."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[BaseException] = []
        self.arrived = threading.Event()
        self.server_ran = False

    def filter(self, record: logging.LogRecord) -> bool:
        self.server_ran = True
        if record.exc_info and record.exc_info[1] is not None:
            self.errors.append(record.exc_info[1])
            self.arrived.set()
        return True

    def describe(self, wait: bool) -> list[str]:
        """One line per exception a route raised; wait a little when a 500 was seen but its log line is not in yet."""
        if wait and self.server_ran:
            self.arrived.wait(2.0)  # uvicorn logs the exception just after the 500 has gone out
        return [f"Your route raised {describe_error(error)}." for error in self.errors]


@contextmanager
def local_time_zone(name: str | None) -> Iterator[None]:
    """Run the block with the process's local time zone set to `name` (None: leave it as it is)."""
    if name is None:
        yield
        return
    before = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()
