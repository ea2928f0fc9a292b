# %% [markdown]
# # Chapter 19 — CI
# *Every push tested on a clean machine, the same way every time — and the workflow that does it checked like code.*
#
# **Learning goals**
# - read a GitHub Actions **workflow**: triggers, jobs, runners, steps that `uses:` an action or `run:` a script;
# - check a workflow before pushing it: **actionlint** and GitHub's **workflow schema**, offline;
# - run a workflow's `run:` steps **here**, in a scratch clone, the way a runner would: expressions substituted,
#   actions skipped, a PostgreSQL **service container** remapped to this machine's database;
# - give tests a real database in CI (a service with a **health check** and a published port, `DATABASE_URL`), cache
#   dependencies **keyed on the lock file**, and **cancel superseded runs** with a concurrency group;
# - keep untrusted input (a pull request's title) **out of the script**: script injection shown, then prevented;
# - read the course's own CI (`.github/workflows/test.yml`, `.ci/run`) and run a quick part of it as CI runs it;
#   see how the course tests itself: nbval, cumulative API tests, mutation-tested checks.
#
# **Why it matters.** Chapter 18 wrote the tests; nothing yet makes anyone run them. Continuous integration runs them
# on every push and every pull request, on a machine that has nothing but what the repository declares — so "works on
# my laptop" stops being evidence, and a pull request shows its result before anyone merges it. The workflow that does
# this is code too: it can be wrong (a missing service, a trigger that never fires, a cache that never expires) and it
# can be dangerous (a step that runs a stranger's text as a shell script, with your repository's token in reach).

# %%
from course_lib import show_source, start_chapter, table
from course_lib.notebook.source import show_file

start_chapter(19, "CI")

# %% [markdown]
# This chapter adds nothing to the task API: it tests it. The database line above is where this chapter's scratch
# runs send a workflow's PostgreSQL service — the embedded SQLite, or the PostgreSQL that `DATABASE_URL` names.
#
# ## The roadmap's minimal workflow
# A **workflow** is a YAML file in `.github/workflows/`. `on:` says which events start a **run**; each **job** runs on
# a fresh virtual machine (`runs-on`), its **steps** in order: a step either `uses:` an action (a published program:
# check out the code, install a Python) or `run:`s a shell script. A step that exits non-zero fails the job, and the
# pull request shows a red cross. The roadmap's minimal workflow:

# %%
MINIMAL = """\
name: CI
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install -r requirements.txt
      - run: pytest
"""

# %% [markdown]
# Before pushing a workflow, check it. Two checkers run offline here. **actionlint** knows the workflow syntax, the
# expressions, the popular actions' inputs and versions; GitHub's **workflow schema** (the JSON schema editors and
# `check-jsonschema` use) says which keys may appear where:

# %%
from course_lib.lab.workflows import actionlint, schema_errors

schema_errors(MINIMAL), [str(finding) for finding in actionlint(MINIMAL)]

# %% [markdown]
# The schema is satisfied, but actionlint is not: the two actions are versions that run on Node 20, whose removal
# from GitHub's runners was scheduled for September 2026 (the date actionlint prints) — a workflow copied from a
# tutorial ages. The fix is the current major versions, `actions/checkout@v5`
# and `actions/setup-python@v6`. A version is a **pin**: `@v5` moves only within major version 5 (a commit SHA
# does not move at all); `@main` would run whatever the action's authors pushed last.
#
# ## Running the steps here
# A workflow that passes both checkers can still fail on GitHub: a command that does not exist, a test that needs
# something the runner lacks. You can find that out here, without pushing: `run_steps` runs a workflow's `run:` steps
# in a **scratch clone** of a project (a fresh copy of its files in a temporary folder, as a checkout gives a runner),
# as a runner would. It substitutes the `${{ }}` expressions (with the `github`
# context of a push to `main`, or of a pull request), skips the `uses:` steps (the clone is the checkout; this
# kernel's Python is the set-up one), runs each script as GitHub does (`bash -e`; with `-o pipefail` too when the
# workflow says `shell: bash`), and stops
# the job at the first failing step. It never changes your environment: `pip install` resolves against this kernel's
# packages and installs nothing (a dry run, offline), and the machine's own `DATABASE_URL` does not leak in — a step
# sees only what the workflow gives it:

