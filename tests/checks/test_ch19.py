"""Each checker against its stub, its solution, valid alternatives and plausible wrong workflows."""

import pytest

from course_lib.checks.ch19 import q1, q2, q3
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from tests.checks.mutants import solution_cell

WORKFLOW = """\
name: ci

on:
  push:
    branches: [main]
  pull_request:

permissions:
  contents: read

concurrency:
  group: ${{ github.workflow }}-${{ github.ref }}
  cancel-in-progress: true

jobs:
  test:
    runs-on: ubuntu-24.04
    services:
      postgres:
        image: postgres:17
        env:
          POSTGRES_PASSWORD: postgres
          POSTGRES_DB: tasks
        ports:
          - 5432:5432
        options: >-
          --health-cmd pg_isready
          --health-interval 2s
          --health-retries 10
    env:
      DATABASE_URL: postgresql://postgres:postgres@localhost:5432/tasks
    steps:
      - uses: actions/checkout@v5
      - uses: actions/setup-python@v6
        with:
          python-version: "3.12"
          cache: pip
      - run: python -m pip install -r requirements.txt
      - run: ruff check .
      - run: python -m pytest
"""


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


def message(result) -> str:
    return "\n".join(result.lines())


def test_the_chapters_solution_is_this_one_give_or_take_labels():
    source = solution_cell("ch19.q1").source
    for part in ("services:", "cancel-in-progress: true", "cache: pip", "DATABASE_URL", "--health-cmd pg_isready"):
        assert part in source


def test_q1_stub_and_solution():
    assert q1.evaluate(None).status == NOT_ATTEMPTED
    assert q1.evaluate(WORKFLOW).status == CORRECT, message(q1.evaluate(WORKFLOW))


ALTERNATIVES = {
    "a lint job of its own, actions/cache keyed on the lock file, job-level concurrency, list triggers": """\
name: ci
on: [push, pull_request]
permissions: read-all
jobs:
  lint:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v5
      - uses: actions/setup-python@v6
        with:
          python-version: "3.13"
      - uses: actions/cache@v5
        with:
          path: ~/.cache/pip
          key: pip-${{ runner.os }}-${{ hashFiles('**/requirements.txt') }}
      - run: pip install -r requirements.txt
      - run: ruff check
  test:
    runs-on: ubuntu-24.04
    concurrency:
      group: tests-${{ github.workflow }}-${{ github.head_ref || github.ref }}
      cancel-in-progress: true
    services:
      db:
        image: postgres:16-alpine
        env:
          POSTGRES_USER: app
          POSTGRES_PASSWORD: secret
        ports: ["15432:5432"]
        options: --health-cmd "pg_isready -U app" --health-interval 5s --health-retries 5
    steps:
      - uses: actions/checkout@v5
      - uses: actions/setup-python@v6
        with:
          python-version: "3.12"
      - uses: actions/cache@v5
        with:
          path: ~/.cache/pip
          key: pip-${{ hashFiles('requirements.txt') }}
      - run: python -m pip install -r requirements.txt
      - name: Tests on PostgreSQL
        env:
          DATABASE_URL: postgres://app:secret@127.0.0.1:${{ job.services.db.ports['5432'] }}/app
        run: pytest -q
""",
    "a pinned commit SHA and the URL at step level": edit(
        edit(
            WORKFLOW,
            "actions/checkout@v5",
            "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8",
        ),
        "      - run: python -m pytest\n",
        "      - run: python -m pytest\n        env:\n"
        "          DATABASE_URL: postgresql+psycopg://postgres:postgres@localhost:5432/tasks\n",
    ),
}


@pytest.mark.parametrize("name", ALTERNATIVES)
def test_q1_valid_alternatives_are_correct(name):
    result = q1.evaluate(ALTERNATIVES[name])
    assert result.status == CORRECT, message(result)


