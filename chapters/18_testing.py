# %% [markdown]
# # Chapter 18 — Testing
# *A test suite is worth what it catches. Break the code on purpose and see whether the tests notice.*
#
# **Learning goals**
# - write the three kinds of tests on the course's own code: **unit tests** of pure functions, **integration tests**
#   through the whole app, and **contract tests** derived from its OpenAPI document;
# - use pytest's tools: plain `assert`, **fixtures** (set-up and tear-down by name), **parametrization** (one test,
#   many cases), `pytest.raises`, and run pytest inside this notebook;
# - give every integration test a **fresh database** (a SQLite file here, a PostgreSQL schema when `DATABASE_URL` is
#   set), so tests never depend on each other's rows;
# - state a **property** and let Hypothesis look for the counterexample; run **schemathesis** over the OpenAPI;
# - measure **coverage**, and see what it cannot tell you: whether a test would fail if the code were wrong. That is
#   what **mutation testing** asks — and how both exercises of this chapter are graded.
#
# **Why it matters.** Every earlier chapter added a rule — only the owner reads a task (15), a write names the version
# it read (10), pages cover the list exactly once (06, 14). A rule without a test is a rule the next refactoring
# may drop, silently: the API still answers 200, just to the wrong person. Tests are how a team changes code on a
# Friday. But a test suite can pass for bad reasons too: it can assert nothing, or only that the happy path answers
# 200. The only way to know a test protects a rule is to break the rule and watch the test fail.

# %%
from course_lib import show_source, start_chapter, table

start_chapter(18, "Testing")

# %% [markdown]
# Tests run inside this kernel with [ipytest](https://github.com/chmp/ipytest): `ipytest.run()` hands the test
# functions and classes defined in the notebook to pytest, as if they were a test file. The options keep pytest's
# report short and the same every run, and leave out the pytest plugins other chapters installed (schemathesis, locust,
# xdist, coverage, nbval): loading them took seconds on the first run, for nothing these tests use. Hypothesis gets a
# profile for the same reason as the options: its examples derived from a fixed seed, and no example database written
# next to the notebook.

# %%
import ipytest
import pytest
from hypothesis import settings

UNUSED = ["warnings", "cacheprovider", "nbval", "schemathesis", "locust", "xdist", "xdist.looponfail", "pytest_cov"]
ipytest.autoconfig(raise_on_error=True, addopts=["-qq", "--color=no", *(f"-pno:{name}" for name in UNUSED)])
settings.register_profile("notebook", derandomize=True, database=None, deadline=None)
settings.load_profile("notebook")

# %% [markdown]
# ## Three kinds of tests
#
# | kind | what it runs | what it catches | cost |
# |---|---|---|---|
# | **unit** | one pure function, no I/O | a wrong rule in that function: a boundary, a rounding, a forgotten case | microseconds |
# | **integration** | requests through the whole app: middleware, routes, seams, a real database | rules that live between parts: ownership, preconditions, status codes, what is stored | milliseconds |
# | **contract** | requests generated from the OpenAPI document | answers the document does not allow: undocumented statuses, wrong shapes, a 500 | seconds to minutes |
#
# ```mermaid
# flowchart LR
#     U["unit tests<br/>parse_sort, last_page, cursors"] --> F["pure functions"]
#     I["integration tests<br/>TestClient + fixtures"] --> A["the app: middleware, routes, seams"]
#     A --> D[("a fresh database per test")]
#     C["contract tests<br/>schemathesis"] -->|requests from the OpenAPI| A
#     M["mutants<br/>one rule broken"] -.->|must make a test fail| I
# ```
#
# ## Unit tests: a pure function, its edges, one test for many cases
# `parse_sort` (chapter 06) reads `?sort=-created_at,title` against a whitelist. A pure function is the cheapest thing
# to test: no server, no database, just arguments and a result — or an exception.

# %%
from course_lib.web.pagination import parse_sort

show_source(parse_sort)

# %% [markdown]
# A test is a function whose name starts with `test`, grouped here in a class; pytest rewrites `assert` to show both
# sides when it fails. `@pytest.mark.parametrize` runs one test once per case, each reported on its own, and
# `pytest.raises` passes only if the block raises that exception:

# %%
from fastapi.exceptions import RequestValidationError

ALLOWED = ("created_at", "title", "done")


