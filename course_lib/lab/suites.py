"""Run a learner's pytest-style tests in this process, each with fresh fixtures, against the real code or a mutant.

    cases = collect(TestTaskAPI)                         # a class, a function, or a list of them
    outcome = run_case(cases[0], api_fixtures(real_app()))  # passed? and if not, why, at the test's own line

What pytest does for these tests, in miniature and fast enough for a notebook check: test functions and the
`test_*` methods of `Test*` classes, `@pytest.mark.parametrize` (stacked too) and `skip` marks, Hypothesis' `@given`,
and fixtures by parameter name — each case gets its own, torn down after it. `api_fixtures(factory)` gives the
fixtures the chapter's tests use: `app`, `client` (a TestClient serving it, its lifespan run: a fresh database for
each test) and `ada`, `bob` (the X-API-Key headers of two users of that database).
"""

from __future__ import annotations

import inspect
import itertools
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from course_lib.notebook.exercises import COURSE_LIB

with warnings.catch_warnings():  # Starlette 1.10 asks for the httpx2 package; plain httpx works the same
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

Fixture = Callable[..., Any]  # a plain function or a generator (set-up, yield the value, tear-down)


@dataclass(frozen=True)
class Case:
    """One test to run: a function (or a method of a fresh instance of its class) and its parametrized arguments."""

    name: str
    function: Callable[..., Any]
    owner: type | None = None
    params: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False


@dataclass(frozen=True)
class Outcome:
    """What running one case gave: passed, or the exception and where the test raised it."""

    case: Case
    error: BaseException | None = None
    where: str = ""  # 'line 7: assert response.status_code == 404'

    @property
    def passed(self) -> bool:
        return self.error is None

    def why(self) -> str:
        """The failure in one line: the exception, and the test's line that raised it."""
        if self.error is None:
            return "passed"
        text = str(self.error).strip().splitlines()
        first = f"{type(self.error).__name__}: {text[0]}" if text else type(self.error).__name__
        return f"{first} ({self.where})" if self.where else first


def collect(answer: Any) -> list[Case]:
    """The test cases in `answer`: a test function, a Test* class, or a list/tuple/dict of them."""
    if isinstance(answer, dict):
        answer = [value for name, value in answer.items() if name.startswith(("test", "Test"))]
    if isinstance(answer, list | tuple | set):
        return [case for each in answer for case in collect(each)]
    if inspect.isclass(answer):
        class_marks = _marks(answer)
        return [
            case
            for name, method in vars(answer).items()
            if name.startswith("test") and callable(method)
            for case in _expand(f"{answer.__name__}::{name}", method, answer, class_marks)
        ]
    if callable(answer):
        return _expand(getattr(answer, "__name__", "test"), answer, None, [])
    return []


def _marks(obj: Any) -> list[Any]:
    marks = getattr(obj, "pytestmark", [])
    return list(marks) if isinstance(marks, list | tuple) else [marks]


def _expand(name: str, function: Callable[..., Any], owner: type | None, outer: list[Any]) -> list[Case]:
    """One case per combination of the function's parametrize marks (none: one case)."""
    marks = _marks(function) + outer
    skipped = any(mark.name == "skip" for mark in marks)
    axes = [_parameters(mark) for mark in marks if mark.name == "parametrize"]
    if not axes:
        return [Case(name, function, owner, {}, skipped)]
    cases = []
    for combination in itertools.product(*axes):
        params: dict[str, Any] = {}
        ids = []
        for values, label in combination:
            params.update(values)
            ids.append(label)
        cases.append(Case(f"{name}[{'-'.join(ids)}]", function, owner, params, skipped))
    return cases


def _parameters(mark: Any) -> list[tuple[dict[str, Any], str]]:
    """[(argument values, id)] of one parametrize mark."""
    names, values = mark.args[0], mark.args[1]
    names = [part.strip() for part in names.split(",")] if isinstance(names, str) else list(names)
    ids = mark.kwargs.get("ids")
    found = []
    for index, value in enumerate(values):
        if hasattr(value, "values") and hasattr(value, "marks"):  # pytest.param(...): its values, always a tuple
            value = tuple(value.values)
        elif len(names) == 1:
            value = (value,)
        label = str(ids[index]) if ids and index < len(ids) else "-".join(_label(v) for v in value)
        found.append((dict(zip(names, value, strict=False)), label))
    return found


def _label(value: Any) -> str:
    return str(value) if isinstance(value, int | float | str | bool) or value is None else "value"


def run_case(case: Case, fixtures: dict[str, Fixture]) -> Outcome:
    """Run one case with fresh fixtures (torn down afterwards); never raises (but lets KeyboardInterrupt through)."""
    with ExitStack() as stack:
        try:
            function = fresh_hypothesis(case.function)
            if case.owner is not None:
                function = function.__get__(case.owner(), case.owner)
            wanted = [name for name in inspect.signature(function).parameters if name not in case.params]
            values = _Resolver(fixtures, stack)
            arguments = {name: values.get(name) for name in wanted}
            function(**case.params, **arguments)
        except Exception as error:  # whatever the test raised: an assertion, a request error, a typo
            return Outcome(case, error, learner_line(error))
    return Outcome(case)


