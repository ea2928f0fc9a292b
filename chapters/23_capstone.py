# %% [markdown]
# # Chapter 23 — Capstone
# *A checklist you tick by hand is a wish. Each item here is a check a machine runs against your app, and a
# scorecard that names the request that failed.*
#
# **Learning goals**
# - walk the roadmap's final checklist — **resource and contract, invariants, authn/authz, where truth lives, scale,
#   test and deploy, observe** — and name the automated check that backs each item;
# - run the course's **acceptance suite** against any app factory (`module:function`), in a process of its own, and
#   read its **scorecard**: each check, pass or fail, its figure, and for a failure the request and what was expected;
# - see the suite give the finished API **full marks** and catch a deliberately broken one;
# - grade **your own app**, write the **environment a replica deploys with**, and turn a scorecard into a verdict
#   per checklist item.
#
# **Why it matters.** Twenty-two chapters each taught one property of a backend, and each checked it on that
# chapter's app. A real service must hold all of them at once, after every change, on an app nobody in the course
# wrote: yours. The acceptance suite speaks HTTP only, so it judges any implementation of the task API — the
# reference, a broken copy, or the one you built.

# %%
from course_lib import serve, show_source, start_chapter, table

start_chapter(23, "Capstone")

# %% [markdown]
# ## The checklist, and what backs each item
# Each acceptance check (`tests/acceptance/checks.py`) has a number; each checklist item is backed by the checks
# that judge it over HTTP:

# %%
from course_lib.lab.capstone import CHECKLIST, SLOW

WHAT = {
    1: "schemathesis: every operation of the OpenAPI, fuzzed and chained, answers as documented",
    2: "another user's task or job → 404, as a missing one; lists never show others' rows",
    3: "member → 403 on admin operations; no credentials → 401",
    4: "forged, expired, alg=none, wrong-key tokens → 401",
    5: "argon2id at a real cost; an unknown user and a wrong password answer alike",
    6: "server-owned fields in a body are refused or ignored; no password hash in any answer",
    7: "out-of-bounds limits, sizes and lengths → 422/413, nothing stored",
    8: "every error is application/problem+json with its status; no traceback text",
    9: "If-None-Match → 304; 50 concurrent PATCHes with one If-Match → one wins, 49 × 412",
    10: "20 concurrent POSTs with one Idempotency-Key → one row",
    11: "a read after a write never sees the stale cached copy; no cached answer crosses users",
    12: "a cursor walk while rows are inserted sees each row exactly once",
    13: "a client over its rate limit → 429 with Retry-After and RateLimit fields",
    14: "CORS: no foreign origin echoed with credentials",
    16: "concurrent writers: 100 POSTs at once → exactly 100 rows",
    18: "anonymous readers never see an e-mail; another user's profile shows only id and name",
    21: "hostile strings in paths, queries, headers and bodies → never a 500",
}
table([{"checklist item": item, "checks": ", ".join(f"{n:02d}" for n in numbers) or "(the notebook's probe)",
        "in this notebook's pass": ", ".join(f"{n:02d}" for n in numbers if n not in SLOW) or "—"}
       for item, numbers in CHECKLIST.items()])

# %% [markdown]
# "Test and deploy" is the suite itself (it runs in CI, chapter 19, on every push) and the settings a deploy starts
# with (exercise 2); "observe" needs the server's own records, which an HTTP client cannot read: a probe below, and
# chapter 21's checks. What the numbered checks judge:

# %%
table([{"check": f"{n:02d}", "what it proves": what} for n, what in WHAT.items()])

# %% [markdown]
# ## The suite against any app
# The suite's contract (`tests/acceptance/harness.py`) is small: a factory `module:function` that takes the course's
# `Settings` (or nothing) and returns an ASGI app with an OpenAPI; `POST /users` and `POST /tokens` as the course
# has them; HS256 access tokens signed with `SECRET_KEY`. Everything else the suite discovers from the OpenAPI, and
# a check whose feature the app lacks (no `/jobs/{id}`, no CORS) is **skipped**, saying so.
#
# ```mermaid
# flowchart LR
#     N["this notebook"] -->|"ACCEPTANCE_APP=module:function"| P["pytest in a child process"]
#     P -->|"builds and serves"| A["the app under test, on loopback"]
#     P -->|"HTTP only"| A
#     P -->|"one line per check (acceptance_report)"| N
#     N --> S["scorecard: check, outcome, figure or the failed request"]
#     S --> V["verdict per checklist item"]
# ```
#
# The whole suite takes minutes at its full counts (`make acceptance APP=module:function`) and about half a minute at
# its quick counts. This notebook runs the quick counts of every check that takes under a second: all but checks
# 01, 11, 12, 13, 16 and 21, and the checks that start processes of their own to kill or restart them (15 workers,
# 17 load and SIGTERM, 19 refused starts, 20 behind nginx, 22 Redis and PostgreSQL restarted) — the names in `SLOW`. Each app runs in a **process of its own** (`pytest` with
# `ACCEPTANCE_APP`), so a crash or a hang of the app under test never takes the notebook with it, and apps run side by
# side. A small pytest plugin (`course_lib/lab/acceptance_report.py`) reports each check's outcome as it finishes:

