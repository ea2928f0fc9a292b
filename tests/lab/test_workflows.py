"""Workflows read, checked and run here: YAML as GitHub reads it, actionlint, the schema, expressions, run: steps."""

from pathlib import Path

import pytest

from course_lib.lab import workflows
from course_lib.lab.workflows import (
    PUSH,
    SAMPLE_PROJECT,
    Event,
    ExpressionError,
    WorkflowError,
    actionlint,
    evaluate,
    parse,
    run_steps,
    schema_errors,
    service_ports,
    substitute,
    triggers,
)

ROOT = Path(__file__).resolve().parents[2]

STEPS = """\
name: steps
on: push
env:
  GREETING: hello
jobs:
  one:
    runs-on: ubuntu-24.04
    env:
      WHO: ${{ github.ref_name }}
    steps:
      - uses: actions/checkout@v5
      - name: greet
        run: echo "$GREETING $WHO from ${{ github.event_name }}"
      - name: skipped by its condition
        if: github.event_name == 'pull_request'
        run: echo never
      - name: fails
        run: |
          echo before
          false
          echo after
      - name: after a failure
        run: echo not run
      - name: always
        if: always()
        run: echo cleanup
"""


def test_on_is_a_key_and_ports_are_strings_as_github_reads_them():
    data = parse("on: push\nports: [22:22, 5432:5432]\nflag: yes\nok: true\nn: 010\n")
    assert data == {"on": "push", "ports": ["22:22", "5432:5432"], "flag": "yes", "ok": True, "n": 10}


def test_parse_refuses_what_is_not_a_mapping():
    with pytest.raises(WorkflowError, match="mapping"):
        parse("- a\n- b\n")
    with pytest.raises(WorkflowError, match="YAML"):
        parse("on: [push\n")


def test_triggers_in_their_three_forms():
    assert triggers({"on": "push"}) == {"push": None}
    assert triggers({"on": ["push", "pull_request"]}) == {"push": None, "pull_request": None}
    assert triggers({"on": {"push": {"branches": ["main"]}}}) == {"push": {"branches": ["main"]}}
    assert triggers({}) == {}


def test_actionlint_finds_old_actions_and_injection_and_accepts_the_courses_workflow():
    findings = actionlint(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    assert [(f.line, f.kind) for f in findings] == [(6, "action"), (7, "expression")]
    assert "potentially untrusted" in str(findings[1])
    assert actionlint((ROOT / ".github/workflows/test.yml").read_text()) == []


def test_the_schema_accepts_the_courses_workflow_and_names_where_another_breaks():
    assert schema_errors((ROOT / ".github/workflows/test.yml").read_text()) == []
    errors = schema_errors("on: push\njobs:\n  a:\n    run-on: ubuntu-24.04\n    steps: []\n")
    assert errors and errors[0].startswith("jobs.a")


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("github.event_name", "push"),
        ("github.head_ref || github.ref", "refs/heads/main"),
        ("github.event_name == 'PUSH'", True),  # strings compare ignoring case
        ("github.event_name != 'push' && 'x'", False),
        ("!github.head_ref", True),
        ("format('{0}-{1}', github.workflow, github.ref_name)", "ci-main"),
        ("format('{{{0}}}', 1)", "{1}"),
        ("contains(fromJSON('[\"a\", \"b\"]'), 'B')", True),
        ("startsWith(github.ref, 'refs/heads/')", True),
        ("github['ref_name']", "main"),
        ("matrix.python", None),
        ("1 < 2", True),
        ("(1 == 1) && 'yes' || 'no'", "yes"),
        ("github.event.repository.full_name", "you/tasks"),
        ("toJSON(1)", "1"),
        ("join(fromJSON('[1, 2]'), '+')", "1+2"),
    ],
)
def test_expressions_evaluate_as_on_github(expression, value):
    assert evaluate(expression, {"github": PUSH.github(), "matrix": {}}) == value


def test_expressions_that_cannot_be_read_raise():
    with pytest.raises(ExpressionError):
        evaluate("github.ref ==", {"github": {}})
    with pytest.raises(ExpressionError):
        evaluate("nosuch(1)", {})


def test_substitute_and_a_pull_requests_context():
    event = Event("pull_request", "feature", 7, title="T")
    github = event.github()
    assert github["ref"] == "refs/pull/7/merge" and github["head_ref"] == "feature"
    assert github["event"]["pull_request"]["title"] == "T"
    assert (
        substitute("${{ github.event.pull_request.number }}:${{ github.head_ref }}!", {"github": github})
        == "7:feature!"
    )
    assert substitute("${{ true }} ${{ null }}", {}) == "true "


def test_hash_files_follows_the_files(tmp_path):
    (tmp_path / "requirements.txt").write_text("a==1\n")
    before = evaluate("hashFiles('**/requirements.txt')", {}, tmp_path)
    (tmp_path / "requirements.txt").write_text("a==2\n")
    assert before and evaluate("hashFiles('**/requirements.txt')", {}, tmp_path) not in ("", before)
    assert evaluate("hashFiles('nothing.txt')", {}, tmp_path) == ""