WRONG = {  # name → (workflow, words the message must contain)
    "not a workflow": ("- just\n- a list\n", "mapping"),
    "not YAML": ("on: [push\njobs:\n", "YAML"),
    "a key GitHub does not know": (edit(WORKFLOW, "    runs-on:", "    run-on:"), "schema"),
    "injection in run:": (
        edit(
            WORKFLOW,
            "      - run: ruff check .",
            '      - run: echo "${{ github.event.pull_request.title }}"\n      - run: ruff check .',
        ),
        "pasted into the script",
    ),
    "a deprecated action version": (edit(WORKFLOW, "checkout@v5", "checkout@v4"), "actionlint"),
    "on: push only": (edit(WORKFLOW, "  pull_request:\n", ""), "push only"),
    "on: pull_request only": (edit(WORKFLOW, "  push:\n    branches: [main]\n", ""), "never runs on push"),
    "push filter leaves out main": (edit(WORKFLOW, "branches: [main]", "branches: [release]"), "leaves out main"),
    "no permissions": (edit(WORKFLOW, "permissions:\n  contents: read\n", ""), "permissions"),
    "write permissions": (edit(WORKFLOW, "  contents: read\n", "  contents: write\n"), "writes nothing"),
    "an action on a branch": (edit(WORKFLOW, "setup-python@v6", "setup-python@main"), "not pinned"),
    "no concurrency": (
        edit(
            WORKFLOW,
            "concurrency:\n  group: ${{ github.workflow }}-${{ github.ref }}\n  cancel-in-progress: true\n",
            "",
        ),
        "no concurrency group",
    ),
    "no cancel-in-progress": (edit(WORKFLOW, "  cancel-in-progress: true\n", ""), "cancel-in-progress"),
    "cancel-in-progress false": (
        edit(WORKFLOW, "cancel-in-progress: true", "cancel-in-progress: false"),
        "cancel-in-progress",
    ),
    "a group per run": (edit(WORKFLOW, "${{ github.ref }}", "${{ github.run_id }}"), "never cancels"),
    "a group per sha": (edit(WORKFLOW, "${{ github.ref }}", "${{ github.sha }}"), "never cancels"),
    "one group for every branch": (edit(WORKFLOW, "-${{ github.ref }}", ""), "share one group"),
    "one group for every workflow": (edit(WORKFLOW, "${{ github.workflow }}-", ""), "another one"),
    "no service": (
        WORKFLOW[: WORKFLOW.index("    services:")] + WORKFLOW[WORKFLOW.index("    env:\n      DATABASE_URL") :],
        "no PostgreSQL service",
    ),
    "a redis service instead": (edit(WORKFLOW, "image: postgres:17", "image: redis:7"), "no PostgreSQL service"),
    "an unpinned image": (edit(WORKFLOW, "image: postgres:17", "image: postgres"), "pin the image"),
    "an unsupported PostgreSQL": (edit(WORKFLOW, "image: postgres:17", "image: postgres:12"), "not a supported"),
    "no password": (edit(WORKFLOW, "          POSTGRES_PASSWORD: postgres\n", ""), "POSTGRES_PASSWORD"),
    "no health check": (edit(WORKFLOW, "--health-cmd pg_isready", "--name db"), "health check"),
    "no published port": (edit(WORKFLOW, "        ports:\n          - 5432:5432\n", ""), "published port"),
    "the wrong env name": (edit(WORKFLOW, "      DATABASE_URL:", "      DB_URL:"), "DB_URL"),
    "no DATABASE_URL": (
        edit(WORKFLOW, "    env:\n      DATABASE_URL: postgresql://postgres:postgres@localhost:5432/tasks\n", ""),
        "no DATABASE_URL",
    ),
    "the service's name as host": (edit(WORKFLOW, "@localhost:", "@postgres:"), "localhost"),
    "another port": (edit(WORKFLOW, "localhost:5432", "localhost:5433"), "port"),
    "another password": (edit(WORKFLOW, "postgres:postgres@", "postgres:secret@"), "POSTGRES_PASSWORD"),
    "another database": (edit(WORKFLOW, "5432/tasks", "5432/postgres"), "POSTGRES_DB"),
    "not PostgreSQL": (
        edit(WORKFLOW, "postgresql://postgres:postgres@localhost:5432/tasks", "sqlite:///ci.db"),
        "PostgreSQL",
    ),
    "no cache": (edit(WORKFLOW, "          cache: pip\n", ""), "no dependency cache"),
    "a cache of another manager": (edit(WORKFLOW, "cache: pip", "cache: poetry"), "cache must be pip"),
    "a cache keyed on nothing that changes": (
        edit(WORKFLOW, "          cache: pip\n", "").replace(
            "      - run: python -m pip",
            "      - uses: actions/cache@v5\n        with:\n"
            "          path: ~/.cache/pip\n          key: pip-${{ runner.os }}\n      - run: python -m pip",
        ),
        "not keyed on the lock file",
    ),
    "a cache keyed on a file that does not exist": (
        edit(WORKFLOW, "cache: pip\n", "cache: pip\n          cache-dependency-path: requirements-dev.txt\n"),
        "no file matched",
    ),
    "no lint": (edit(WORKFLOW, "      - run: ruff check .\n", ""), "no lint step"),
    "no tests": (edit(WORKFLOW, "      - run: python -m pytest\n", ""), "no test step"),
    "no install": (edit(WORKFLOW, "      - run: python -m pip install -r requirements.txt\n", ""), "bare Python"),
    "no checkout": (edit(WORKFLOW, "      - uses: actions/checkout@v5\n", ""), "check the code out"),
    "an old Python": (edit(WORKFLOW, '"3.12"', '"3.10"'), "3.11"),
    "a test step that fails": (edit(WORKFLOW, "python -m pytest", "python -m pytest --no-such-option"), "failed"),
    "tests of another folder": (edit(WORKFLOW, "python -m pytest", "python -m pytest docs || true"), "ran no test"),
    "a lint step that fails": (edit(WORKFLOW, "ruff check .", "ruff check missing.py"), "failed"),
    "not a str": ({"on": "push"}, "str"),
}