def fresh_hypothesis(function: Any) -> Any:
    """A Hypothesis test made again from its parts, for one run: @given binds its settings when it decorates and
    remembers the first instance that ran it (pytest's, say), so a second runner would meet the settings of that
    moment (an example database in the working folder) and a failed health check. The new one keeps the test's own
    settings but for: the same examples every run, nothing printed, no database written, no deadline."""
    handle = getattr(function, "hypothesis", None)
    if handle is None or not hasattr(handle, "_given_kwargs"):
        return function
    from hypothesis import HealthCheck, Verbosity, given, settings

    again = given(**handle._given_kwargs)(handle.inner_test)
    own = getattr(function, "_hypothesis_internal_use_settings", None) or settings.default
    return settings(
        own,
        database=None,
        derandomize=True,
        deadline=None,
        verbosity=Verbosity.quiet,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
    )(again)


@contextmanager
def substituted(cases: list[Case], name: str, module: Any, replacement: Any) -> Iterator[None]:
    """`name` means `replacement` while the block runs: in the tests' own globals (where `from module import name`
    put it) and in `module`, as unittest.mock.patch would do."""
    namespaces = [vars(module)]
    for case in cases:
        for function in _innermost(case.function):
            if name in function.__globals__ and all(function.__globals__ is not n for n in namespaces):
                namespaces.append(function.__globals__)
    saved = [(namespace, namespace[name]) for namespace in namespaces if name in namespace]
    for namespace, _ in saved:
        namespace[name] = replacement
    try:
        yield
    finally:
        for namespace, value in saved:
            namespace[name] = value


def _innermost(function: Any) -> list[Any]:
    """The function and what decorators wrapped (Hypothesis keeps the test it runs in .hypothesis.inner_test)."""
    found = []
    while function is not None and function not in found:
        found.append(function)
        inner = getattr(getattr(function, "hypothesis", None), "inner_test", None)
        function = inner or getattr(function, "__wrapped__", None)
    return [each for each in found if hasattr(each, "__globals__")]


class UnknownFixture(LookupError):
    """A test asked for a fixture that this run does not provide."""


class _Resolver:
    """Fixtures by name, each made once per case, its tear-down pushed on the case's exit stack."""

    def __init__(self, fixtures: dict[str, Fixture], stack: ExitStack) -> None:
        self.fixtures, self.stack = fixtures, stack
        self.made: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        if name not in self.made:
            if name not in self.fixtures:
                raise UnknownFixture(f"no fixture named {name!r}: the tests may ask for {', '.join(self.fixtures)}")
            factory = self.fixtures[name]
            arguments = {each: self.get(each) for each in inspect.signature(factory).parameters}
            value = factory(**arguments)
            if inspect.isgenerator(value):
                self.stack.callback(_finish, value)
                value = next(value)
            self.made[name] = value
        return self.made[name]


def _finish(generator: Iterator[Any]) -> None:
    for _ in generator:  # the code after the fixture's yield
        pass


def learner_line(error: BaseException) -> str:
    """'line N: <code>' of the innermost frame outside course_lib and the libraries: the learner's own line."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        filename = frame.filename or ""
        if filename.startswith(str(COURSE_LIB)) or "site-packages" in filename or filename.startswith("<frozen"):
            continue
        return f"line {frame.lineno}: {(frame.line or '').strip()}"
    return ""


# --- the fixtures of the task API tests --------------------------------------------------------------------------

PASSWORD_HASH = ""  # fixture users log in with their API key only; no argon2 hashing per test


def new_user(app: Any, name: str) -> dict[str, str]:
    """A user of `app` made directly in its storage (no password), and the X-API-Key header its requests carry."""
    storage = app.context.storage
    with storage.unit_of_work() as uow:
        user = uow.users.add(name, f"{name.lower()}@example.org", password_hash=PASSWORD_HASH)
        credentials = app.context.seams.credentials_at_signup(uow, user)
        uow.commit()
    return {"X-API-Key": credentials["api_key"]}


@contextmanager
def client_for(app: Any) -> Iterator[TestClient]:
    """A TestClient on `app`, its lifespan run (started on entry, stopped on exit)."""
    with TestClient(app, base_url="http://testserver") as client:
        yield client


REQUEST_BUDGET = 250  # requests one test may send: a loop that never ends on a broken API (a next link that always
# points back) must end as a failed test, not hang the check. A test paging through 101 tasks one page at a time sends
# about 110; at 1,000, three looping tests of one suite took minutes on the finished API (every request traced).


class OverBudget(RuntimeError):
    """A test sent more requests than REQUEST_BUDGET: it would not have finished on this API."""


def budgeted(client: TestClient, budget: int | None = None) -> TestClient:
    """`client`, refusing (OverBudget) any request beyond the first `budget` (REQUEST_BUDGET)."""
    sent, budget = itertools.count(1), budget or REQUEST_BUDGET

    def count(request: Any) -> None:
        if next(sent) > budget:
            raise OverBudget(f"more than {budget} requests: the test would not have finished (a loop that never ends?)")

    client.event_hooks["request"].append(count)
    return client


def api_fixtures(app: Any) -> dict[str, Fixture]:
    """app, client, ada and bob: `app`, a TestClient serving it (a fresh database for each test: a served app of its
    own creates its database when it starts and drops it when it stops), and two users' headers."""

    def app_() -> Any:
        return app

    def client(app: Any) -> Iterator[TestClient]:
        with client_for(app) as client:
            yield budgeted(client)

    def ada(app: Any, client: TestClient) -> dict[str, str]:
        return new_user(app, "Ada")

    def bob(app: Any, client: TestClient) -> dict[str, str]:
        return new_user(app, "Bob")

    return {"app": app_, "client": client, "ada": ada, "bob": bob}