def test_service_ports():
    assert service_ports({"ports": ["5432:5432", "15432:5433", 6379]}) == {
        "5432": "5432",
        "5433": "15432",
        "6379": "6379",
    }


def test_run_steps_skips_actions_substitutes_stops_at_a_failure_and_honours_if():
    run = run_steps(STEPS)
    outcomes = [(step.name, step.outcome) for step in run.steps]
    assert outcomes == [
        ("Run actions/checkout@v5", "skipped"),
        ("greet", "passed"),
        ("skipped by its condition", "skipped"),
        ("fails", "failed"),
        ("after a failure", "skipped"),
        ("always", "passed"),
    ]
    assert run.steps[1].output == "hello main from push\n"
    assert run.steps[3].output == "before\n" and run.steps[3].returncode == 1  # bash -e stops at `false`
    assert run.failed is run.steps[3] and not run.passed
    assert "fails" in repr(run) and "exit 1" in repr(run)


def test_a_step_sees_only_the_environment_the_workflow_gives(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://leaked@127.0.0.1/x")
    monkeypatch.setenv("REDIS_URL", "redis://leaked")
    run = run_steps(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        '      - run: echo "[${DATABASE_URL:-}][${REDIS_URL:-}][$CI][$PIP_DRY_RUN]"\n'
        '      - run: test "$PWD" = "$GITHUB_WORKSPACE"\n'
    )
    assert run.passed, run
    assert run.steps[0].output == "[][][true][1]\n"


def test_pip_install_changes_nothing_here():
    run = run_steps(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: pip install -q six==1.0.0\n"
    )
    assert run.failed is not None  # offline and a dry run: never installed into this venv


def test_a_postgres_service_is_remapped_to_this_machines_database(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    workflow = (
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    services:\n      pg:\n        image: postgres:17\n"
        "        ports: ['5433:5432']\n      cache:\n        image: redis:7\n    env:\n"
        "      DATABASE_URL: postgresql://u:p@localhost:${{ job.services.pg.ports[5432] }}/db\n"
        "      OTHER: postgresql://u:p@db.example.org/db\n    steps:\n"
        '      - run: echo "$DATABASE_URL $OTHER"\n'
    )
    run = run_steps(workflow)
    assert run.passed, run
    url, other = run.steps[-1].output.split()
    assert url.startswith("sqlite:///") and url.endswith("/ci.db")
    assert other == "postgresql://u:p@db.example.org/db"  # not the service: left alone
    assert run.remapped == ["DATABASE_URL: postgresql://u:p@localhost:5433/db → this machine's database"]
    assert "embedded SQLite" in run.remapped_to
    assert ("service cache", "skipped") in [(step.name, step.outcome) for step in run.steps]


def test_with_database_url_set_the_service_is_that_postgresql(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/course")
    workflow = (
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    services:\n      postgres:\n"
        "        image: postgres:17\n    env:\n      DATABASE_URL: postgresql://postgres:x@postgres:5432/postgres\n"
        '    steps:\n      - run: echo "$DATABASE_URL"\n'
    )
    assert run_steps(workflow).steps[-1].output == "postgresql+psycopg://postgres@127.0.0.1:1/course\n"


def test_the_sample_project_passes_its_own_checks_in_a_scratch_clone():
    run = run_steps(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: ruff check .\n"
        "      - run: DATABASE_URL=sqlite:///ci.db python -m pytest\n"
    )
    assert run.passed, run
    assert "2 passed" in run.steps[-1].output
    assert not (SAMPLE_PROJECT / "ci.db").exists()  # the scratch clone went, the project is untouched


def test_the_samples_lock_file_pins_the_courses_versions():
    constraints = {
        line.split("==")[0].lower(): line.split("==")[1]
        for line in (ROOT / "constraints.txt").read_text().split()
        if "==" in line
    }
    for line in (SAMPLE_PROJECT / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            assert constraints[name.split("[")[0].lower()] == version, line


def test_a_step_that_hangs_is_stopped():
    run = run_steps("on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: sleep 5\n", timeout=0.5)
    assert run.failed is not None and "timed out" in run.failed.output


def test_matrix_takes_the_first_combination():
    job = {"strategy": {"matrix": {"python": ["3.11", "3.12"], "include": [{"python": "3.13"}]}}}
    assert workflows.matrix_first(job) == {"python": "3.11"}


@pytest.mark.parametrize(
    ("shell_lines", "outcome"),
    [
        ("", "passed"),  # GitHub's `bash -e {0}`: the pipe's status is the last command's
        ("    defaults:\n      run:\n        shell: bash\n", "failed"),  # `shell: bash` adds -o pipefail
    ],
)
def test_a_failing_command_left_of_a_pipe_fails_the_step_only_under_shell_bash(shell_lines, outcome):
    workflow = (
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n" + shell_lines + "    steps:\n      - run: false | cat\n"
    )
    assert run_steps(workflow).steps[-1].outcome == outcome


def test_a_shell_that_does_not_run_here_fails_the_step_and_says_so():
    step = run_steps(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: 1\n        shell: pwsh\n"
    )
    assert step.steps[-1].outcome == "failed" and "pwsh" in step.steps[-1].note