@pytest.mark.parametrize("name", WRONG)
def test_q1_wrong_workflows_are_incorrect_with_a_precise_message(name):
    workflow, words = WRONG[name]
    result = q1.evaluate(workflow)
    assert result.status == INCORRECT, name
    assert words in message(result), message(result)


def test_q1_database_url_does_not_leak_from_this_machine(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'here.db'}")  # not PostgreSQL: no remapping to it
    assert q1.evaluate(WORKFLOW).status == CORRECT


SAFE = """\
name: greet
on: pull_request
permissions:
  contents: read
jobs:
  greet:
    runs-on: ubuntu-24.04
    steps:
      - name: Greet
        env:
          TITLE: ${{ github.event.pull_request.title }}
        run: echo "Testing $TITLE"
"""


def test_q2_stub_solution_and_alternatives():
    assert q2.evaluate(None).status == NOT_ATTEMPTED
    assert q2.evaluate(SAFE).status == CORRECT, message(q2.evaluate(SAFE))
    printf = edit(SAFE, 'echo "Testing $TITLE"', "printf 'Testing %s\\n' \"$TITLE\"")
    assert q2.evaluate(printf).status == CORRECT, message(q2.evaluate(printf))
    job_env = edit(
        edit(SAFE, "        env:\n          TITLE: ${{ github.event.pull_request.title }}\n", ""),
        "    runs-on: ubuntu-24.04\n",
        "    runs-on: ubuntu-24.04\n    env:\n      TITLE: ${{ github.event.pull_request.title }}\n",
    )
    assert q2.evaluate(job_env).status == CORRECT, message(q2.evaluate(job_env))


Q2_WRONG = {
    "the original": (
        edit(SAFE, "        env:\n          TITLE: ${{ github.event.pull_request.title }}\n", "").replace(
            "$TITLE", "${{ github.event.pull_request.title }}"
        ),
        "pasted into the script",
    ),
    "unquoted": (edit(SAFE, 'echo "Testing $TITLE"', "echo Testing $TITLE"), "quote the variable"),
    "eval": (edit(SAFE, 'echo "Testing $TITLE"', 'eval "echo \\"Testing $TITLE\\""'), "ran as code"),
    "the branch name instead": (edit(SAFE, "pull_request.title", "pull_request.head.ref"), "expected"),
    "another text": (edit(SAFE, "Testing $TITLE", "Tested $TITLE"), "expected"),
    "the wrong variable": (edit(SAFE, 'echo "Testing $TITLE"', 'echo "Testing $PR_TITLE"'), "expected"),
    "a failing step": (edit(SAFE, 'echo "Testing $TITLE"', 'echo "Testing $TITLE"; false'), "failed"),
    "the trigger dropped": (edit(SAFE, "on: pull_request", "on: push"), "pull_request"),
}


@pytest.mark.parametrize("name", Q2_WRONG)
def test_q2_wrong_steps_are_incorrect(name):
    workflow, words = Q2_WRONG[name]
    result = q2.evaluate(workflow)
    assert result.status == INCORRECT, name
    assert words in message(result), message(result)


def test_q3_stub_solution_and_alternatives():
    assert q3.evaluate(None).status == NOT_ATTEMPTED
    for group in (
        "${{ github.workflow }}-${{ github.head_ref || github.run_id }}",
        "${{ github.workflow }}-${{ github.event.pull_request.number || github.run_id }}",
        "${{ format('{0}-{1}', github.workflow, github.head_ref || github.run_id) }}",
        "${{ github.workflow }}-${{ github.event_name == 'pull_request' && github.ref || github.run_id }}",
    ):
        assert q3.evaluate(group).status == CORRECT, message(q3.evaluate(group))


Q3_WRONG = {
    "the ref: pushes to main cancel each other": ("${{ github.workflow }}-${{ github.ref }}", "two pushes to main"),
    "the head_ref alone: every push shares one group": ("${{ github.workflow }}-${{ github.head_ref }}", "pushes"),
    "no workflow": ("${{ github.head_ref || github.run_id }}", "another one"),
    "run_id always: nothing is cancelled": ("${{ github.workflow }}-${{ github.run_id }}", "different groups"),
    "the base branch": ("${{ github.workflow }}-${{ github.base_ref || github.run_id }}", "different pull requests"),
    "an unclosed expression": ("${{ github.workflow }}-${{ github.head_ref || github.run_id }", "actionlint"),
    "no expression": ("ci-main", "${{ }}"),
    "not a str": (42, "str"),
}


@pytest.mark.parametrize("name", Q3_WRONG)
def test_q3_wrong_groups_are_incorrect(name):
    group, words = Q3_WRONG[name]
    result = q3.evaluate(group)
    assert result.status == INCORRECT, name
    assert words in message(result), message(result)