# %%
from course_lib.lab.capstone import BROKEN, REFERENCE, STARTER, Run

show_source(Run.__init__)

# %% [markdown]
# Three apps, judged at once: the reference (`course_lib.taskapi:latest`, the finished API), the same API with the
# object-level ownership check removed (`tests/acceptance/broken_apps.py`, which holds one broken app per classic
# mistake), and chapter 16's app — the course's API before background jobs, security and observability:

# %% tags=["nbval-ignore-output"]
from tqdm import tqdm

from course_lib.lab.capstone import scorecards

apps = [REFERENCE, BROKEN, STARTER]
with tqdm(total=13 * len(apps), desc="acceptance checks, 3 apps at once", unit=" check") as bar:
    cards = scorecards(apps, progress=bar.update, fresh=True)

# %%
for card in cards.values():
    print(card.summary())

# %% [markdown]
# ## The scorecard
# The reference: every check passes, each with its figure — what it sent and what it counted. (The counts of
# responses vary by a few between runs: how many requests a concurrent check needs depends on timing.)

# %% tags=["nbval-ignore-output"]
reference = cards[REFERENCE]
table(reference.table())
assert reference.full_marks, reference.summary()

# %% [markdown]
# The broken app fails — and not only the check written for its mistake. Its task-access seam is chapter 04's,
# from before tasks were private: Bob reads Ada's task (check 02); reading needs no valid credentials at all, so a
# token nobody signed reads the list (04) and `Authorization: Bearer not-a-token` gets 200 where an error was
# expected (08); and check 06, which makes sure an `owner_id` sent by the client changed nothing, finds Bob reading
# Ada's task:

# %% tags=["nbval-ignore-output"]
broken = cards[BROKEN]
table(broken.table())
assert not broken.full_marks

# %% [markdown]
# For a failure, the scorecard's last column is the request that failed and what was expected — where to start
# looking:

# %%
for row in broken.missing:
    print(f"{row.outcome.upper():8} {row.check}\n         {row.why}")

# %% [markdown]
# Chapter 16's app fails nothing, but two checks are **skipped**: it has no jobs (chapter 17) and no CORS policy
# (chapter 20). A skip is not a pass — the checklist counts it as *missing*:

# %%
starter = cards[STARTER]
[(row.check, row.outcome) for row in starter.missing]

# %% [markdown]
# One verdict per checklist item: **broken** if a check failed, **missing** if one was skipped, **ready** if all
# that ran passed, **not run** if none of its checks is in this notebook's pass (`make acceptance` runs them):

# %%
from course_lib.lab.capstone import outcomes, readiness

table([{"checklist item": item, **{name: readiness(outcomes(cards[app]))[item]
        for name, app in [("reference", REFERENCE), ("broken", BROKEN), ("chapter 16", STARTER)]}}
       for item in CHECKLIST])

# %% [markdown]
# ## Observe: what the suite cannot see
# Logs, metrics and traces live in the server; the suite sees only answers. A probe against the reference, served in
# this kernel: the request id comes back, the request's log line carries it, and `/metrics` is not for anyone:

# %%
from course_lib.taskapi import latest

app = latest()
api = serve(app)
answer = api.get("/health", headers={"X-Request-ID": "capstone-1"})
assert answer.headers["x-request-id"] == "capstone-1"
logged = [line["status"] for line in app.context.request_log.for_request("capstone-1")]
anonymous_metrics = api.get("/metrics").status_code
{"echoed id": answer.headers["x-request-id"], "its log lines' statuses": logged, "GET /metrics, anonymous":
 anonymous_metrics}

# %% [markdown]
# ## The whole suite
# `make acceptance APP=module:function` runs every check at its full counts (1,000 schemathesis examples per
# operation, every phase; more rounds of every concurrency check), prints each figure, and writes them to
# `build/acceptance/`. Measured on the course's busy 2-core machine: 24 s for the quick counts of all checks
# (`pytest tests/acceptance/test_acceptance.py tests/acceptance/test_schemathesis.py`), and more than ten minutes for
# the full ones (a run stopped after 10 minutes had finished every check but 01, schemathesis, still running).
# `make test` runs the quick pass on every push, beside `test_mutants.py`, which proves that each check fails on the
# broken app made for it.
#
# ## Try it
# - Judge another broken app: `scorecards(["tests.acceptance.broken_apps:hash_leaked"])` — which checks fail?
# - Copy chapter 16's module into a file beside this notebook, add one of the later chapters' changes (chapter 20's
#   CORS, say), and grade it: which skip turns into a pass?
# - Run `make acceptance APP=course_lib.taskapi.ch17_background_jobs:create_app` in a terminal and read check 13.