# %%
from course_lib.lab import workflows

show_source(workflows._clean_environment)

# %% [markdown]
# The project is the course's **sample project**, a tiny task API with two tests (`course_lib/lab/ci_sample`): its
# `requirements.txt` is its lock file (exact versions), its tests need a database, named by `DATABASE_URL`:

# %%
show_file("course_lib/lab/ci_sample/tests/test_app.py", start="@pytest.fixture", end="transaction.rollback()")

# %%
from course_lib.lab.workflows import run_steps

minimal = run_steps(MINIMAL, progress=print)  # a line per step as it starts: the run takes a few seconds
table(minimal.rows())

# %%
sorted({line for line in minimal.failed.output.splitlines() if line.startswith("DATABASE_URL")})

# %% [markdown]
# The install passed; the tests did not — there is no database on a fresh runner. That is exactly what GitHub would
# have shown after a push, found here without one.
#
# ## A database in CI: service containers
# A job can start **service containers** beside it: `services: postgres: image: postgres:17` runs PostgreSQL for the
# job's lifetime, a clean database per run. Four details decide whether the tests reach it:
#
# | part | why |
# |---|---|
# | `env: POSTGRES_PASSWORD` | the official image refuses to start without it (`POSTGRES_DB` names the database it creates, else the user's) |
# | `ports: ["5432:5432"]` | the steps run on the runner, not in a container: they reach the service on `localhost` through a published port |
# | `options: --health-cmd pg_isready …` | the runner waits for a service only when it has a health check; without one, the tests may start before PostgreSQL accepts connections |
# | `DATABASE_URL` in `env:` | the URL the tests read: `postgresql://postgres:<password>@localhost:5432/<database>`, reaching the test step (workflow, job or step level) |
#
# ```mermaid
# flowchart LR
#     E[push or pull request] --> R[workflow run] --> J[job on a fresh runner]
#     J --> S1[checkout] --> S2[setup-python with a pip cache] --> S3[pip install -r requirements.txt]
#     S3 --> S4[ruff check] --> S5[pytest]
#     P[(PostgreSQL service container)] -. published port once healthy .-> S5
# ```
#
# Here there is no Docker, so `run_steps` **remaps** the service: a URL in the workflow's `env:` that points at a
# PostgreSQL service (on `localhost`, or the service's name) is replaced by this machine's database — the embedded
# SQLite by default, the PostgreSQL that `DATABASE_URL` names when it is set — and the run says what it remapped.
#
# ## A dependency cache, keyed on the lock file
# Every run starts on an empty machine and downloads every package again. `actions/setup-python` with `cache: pip`
# keeps pip's download cache between runs, under a key made from a hash of the dependency files
# (`cache-dependency-path`, `**/requirements.txt` by default). The key is what makes a cache safe: when
# `requirements.txt` changes, the key changes and the old cache is not restored (an `actions/cache` step does the same
# with `key: pip-${{ hashFiles('requirements.txt') }}`). A key that never changes restores yesterday's packages.
#
# ## Cancel superseded runs
# Push three commits in a minute and three runs start; only the last one's result matters. A **concurrency group**
# names the runs that exclude each other, and `cancel-in-progress: true` cancels the older one when a newer one
# arrives (without it, the newer one waits, and a run still pending in the group is cancelled by the next). Groups are repository-wide, so the group must contain what makes runs
# interchangeable — the workflow and the ref — and nothing that differs per run:

# %%
from course_lib.lab.workflows import Event, substitute

GROUP = "${{ github.workflow }}-${{ github.ref }}"
runs = {"push to main": Event("push", "main"), "push to main, again": Event("push", "main", run_id=1002),
        "push to feature": Event("push", "feature"), "pull request 7": Event("pull_request", "feature", 7),
        "pull request 7, again": Event("pull_request", "feature", 7, run_id=1003)}
table([{"run": name, "group": substitute(GROUP, {"github": event.github()})} for name, event in runs.items()])