class TestParseSort:
    def test_keys_are_split_and_trimmed(self):
        assert parse_sort("-created_at, title", ALLOWED) == ("-created_at", "title")

    @pytest.mark.parametrize("value", ["owner", "", "-", "title,", "title,-title", "created_at;title"])
    def test_anything_outside_the_whitelist_is_refused(self, value):
        with pytest.raises(RequestValidationError):
            parse_sort(value, ALLOWED)


ipytest.run("-k", "TestParseSort")

# %% [markdown]
# Seven dots: one test, plus six cases of the other. Choose cases at the **edges** of a rule, where bugs live — the
# empty string, a lone `-`, a trailing comma, a key given twice — not ten variations of one ordinary value.
#
# ## A property: let Hypothesis find the counterexample
# Examples test the cases you thought of. A **property** states what holds for *every* input, and
# [Hypothesis](https://hypothesis.readthedocs.io/) generates hundreds of inputs looking for one that breaks it; when
# it finds one, it shrinks it to the smallest. Chapter 14's signed cursors have two properties worth stating: any
# position survives the round trip through `sign` and `open`, and a cursor opened for another list is refused.

# %%
from hypothesis import given
from hypothesis import strategies as st

from course_lib.web.cursors import CursorSigner, InvalidCursor

signer = CursorSigner("a key of 32 bytes or more, for tests only", ttl=3600)
positions = st.lists(st.integers(min_value=-(2**53), max_value=2**53), min_size=2, max_size=2)
scopes = st.text(min_size=1, max_size=40)


class TestCursorProperties:
    @settings(max_examples=50)
    @given(position=positions, scope=scopes)
    def test_a_position_survives_the_round_trip(self, position, scope):
        assert signer.open(signer.sign(position, scope), scope) == position

    @settings(max_examples=50)
    @given(position=positions, scope=scopes, other=scopes)
    def test_a_cursor_is_refused_by_any_other_list(self, position, scope, other):
        if other != scope:
            with pytest.raises(InvalidCursor):
                signer.open(signer.sign(position, scope), other)


ipytest.run("-k", "TestCursorProperties")

# %% [markdown]
# A hundred generated cases (fifty per property: `max_examples`, a hundred by default), every one passed. What does a failure look like? A property of
# a wrong function: "the last page of `total` items, `limit` a page, holds every item", on a `last_page` that divides
# rounding down. `find` searches the inputs for one that breaks the property (as `@given` does inside a test) and
# shrinks it to the smallest it can:

# %%
from hypothesis import find