# %% [markdown]
# ## Exercises

# %%
from course_lib.checks.ch23 import q1, q2, q3

# %% [markdown]
# **Exercise 1.** Your app, graded. Put your API in a module beside this notebook (or anywhere importable) with a
# factory `create_app(settings=None)`, and set `APP` to `"module:function"`. The check runs this notebook's pass of
# the suite against it and passes only on full marks: every check passed, none skipped. Until you have one, `APP` is
# chapter 16's app: the check lists what it still lacks. (The solution names the reference: it stands for the
# finished app you build.)

# %%
### BEGIN SOLUTION
APP = "course_lib.taskapi:latest"
### STUB
APP = "course_lib.taskapi.ch16_redis_cache:create_app"  # YOUR FACTORY HERE
### END SOLUTION

# %%
q1.check(APP)

# %% [markdown]
# **Exercise 2.** Two replicas of the API run behind nginx, with one PostgreSQL and one Redis, and jobs run by
# `make worker` processes. Write `deploy_env(secret_key, database_url, redis_url)`: the environment each replica
# starts with, names and values as strings, only the app's settings (`Settings` in
# `course_lib/services/settings.py`). The replicas must share the key, the database (one database for all, not one
# each) and Redis; jobs run elsewhere (`WORKER`); nothing of a development machine; one request in ten traced, spans
# exported in batches; the JSON log on stdout, where the platform collects it.

# %%
### BEGIN SOLUTION
def deploy_env(secret_key: str, database_url: str, redis_url: str) -> dict[str, str]:
    return {
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        "ISOLATE_DATABASE": "false",
        "REDIS_URL": redis_url,
        "WORKER": "external",
        "TRACE_SAMPLE_RATE": "0.1",
        "TRACE_BATCH": "true",
        "LOG_TO_STDOUT": "true",
    }
### STUB
deploy_env = None  # YOUR CODE HERE
### END SOLUTION

# %%
q2.check(deploy_env)

# %% [markdown]
# **Exercise 3.** Write `readiness(outcomes, checklist)`: `outcomes` maps a check's number to the outcomes of its
# tests (`"passed"`, `"failed"` or `"skipped"`; a check may have several tests, a check not run is absent);
# `checklist` maps an item to its check numbers. Answer each item's verdict: `"not run"` when none of its checks ran,
# else `"broken"` if one failed, else `"missing"` if one was skipped, else `"ready"`.

# %%
### BEGIN SOLUTION
def readiness(outcomes: dict[int, list[str]], checklist: dict[str, tuple[int, ...]]) -> dict[str, str]:
    verdicts = {}
    for item, numbers in checklist.items():
        seen = [outcome for number in numbers for outcome in outcomes.get(number, [])]
        if not seen:
            verdicts[item] = "not run"
        elif "failed" in seen:
            verdicts[item] = "broken"
        elif "skipped" in seen:
            verdicts[item] = "missing"
        else:
            verdicts[item] = "ready"
    return verdicts
### STUB
readiness = None  # YOUR CODE HERE
### END SOLUTION

# %%
q3.check(readiness)

# %% [markdown]
# ## Recap
# - The roadmap's checklist, item by item, is backed by checks that run against **any** app over HTTP: resource and
#   contract (01, 07, 08), invariants (09, 10, 16), authn/authz (02–06, 18), where truth lives (11, 12, 15, 22),
#   scale (13, 17, 20), test and deploy (the suite in CI, CORS, secrets, hostile input, the deploy settings), observe (the server's own records).
# - A **scorecard** names, for each failure, the request and what was expected; a **skip** is a missing feature, not a
#   pass.
# - The suite passing on the reference proves little alone: `broken_apps.py` proves each check **can fail**.
# - A deploy is settings too: one key, one database, one Redis for every replica, no development shortcuts, sampled
#   traces, logs on stdout.
#
# ## Going further
# - [OWASP API Security Top 10 (2023)](https://owasp.org/API-Security/editions/2023/en/0x11-t10/): the list most
#   of checks 02–07 and 18 come from.
# - [The Twelve-Factor App: config](https://12factor.net/config) and [backing services](https://12factor.net/backing-services).
# - [Schemathesis](https://schemathesis.readthedocs.io/): check 01, at its full counts, on your own OpenAPI.
# - Google's *Site Reliability Engineering*, ch. 6 (monitoring) and the production-readiness reviews of ch. 32.
#
# ## Where this lives in course_lib
# `tests/acceptance/` (the suite: `harness.py` its contract, `checks.py` the checks, `broken_apps.py` the broken
# apps), `course_lib/lab/capstone.py` (runs it in a process and reads the scorecard),
# `course_lib/lab/acceptance_report.py` (the pytest plugin that reports each check), `course_lib/checks/ch23.py`
# (the checks).