# %% [markdown]
# Two pushes to `main` share a group, so the second cancels the first; a pull request's pushes share theirs
# (`refs/pull/7/merge`); different branches never cancel each other. With `${{ github.run_id }}` in the group every
# run would be alone in its group and nothing would ever be cancelled.
#
# ## Untrusted input: script injection
# `${{ }}` is substituted into a `run:` script **before bash reads it**. When the value comes from whoever opened a
# pull request — its title, its branch name, a comment — that person writes part of your script. This workflow greets
# each pull request:

# %%
GREET = """\
name: greet
on: pull_request
permissions:
  contents: read
jobs:
  greet:
    runs-on: ubuntu-24.04
    steps:
      - name: Greet
        run: echo "Testing ${{ github.event.pull_request.title }}"
"""
[str(finding) for finding in actionlint(GREET)]

# %% [markdown]
# actionlint warns. Here is why — a pull request titled `"; echo INJECTED; echo "`, run as GitHub would run it:

# %%
hostile = Event("pull_request", "feature", 7, title='"; echo INJECTED; echo "', workflow="greet")
run_steps(GREET, event=hostile).steps[0].output.splitlines()

# %% [markdown]
# The title closed the quotes and ran a command of its author's. `echo INJECTED` is harmless; `curl … | sh` with the
# job's `GITHUB_TOKEN` in the environment is not. The fix is to keep the text out of the script: pass it in `env:`,
# read it as a quoted variable. bash expands a variable once and never parses its value — exercise 2.
#
# ## The course's own CI
# The course runs one workflow, `.github/workflows/test.yml`:

# %%
show_file(".github/workflows/test.yml", highlight_text=("concurrency", "cancel-in-progress", "matrix", "bash .ci/run"))

# %% [markdown]
# Read it top down: it runs on pushes to `main` and on pull requests; the token may only read (`permissions`); a new
# push cancels its ref's run in progress; a **matrix** starts one job per supported Python (3.11 to 3.14), and
# `fail-fast: false` lets the others finish when one fails, so a failure on 3.14 alone is visible as such. The job has
# a single `run:` step: everything else lives in **`.ci/run`**, a bash script that a maintainer can run on any Linux
# machine — the YAML stays thin, and CI is not a thing only GitHub can do. So it has no service containers either:
# the script installs redis-server, PostgreSQL and nginx and starts them on loopback itself, which works the same on
# a runner and on a maintainer's Linux box, then runs the README's test command (`make test`), and then its unit tests
# and solved notebooks again on the real services:

# %%
show_file(".ci/run", highlight_text=("log ",))

# %% [markdown]
# Each `log "…"` line starts a **stage**; on exit, a table says how long each took — the stages live in
# `.ci/stages.sh`, sourced by the script:

# %%
show_file(".ci/stages.sh", start="log()", end="trap")

# %% [markdown]
# The whole run takes tens of minutes: `make test` (lint, every notebook under nbval, every unit test, on SQLite and
# fakeredis), the unit tests and solved notebooks again on PostgreSQL and redis-server, and `make e2e` (JupyterLab in
# a headless browser). Here is a quick, real part of it, run the same way — `.ci/stages.sh` sourced, one stage per check — the lint of `make lint`, the
# workflow's own checks, and the repository tests that guard the workflow (in the pass CI runs):

# %% tags=["nbval-ignore-output"]
import subprocess
import sys
from pathlib import Path

from course_lib.notebook.source import REPOSITORY

BIN = Path(sys.executable).parent
QUICK_CI = f"""
set -euo pipefail
source .ci/stages.sh
log "ruff check course_lib tools tests (make lint)"
{BIN}/ruff check -q course_lib tools tests
log "actionlint .github/workflows/test.yml"
{BIN}/actionlint -shellcheck= .github/workflows/test.yml
log "pytest tests/test_repository.py -k workflow (the workflow's own tests)"
PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {BIN}/python -m pytest -q -p no:cacheprovider tests/test_repository.py -k workflow
"""
with subprocess.Popen(["bash", "-c", QUICK_CI], cwd=REPOSITORY, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                      text=True) as quick:
    output = []
    for line in quick.stdout:  # each stage's name as it starts, then the table at the end
        output.append(line)
        if line.startswith("=== "):
            print(line.strip(), flush=True)