def rounded_down_last_page(total: int, limit: int) -> int:
    return max(1, total // limit)


def loses_an_item(case: tuple[int, int]) -> bool:
    """The property broken: the last page ends before the last item."""
    total, limit = case
    return rounded_down_last_page(total, limit) * limit < total


total, limit = find(st.tuples(st.integers(min_value=1, max_value=10_000), st.integers(min_value=1, max_value=100)),
                    loses_an_item)
f"smallest counterexample: total={total}, limit={limit}"

# %% [markdown]
# `total=3, limit=2`: the smallest input where rounding down loses a page. Exercise 1 asks you for tests of the real
# `last_page` that would catch this bug — and five others.
#
# ## Integration tests: the whole app, a fresh database per test
# An integration test sends requests through everything a client meets. FastAPI's `TestClient` calls the app
# in-process (no socket, no port) and runs its **lifespan** when entered: the task API then creates its database, and
# when the client is closed it drops it. So a test that enters its own client starts on an **empty database** — a
# SQLite file of its own here, a PostgreSQL schema of its own when `DATABASE_URL` is set (that is how CI runs this
# notebook). Building the app takes about a tenth of a second; starting it is cheaper, so the app is built once per
# test module (`scope="module"`) and started once per test.

# %%
from course_lib.lab.suites import client_for, new_user

show_source(client_for)

# %%
show_source(new_user)

# %% [markdown]
# **Fixtures** are how pytest hands a test what it needs: a test names `client` or `ada` as a parameter, pytest calls
# the fixture of that name, and code after a fixture's `yield` runs when the test ends — pass or fail. A fixture can
# ask for other fixtures. Users are made directly in storage: no argon2 hashing per test (chapter 15's recommended cost
# is a tenth of a second, on purpose), and an API key each.

# %%
from course_lib.taskapi import latest


@pytest.fixture(scope="module")
def app():
    return latest()


@pytest.fixture
def client(app):
    with client_for(app) as client:  # started: a fresh database; at the end of the test: stopped, dropped
        yield client


@pytest.fixture
def ada(app, client):
    return new_user(app, "Ada")


@pytest.fixture
def bob(app, client):
    return new_user(app, "Bob")


# %%
class TestTasksThroughTheAPI:
    def test_a_created_task_reads_back(self, client, ada):
        created = client.post("/tasks", json={"title": "write tests"}, headers=ada)
        assert created.status_code == 201
        assert client.get(created.headers["location"], headers=ada).json()["title"] == "write tests"

    def test_each_test_starts_on_an_empty_database(self, client, ada):
        assert client.get("/tasks", headers=ada).json() == []

    def test_no_key_is_401_with_a_challenge(self, client):
        answer = client.get("/tasks")
        assert answer.status_code == 401
        assert "WWW-Authenticate" in answer.headers

    @pytest.mark.parametrize("body", [{}, {"title": ""}, {"title": "x" * 1000}, {"title": "ok", "owner_id": 2}])
    def test_a_bad_body_is_422_problem_details(self, client, ada, body):
        answer = client.post("/tasks", json=body, headers=ada)
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"


ipytest.run("-k", "TestTasksThroughTheAPI")

# %% [markdown]
# The second test would fail if the first one's task were still there: every test gets its own database. Here is
# where this kernel's test databases live:

# %%
with client_for(latest()) as probe:
    database = probe.app.context.storage.database
    print(database.where, "· dropped:", database.dropped)
print("after the test · dropped:", database.dropped)

# %% [markdown]
# ## Who tests the tests? Mutants
# Coverage (below) says which lines the tests *ran*. It cannot say whether a test would *notice* if a line were
# wrong: a test that calls everything and asserts nothing covers 100 %. **Mutation testing** asks the real
# question: make a small wrong change to the code — a **mutant** — and run the suite. If a test fails, the mutant is
# **killed**; if every test passes, it **survived**, and the suite has a hole exactly there.
#
# The course's mutants of the task API each break one rule an earlier chapter taught. Each is a chapter of its own
# on top of the latest: its `swap_seams` wraps one seam, as chapters 10, 15 and 16 did — nothing shared is edited.

# %%
from course_lib.lab.api_mutants import MUTANTS, IfMatchOnlyRequired, Switchboard

table([{"mutant": mutant.name, "what it breaks": mutant.breaks} for mutant in MUTANTS.values()])

# %%
show_source(IfMatchOnlyRequired)

# %% [markdown]
# A suite that tests only the happy path — create, read, change, delete, each answering 2xx — against the real API
# and each mutant. `collect` and `run_case` (in `course_lib/lab/suites.py`) do what pytest does for these tests, in a
# form a notebook check can call: each case with fresh fixtures.

# %%
from course_lib.lab.suites import api_fixtures, collect, run_case


class TestHappyPath:
    def test_create_read_update_delete(self, client, ada):
        created = client.post("/tasks", json={"title": "draft"}, headers=ada)
        url, etag = created.headers["location"], created.headers["etag"]
        assert client.get(url, headers=ada).status_code == 200
        assert client.patch(url, json={"done": True}, headers={**ada, "If-Match": etag}).status_code == 200
        assert client.delete(url, headers={**ada, "If-Match": "*"}).status_code == 204

    def test_a_list_has_the_tasks(self, client, ada):
        for n in range(3):
            client.post("/tasks", json={"title": f"task {n}"}, headers=ada)
        assert len(client.get("/tasks", headers=ada).json()) == 3


def kill_table(tests) -> list[dict]:
    """One row per mutant: which of the tests fail on it (killed), or none (survived)."""
    cases = collect(tests)
    real = [case.name for case in cases if not run_case(case, api_fixtures(latest())).passed]
    assert not real, f"fails on the real API: {real}"
    rows, board = [], Switchboard()  # one app holding every mutant, one switched on at a time
    for name in MUTANTS:
        board.active = name
        failed = [case.name.split("::")[-1] for case in cases if not run_case(case, api_fixtures(board.app)).passed]
        rows.append({"mutant": name, "result": "killed" if failed else "SURVIVED", "by": ", ".join(failed) or "—"})
    return rows


table(kill_table(TestHappyPath))

# %% [markdown]
# Both tests pass on the real API — and on every mutant. Nobody reads another user's task, no write sends an old
# ETag, no list is longer than one page: the suite never asks the questions the rules answer, though its requests run
# the very lines that hold the rules. Each of those rules needs a test that looks from the **other side**: Bob, not
# Ada; a second write with the first write's ETag; more tasks than fit on a page.
#
# ## Contract tests: schemathesis over the OpenAPI, and coverage
# [Schemathesis](https://schemathesis.readthedocs.io/) reads the OpenAPI document and generates requests from it —
# valid ones, which must be accepted, and invalid ones, which must be refused with a documented status — then checks
# every answer against the document: status codes, content types, response schemas, no 500. It is the course's
# `make contract` (chapter 05); here it runs small, on the operations of `/tasks/{task_id}` with three examples
# each, while a second process measures the **line coverage** of `course_lib/web/pagination.py` by its unit tests.
# Coverage runs in a fresh process: inside this kernel, `pagination` was imported before any tracer started, so its
# `def` lines would count as never run.

# %% tags=["nbval-ignore-output"]
import sys
from concurrent.futures import ThreadPoolExecutor

from tqdm import tqdm

from course_lib.lab.runs import contract_run, coverage_run

with ThreadPoolExecutor(2) as pool, tqdm(total=2, unit="run", file=sys.stdout) as progress:
    runs = [pool.submit(contract_run, latest(), paths=r"^/tasks/\{task_id\}$", max_examples=3),
            pool.submit(coverage_run, "course_lib.web.pagination", "tests/web/test_pagination.py",
                        "-k", "not served and not bounded")]
    for run in runs:
        run.add_done_callback(lambda _: progress.update())
    contract, covered = (run.result() for run in runs)
print(f"schemathesis: {contract.cases} test cases, {contract.failures} failures")
print(f"coverage of {covered.module}: {covered.percent:.0f} % of {covered.statements} statements")
assert contract.ok and contract.cases >= 8, contract.output
assert covered.passed and covered.percent > 80, covered.output

# %%
contract.failures, covered.missing_by_function()

# %% [markdown]
# No failures. The lines the unit tests never run are in `page_params` and `sort_dependency` (the FastAPI dependencies
# that read `?page=`, `?limit=` and `?sort=` from a request) and `sort_pattern` (the regex the OpenAPI states for
# `?sort=`): only building an app and serving a request runs them, so they are the integration tests' job — `make unit COVERAGE=1` prints the figure of the whole unit suite over course_lib. A figure to watch, not a goal: 100 % line
# coverage says every line ran under *some* test, not that any test checked what it did. The happy-path suite above
# runs the ownership check, the If-Match comparison and the page bound — and every mutant of them survived it.
#
# ## Try it
# - Run the full contract: `make contract` in a terminal (every operation, every phase, a thousand cases or more).
# - Remove the `if other != scope` line from the cursor property. What does Hypothesis find, and how small is it?
# - Give `TestHappyPath` one more test that kills `if_match_ignored`, and run `kill_table` again.
#
# ## Exercises

# %%
from course_lib.checks.ch18 import q1, q2
from course_lib.web.pagination import last_page

show_source(last_page)

# %% [markdown]
# **Exercise 1.** Write tests of `last_page(total, limit)` — the number of the last page of `total` items at `limit`
# a page, and 1 for an empty list — in a class `TestLastPage`. The check runs them on the real `last_page`, where
# every test must pass, and on six wrong versions of it, each of which must make at least one test fail. Call it by
# its name, `last_page(...)`: the check swaps what that name means. Examples, `parametrize`, a Hypothesis property:
# any mix that catches them all.

# %%
### BEGIN SOLUTION
class TestLastPage:
    @pytest.mark.parametrize("total, limit, last", [(0, 20, 1), (1, 20, 1), (20, 20, 1), (21, 20, 2), (40, 20, 2),
                                                    (41, 20, 3), (5, 2, 3), (4, 2, 2)])
    def test_examples(self, total, limit, last):
        assert last_page(total, limit) == last

    @given(total=st.integers(min_value=1, max_value=10_000), limit=st.integers(min_value=1, max_value=100))
    def test_the_last_page_holds_the_last_item(self, total, limit):
        last = last_page(total, limit)
        assert (last - 1) * limit < total <= last * limit
### STUB
TestLastPage = None  # YOUR CODE HERE
### END SOLUTION

# %%
q1.check(TestLastPage)

# %% [markdown]
# **Exercise 2.** Write integration tests of the task API in a class `TestTaskAPI`, using the fixtures `client`,
# `ada` and `bob` defined above (and `pytest.mark.parametrize` if you like). The check runs them on the real API —
# every test must pass, each with a fresh database — and then on the six mutants of the table above: each must make
# at least one of your tests fail. Between them, your tests must pin down three rules:
# - **ownership**: a task is its owner's alone, by id and in lists;
# - **If-Match**: a write must name the version it read, and an old version is refused;
# - **pages**: following the `Link: rel="next"` headers (`response.links["next"]["url"]`) gives every task exactly once.
#
# Run them here first with `ipytest.run("-k", "TestTaskAPI")`: a test that fails on the real API is a false alarm.

# %%
### BEGIN SOLUTION
def walk(client, url, headers):
    """The ids of every task on every page, following Link rel="next" from `url`."""
    seen = []
    while url:
        page = client.get(url, headers=headers)
        assert page.status_code == 200
        seen += [task["id"] for task in page.json()]
        url = page.links.get("next", {}).get("url")
    return seen


class TestTaskAPI:
    def test_another_users_task_is_not_found_nor_listed(self, client, ada, bob):
        url = client.post("/tasks", json={"title": "Ada's"}, headers=ada).headers["location"]
        assert client.get(url, headers=bob).status_code == 404
        assert client.get("/tasks", headers=bob).json() == []
        assert client.get(url, headers=ada).status_code == 200

    def test_a_write_with_an_old_etag_is_refused(self, client, ada):
        created = client.post("/tasks", json={"title": "v1"}, headers=ada)
        url, etag = created.headers["location"], created.headers["etag"]
        assert client.patch(url, json={"title": "v2"}, headers={**ada, "If-Match": etag}).status_code == 200
        assert client.patch(url, json={"title": "v3"}, headers={**ada, "If-Match": etag}).status_code == 412
        assert client.get(url, headers=ada).json()["title"] == "v2"

    @pytest.mark.parametrize("count, limit", [(5, 2), (4, 2)])
    def test_the_pages_hold_every_task_once(self, client, ada, count, limit):
        made = [client.post("/tasks", json={"title": f"task {n}"}, headers=ada).json()["id"] for n in range(count)]
        assert sorted(walk(client, f"/tasks?limit={limit}", ada)) == sorted(made)
### STUB
TestTaskAPI = None  # YOUR CODE HERE
### END SOLUTION

# %%
q2.check(TestTaskAPI)

# %% [markdown]
# ## Recap
# - **Unit tests** pin a pure function at its edges; `parametrize` makes each edge a case of its own.
# - A **property** (Hypothesis) states what holds for all inputs; the library hunts for the counterexample and
#   shrinks it (`total=3, limit=2`).
# - **Integration tests** go through the whole app with `TestClient`; **fixtures** give each test what it names, and a
#   started app gives each test a **fresh database** (SQLite here, a PostgreSQL schema in CI).
# - **Contract tests** (schemathesis) derive requests from the OpenAPI and hold every answer to it: 0 failures here,
#   and in `make contract` over every operation.
# - **Coverage** shows which lines ran (measure it in a fresh process); **mutants** show whether a test would notice
#   a line being wrong. A suite that only walks the happy path covers the rules and catches none of their mutants.
#
# ## Going further
# - The pytest documentation on [fixtures](https://docs.pytest.org/en/stable/how-to/fixtures.html) (scopes,
#   factories, `yield`) and [parametrize](https://docs.pytest.org/en/stable/how-to/parametrize.html).
# - Hypothesis' [stateful testing](https://hypothesis.readthedocs.io/en/latest/stateful.html): sequences of API calls
#   generated and shrunk — what schemathesis' stateful phase does with the OpenAPI's links.
# - Mutation testing tools for Python: [mutmut](https://github.com/boxed/mutmut) and
#   [cosmic-ray](https://github.com/sixty-north/cosmic-ray); the course mutates its exercise checkers the same way
#   (`tests/checks/mutants.py`).
#
# ## Where this lives in course_lib
# `course_lib/lab/suites.py` (collect and run pytest-style tests in-process; the `client_for` and `new_user` fixtures'
# parts), `course_lib/lab/api_mutants.py` (the task API's mutants, built by wrapping seams),
# `course_lib/lab/runs.py` (schemathesis on part of the OpenAPI, coverage in a fresh process),
# `course_lib/lab/conformance.py` (the full contract run), `course_lib/checks/ch18.py` (the checks).