output = "".join(output)
print(output[output.index("stage "):])
assert quick.returncode == 0, output

# %% [markdown]
# (The seconds are this machine's, rounded to whole seconds: these stages take a few seconds in all.) The table a
# full run prints at its end has the same form, one row per `log` line of `.ci/run` — installing, starting each
# service, the two `make test` passes and `make e2e` — and it names the stage that failed.

# %%
[row[:78].rstrip() for row in output[output.index("stage "):].splitlines()[1:]]

# %% [markdown]
# ## How the course tests itself
# A course is software, and its CI tests three things:
#
# - **The notebooks run and say what they said.** nbval executes every learner and solved notebook and compares
#   each cell's outputs with the committed ones; a regex file (`tests/nbval_sanitize.cfg`) replaces what changes per
#   run — ports, ids, temporary paths — and a cell whose numbers depend on the machine is tagged
#   `nbval-ignore-output`, its assertions still run (the stage table above is one). `tools.nbtool check` fails when a
#   committed notebook is stale against its source in `chapters/`.
# - **What a chapter taught still holds later.** Each chapter's behaviour tests are parametrized with
#   `chapters_from(N)`: they run on chapter N's app and on the latest one, and in CI's first pass
#   (`COURSE_EVERY_CHAPTER=1`) on every chapter in between — a later chapter cannot quietly break an earlier lesson.
# - **The checks can fail.** Each exercise's checker is tested against its stub, its solution, valid alternatives and
#   plausible wrong answers, then **mutation-tested**: the solution is mutated (comparisons flipped, constants ±1,
#   statements removed, a key of a YAML answer dropped…) and every mutant that changes behaviour must be Incorrect.
#   This chapter's first check has 73 mutants of its solution: 57 are Incorrect, and each of the 16 that pass is
#   listed with the reason it is right too (a step's name is a label; `ruff check` without a path checks `.`).
#
# A check says what failed and what it expected. Given the roadmap's minimal workflow, exercise 1's check answers:

# %%
from course_lib.checks.ch19 import q1

q1.evaluate(MINIMAL)

# %% [markdown]
# And the function that gives each held-over API test its chapters — the one it was taught in, and the latest:

# %%
show_file("tests/taskapi/conftest.py", start="def chapters_from", end="return numbers if EVERY_CHAPTER")

# %% [markdown]
# ## Try it
# - Set a real PostgreSQL in `DATABASE_URL`, restart the kernel and run the sample again: the remapped service is now a
#   PostgreSQL database, and the tests run on it (each in a transaction rolled back at the end).
# - Replace `${{ github.ref }}` with `${{ github.sha }}` in the concurrency group above: which runs cancel which now?
# - Remove `set -euo pipefail` from `QUICK_CI` and make the actionlint stage fail (`.github/workflows/nope.yml`): what
#   does the stage table say, and what would CI have reported?

# %% [markdown]
# ## Exercises

# %%
from course_lib.checks.ch19 import q1, q2, q3

# %% [markdown]
# **Exercise 1.** Write the workflow of the sample project (`course_lib/lab/ci_sample`), as a YAML text `workflow`.
# It must:
# - run on every push to `main` and on every pull request;
# - cancel a run in progress when a newer one starts for the same branch or pull request (never another branch's,
#   another pull request's or another workflow's);
# - lint with `ruff check .` and test with `python -m pytest`, after `python -m pip install -r requirements.txt`;
# - give the tests a PostgreSQL **service container** (a pinned `postgres` image, a password, a health check, a
#   published port) and its URL in `DATABASE_URL`;
# - cache pip's downloads, keyed on `requirements.txt`;
# - check the code out and set up a Python the sample supports (3.11 or later), with pinned action versions that
#   actionlint accepts;
# - give the job's token read access to the code and nothing more.
#
# The check reads it as GitHub would (the schema, actionlint), checks each of these parts, then runs its `run:` steps
# in a scratch clone of the sample project — your PostgreSQL service remapped to this machine's database — and they
# must pass.

# %%
### BEGIN SOLUTION
workflow = """\
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
    timeout-minutes: 15
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
          --health-timeout 5s
          --health-retries 10
    env:
      DATABASE_URL: postgresql://postgres:postgres@localhost:5432/tasks
    steps:
      - uses: actions/checkout@v5
      - uses: actions/setup-python@v6
        with:
          python-version: "3.12"
          cache: pip
          cache-dependency-path: requirements.txt
      - name: Install
        run: python -m pip install -r requirements.txt
      - name: Lint
        run: ruff check .
      - name: Test
        run: python -m pytest
"""
### STUB
workflow = None  # YOUR WORKFLOW HERE: a YAML text, """name: ... """
### END SOLUTION

# %%
q1.check(workflow)

# %% [markdown]
# **Exercise 2.** Fix `GREET`: write `safe_greet`, the same workflow with the pull request's title passed to the
# step through `env:`, so that the step prints `Testing <title>` exactly — whatever the title holds: quotes, `$( )`,
# backquotes, two spaces, a `*`. The check runs your step with such titles.

# %%
### BEGIN SOLUTION
safe_greet = """\
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
### STUB
safe_greet = None  # YOUR CODE HERE: GREET, fixed
### END SOLUTION

# %%
q2.check(safe_greet)

# %% [markdown]
# **Exercise 3.** Another team deploys every commit of `main`, so each push's run must finish — but a pull request's
# superseded runs should still be cancelled. Write `group`, the concurrency group (with `cancel-in-progress: true`)
# that cancels a run of a pull request when a newer push to that pull request starts, and never cancels a run of a
# push (to `main` or any branch), nor a run of another pull request or another workflow. `github.head_ref` is the
# pull request's branch — and empty for a push; `github.run_id` is unique per run.

# %%
### BEGIN SOLUTION
group = "${{ github.workflow }}-${{ github.head_ref || github.run_id }}"
### STUB
group = None  # YOUR CODE HERE: "${{ ... }}"
### END SOLUTION

# %%
q3.check(group)

# %% [markdown]
# ## Recap
# - A workflow is code: check it before pushing — **actionlint** (syntax, expressions, action versions, injection)
#   and the **workflow schema** — and run its `run:` steps locally in a scratch clone before GitHub does.
# - Tests get a real database from a **service container**: a pinned image, a password, a **health check** (or the
#   tests start first), a **published port** on `localhost`, and its URL in `DATABASE_URL`.
# - A **dependency cache** is keyed on the lock file, so a changed `requirements.txt` is never served stale packages.
# - A **concurrency group** of workflow + ref with `cancel-in-progress: true` cancels superseded runs and nothing else;
#   `head_ref || run_id` limits it to pull requests.
# - Actions are **pinned** (a major version, or a commit SHA); triggers cover **push and pull_request**.
# - `${{ }}` is pasted into a script before bash reads it: untrusted text goes through `env:` and a quoted variable.
# - The course's CI is a thin workflow over `.ci/run`: real services on loopback, `make test` then a second pass on the real services, stages timed;
#   the course tests itself with nbval, cumulative API tests and mutation-tested checks.
#
# ## Going further
# - GitHub Docs: [workflow syntax](https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax),
#   [service containers](https://docs.github.com/en/actions/tutorials/use-containerized-services),
#   [concurrency](https://docs.github.com/en/actions/how-tos/write-workflows/choose-when-workflows-run/control-workflow-concurrency),
#   [secure use: script injection](https://docs.github.com/en/actions/reference/security/secure-use).
# - [actionlint](https://github.com/rhysd/actionlint) (its checks, and `-shellcheck` for the scripts inside `run:`);
#   [act](https://github.com/nektos/act) runs whole workflows locally in Docker.
# - Pin actions by commit SHA and let Dependabot or Renovate bump them; `permissions:` as narrow as each job needs;
#   `pull_request_target` and `workflow_run` run with secrets on a fork's events — read their security notes first.
#
# ## Where this lives in course_lib
# `course_lib/lab/workflows.py` (actionlint, the schema, expressions, `run_steps` with the services remapped),
# `course_lib/lab/ci_sample/` (the sample project), `course_lib/checks/ch19.py` (the checks),
# `course_lib/notebook/source.py` (`show_file`); the course's own CI: `.github/workflows/test.yml`, `.ci/run`,
# `.ci/stages.sh`.
