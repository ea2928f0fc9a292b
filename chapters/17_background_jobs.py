# %% [markdown]
# # Chapter 17 — Background jobs
# *Some work takes longer than anyone should wait for an answer. Accept it now, do it elsewhere, and say where to look.*
#
# **Learning goals**
# - see the four reasons to move work out of a request, each live on the API: a **slow response**, a **timeout**,
#   **blocked workers** (measured), and a **retry that duplicates work**;
# - tell FastAPI's `BackgroundTasks` (after the response, in the same process, gone when it dies — shown) from a
#   **durable queue** (RQ on Redis: the job waits for a worker, whoever it is);
# - build the pattern on the task API: `POST` → **202 Accepted** + `Location` of a **job resource** →
#   `GET /jobs/{id}` with status, progress and result (RFC 9110 §15.3.3);
# - keep a job its owner's: another user's job and an unknown id get the **same 404**; ids are unguessable;
# - let a result **expire**, and make a job's **effect idempotent** with a processed-ids record, so a retry never
#   sends an e-mail twice.
#
# **Why it matters.** A request is a promise to answer soon: clients, proxies and load balancers all give up after
# some seconds, and every request in flight holds one of the server's few workers. Work that takes longer — e-mails,
# exports, reports, calls to slow partners — breaks that promise. The fix is old: write the work down, answer "accepted",
# and let a worker do it.

# %%
from course_lib import serve, show, show_source, start_chapter, table

start_chapter(17, "Background jobs")

# %% [markdown]
# The last part of that line says who runs jobs: a **worker thread** inside this kernel with the embedded fakeredis, a
# real **`rq worker` process** (started and stopped by the app) when `REDIS_URL` names a redis-server.
#
# ## The job: e-mail reminders
# The API gains one job that fits it: e-mail a user a reminder of each open task. One e-mail costs the mail service
# some time — `MAIL_LATENCY`, simulated here — so a user with many tasks waits. The e-mails go into an **outbox**
# table (a relay would hand them to the mail service). First, the work done the way a first version would do it:
# inside the request. The lab app is chapter 17's API plus three routes for the demonstrations
# (`course_lib/lab/inline_reminders.py`):

# %%
from course_lib.lab.inline_reminders import WORKERS, lab_app, remind_all

show_source(remind_all)

# %% tags=["nbval-ignore-output"]
import time

from course_lib.services.settings import get_settings
from course_lib.taskapi.reminders import outbox

app = lab_app()
api = serve(app)
engine = app.context.storage.database.engine
PASSWORD = "violet harbor lantern 42"
TASKS = 10
ids = {}  # each user's id, by name


def sign_up(name: str, tasks: int = TASKS) -> dict:
    """A new user's API key header, with `tasks` open tasks."""
    user = api.post("/users", json={"name": name, "email": f"{name.lower()}@example.org", "password": PASSWORD})
    headers, ids[name] = {"X-API-Key": user.json()["api_key"]}, user.json()["id"]
    for n in range(tasks):
        api.post("/tasks", json={"title": f"{name}'s task {n}"}, headers=headers)
    return headers


ada = sign_up("Ada")
started = time.perf_counter()
inline = api.post("/lab/reminders/inline", headers=ada)
took = time.perf_counter() - started
print(inline.status_code, inline.json())
print(f"mail latency {get_settings().mail_latency} s × {TASKS} e-mails: the answer took {took:.1f} s")
assert took >= TASKS * get_settings().mail_latency

# %% [markdown]
# ## Four reasons to move work out of the request
# **1. A slow response.** That answer took about `TASKS × MAIL_LATENCY` seconds — half a second here, a minute for a
# user with a thousand tasks and a slower mail service. The user watched a spinner for all of it.
#
# **2. A timeout.** Clients give up. Here a client that waits at most 0.2 s (a browser's `fetch` with a deadline, a
# proxy's `proxy_read_timeout`, a load balancer's idle timeout are all the same thing):

# %%
import httpx

bob = sign_up("Bob")
try:
    httpx.post(f"{api.url}/lab/reminders/inline", headers=bob, timeout=0.2)
except httpx.TimeoutException:  # ReadTimeout here (a busy machine could make it ConnectTimeout)
    print("the client gave up after 0.2 s")


def bobs_emails() -> int:
    return sum(1 for mail in outbox(engine) if mail["recipient"] == "bob@example.org")


deadline = time.monotonic() + 10  # the server goes on: wait (polling, bounded) until its work is done
while bobs_emails() < TASKS and time.monotonic() < deadline:
    time.sleep(0.05)
print(f"e-mails Bob got anyway: {bobs_emails()}")

# %% [markdown]
# The client saw an error, the server did the work anyway. The client cannot know whether it happened.
#
# **3. A retry that duplicates work.** So the client does the sensible thing and tries again — and Bob gets every
# e-mail twice. Nothing recorded which e-mails were sent:

# %%
again = httpx.post(f"{api.url}/lab/reminders/inline", headers=bob, timeout=30)
subjects = [mail["subject"] for mail in outbox(engine) if mail["recipient"] == "bob@example.org"]
print(again.status_code, f"e-mails Bob got: {len(subjects)}, of which duplicates: {len(subjects) - len(set(subjects))}")

# %% [markdown]
# **4. Blocked workers.** A server has a fixed number of workers: sync worker processes, or the thread pool behind
# sync routes. The lab app gives its inline route and a tiny `GET /lab/ping` `WORKERS` slots between them, as a
# server with four workers has. While four requests for reminders run, how long does a ping take?

# %% tags=["nbval-ignore-output"]
from concurrent.futures import ThreadPoolExecutor


def ping_ms() -> float:
    started = time.perf_counter()
    api.get("/lab/ping").raise_for_status()
    return (time.perf_counter() - started) * 1000


idle = sorted(ping_ms() for _ in range(5))[2]
before = len(outbox(engine))
with ThreadPoolExecutor(WORKERS) as pool:
    busy = [pool.submit(httpx.post, f"{api.url}/lab/reminders/inline", headers=ada, timeout=30) for _ in range(WORKERS)]
    deadline = time.monotonic() + 10  # until all four are sending (each has put its first e-mail in the outbox)
    while len({mail["job_id"] for mail in outbox(engine)[before:]}) < WORKERS:
        assert time.monotonic() < deadline, "the inline requests did not start"
        time.sleep(0.01)
    blocked = ping_ms()
    assert all(each.result().status_code == 200 for each in busy)
print(f"ping when idle: {idle:.1f} ms · ping while {WORKERS} inline requests run: {blocked:.0f} ms")
assert blocked > 5 * idle and blocked > 100  # margins that hold on a busy machine (idle pings are slower there)

# %% [markdown]
# A request that costs a few milliseconds waited until one of the reminder requests gave its worker back: the slow
# route took the server from everyone else. More workers only move the limit: a thousand users pressing the button at
# once is the same picture.
#
# ## In-process: FastAPI's BackgroundTasks
# FastAPI can run a function **after** sending the response: `BackgroundTasks`. The client gets its answer at once
# and no client times out. But the work runs in the same process, from a list in its memory. Kill the process — a
# deploy, a crash, the OOM killer — and the rest of the work is gone, with no record that it was ever asked for. Here
# the smallest FastAPI app that sends reminders this way runs in a **child process** (the whole task API would take
# several seconds to start) and is killed (SIGKILL) a moment after its 202:

# %%
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from course_lib.lab import background_tasks_app, children

show_source(background_tasks_app.create_app)

# %% tags=["nbval-ignore-output"]
folder = Path(tempfile.mkdtemp(prefix="course-ch17-"))
sent = folder / "outbox.txt"
port = children.free_port()
child = children.start([sys.executable, "-m", "uvicorn", "--factory", "course_lib.lab.background_tasks_app:create_app",
                        "--port", str(port), "--log-level", "warning"],
                       env={**os.environ, "OUTBOX": str(sent), "MAIL_LATENCY": "0.1"},
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
children.wait_until_up(f"http://127.0.0.1:{port}/health", child)  # readiness: polls until it answers
print("the child process answers")
accepted = httpx.post(f"http://127.0.0.1:{port}/reminders")
deadline = time.monotonic() + 10
while (not sent.exists() or len(sent.read_text().splitlines()) < 3) and time.monotonic() < deadline:
    time.sleep(0.02)  # polling, bounded: a few e-mails are out, now the process dies
child.send_signal(signal.SIGKILL)
children.stop(child)
sent_before_death = len(sent.read_text().splitlines())
print(accepted.status_code, accepted.json(), f"· e-mails sent before the process died: {sent_before_death} of {background_tasks_app.TASKS}")
assert 3 <= sent_before_death < background_tasks_app.TASKS
shutil.rmtree(folder)

# %% [markdown]
# The client was told "accepted"; the e-mails not out when the process died (the count above: when the kill lands
# depends on the machine, the cell asserts at least 3 and fewer than all) will never be sent, and nothing anywhere
# says so. A restarted
# process does not know what its predecessor had in memory. `BackgroundTasks` is fine for work that may be lost (a
# cache warm-up, a metric) — not for work someone was promised.
#
# ## A durable queue: RQ on Redis
# A **queue** writes the work down outside the process first: RQ stores each job (the function's import path, its
# arguments, its status) in Redis, and a **worker** — another process, any number of them, on any machine — takes
# jobs from the queue. The API answers only once the job is stored, so a process that dies after its 202 loses
# nothing: the job waits in Redis for the next worker.
#
# ```mermaid
# sequenceDiagram
#     participant C as client
#     participant A as API
#     participant R as Redis (queue)
#     participant W as worker
#     participant D as database
#     C->>A: POST /reminders
#     A->>R: store job (queued)
#     A-->>C: 202 Accepted, Location /jobs/ID
#     W->>R: take the next job (started)
#     loop each open task
#         W->>D: processed-id + e-mail, one transaction
#         W->>R: progress in the job's meta
#     end
#     W->>R: result (finished, kept JOB_RESULT_TTL s)
#     C->>A: GET /jobs/ID
#     A->>R: read the job
#     A-->>C: 200 status, progress, result
# ```
#
# The job's function must be importable by name — a worker process imports it; a function defined in a notebook lives
# in `__main__`, which a worker cannot import. So it lives in `course_lib/taskapi/reminders.py`:

# %%
from course_lib.taskapi import reminders

show_source(reminders.send_reminders)

# %% [markdown]
# The job runs inside the context of the request that asked for it (its id rides in the job's meta): from chapter
# 21 on, when requests have ids, the job's log lines carry the same id as the request's. The work itself:

# %%
show_source(reminders.e_mail_reminders)

# %% [markdown]
# Who runs it is a setting, `WORKER`: by default a **thread** of the API's process with the embedded fakeredis (RQ's
# `SimpleWorker`, which runs each job in the worker's own thread without forking), and an **`rq worker` process** the app
# starts and stops when `REDIS_URL` is set — the database's URL goes into its environment, so it writes where the
# API reads, and it imports the job functions once before it forks a work horse per job
# (`python -m course_lib.taskapi.worker`, RQ's `rq worker` otherwise); `WORKER=external` leaves it to workers of your
# own (`make worker`). A worker thread cannot use RQ's
# default job timeout (SIGALRM: only the main thread may handle signals), so it uses RQ's `TimerDeathPenalty`, a
# timer that raises the timeout in the job's thread:

# %%
from course_lib.services.queue import EmbeddedWorker, ThreadWorker

show_source(ThreadWorker)

# %%
show_source(EmbeddedWorker._run)

# %% [markdown]
# ## 202 Accepted, and a job resource
# RFC 9110 §15.3.3: *"The 202 (Accepted) status code indicates that the request has been accepted for processing,
# but the processing has not been completed … The representation sent with this response ought to describe the
# request's current status and point to (or embed) a status monitor."* The status monitor is a resource of its own,
# `/jobs/{id}`: the body describes the job's status and names its id, and `Location` points to it — a common
# convention (RFC 9110 gives `Location` no meaning of its own on a 202), which clients and the roadmap follow:

# %%
from course_lib.taskapi.routes import jobs

show_source(jobs.router)

# %%
accepted = api.post("/reminders", headers=ada)
show(accepted, headers=["location"])

# %% [markdown]
# The answer came at once — the work is queued, not done. The client follows `Location` and **polls**: each `GET`
# says the status (`queued` → `started` → `finished` or `failed`), how far it is (`progress`, written by the job into
# its record as it goes) and, at the end, the result. Polling waits on the answer, with a deadline — never a fixed
# sleep:

# %%
def follow(location: str, headers: dict, deadline_s: float = 60.0) -> list[dict]:
    """GET `location` until the job ends (or the deadline passes): every distinct state seen, in order."""
    seen, deadline = [], time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        state = api.get(location, headers=headers).json()
        if not seen or state != seen[-1]:
            seen.append(state)
        if state["status"] in ("finished", "failed"):
            break
        time.sleep(0.02)  # the polling interval: a real client waits longer (or honours Retry-After)
    return seen


states = follow(accepted.headers["location"], ada)
print("seen while it ran:", any(s["status"] == "started" and 0 < (s["progress"] or {"done": 0})["done"] < TASKS
                                for s in states))  # progress is None until the job's first report
states[-1]

# %% [markdown]
# Meanwhile the workers of the API stay free: with four requests for reminders at once a ping takes a few
# milliseconds, not the hundreds it took beside the inline sends, since each `POST` only stores a job:

# %% tags=["nbval-ignore-output"]
with ThreadPoolExecutor(WORKERS) as pool:
    started = time.perf_counter()
    answers = list(pool.map(lambda _: api.post("/reminders", headers=ada), range(WORKERS)))
    posted_ms = (time.perf_counter() - started) * 1000
    during = ping_ms()
print(f"{len(answers)} × {answers[0].status_code} in {posted_ms:.0f} ms · ping meanwhile: {during:.1f} ms")
for answer in answers:
    assert follow(answer.headers["location"], ada)[-1]["status"] == "finished"
assert during < blocked / 2  # measured beside each other: a busy machine slows both

# %% [markdown]
# ## A job is its owner's
# A job's status may say a lot (an export's result is the user's data), so `GET /jobs/{id}` checks **who asks**, as
# chapter 15 does for tasks: another user gets exactly the answer of an id that never existed — same status, same
# body but for the per-error `instance` — so a 404 tells nobody that a job exists. The ids are random UUIDs (122
# random bits): unguessable, but that is a second line of defence, never the first. The check is the first.

# %%
theirs = api.get(accepted.headers["location"], headers=bob)  # Ada's job, asked by Bob
unknown = api.get("/jobs/00000000-0000-4000-8000-000000000000", headers=bob)
strip = lambda answer: {k: v for k, v in answer.json().items() if k not in ("instance", "detail")}  # noqa: E731
print(theirs.status_code, unknown.status_code, strip(theirs) == strip(unknown))
show(theirs, headers=["content-type"])

# %% [markdown]
# (The `detail` names the id the client sent, in both cases.)
#
# ## A result that expires
# A job's record — status, progress, result — stays in Redis `JOB_RESULT_TTL` seconds after it ends (600 by
# default), then Redis drops it: results are not meant to be stored forever, and a queue that kept every job would
# fill Redis. Polling after that gets **404**. Why 404 and not 410 Gone? The API documents 404 as "no such resource
# (any more)", a client already handles it, and 410 promises that the resource is gone *for good*, which the API
# cannot know of an id it no longer has. What the owner deserves is a reason: a small owner record outlives the
# result by a day, so the owner's 404 says "expired", and everyone else's stays the plain one. An app whose records
# last one second:

# %%
from course_lib.services.settings import Settings

short = serve(lab_app(Settings(job_result_ttl=1)), name="short-lived")
ed = short.post("/users", json={"name": "Ed", "email": "ed@example.org", "password": PASSWORD}).json()
ed_key = {"X-API-Key": ed["api_key"]}
location = short.post("/reminders", headers=ed_key).headers["location"]
deadline, answer = time.monotonic() + 60, None
while time.monotonic() < deadline:  # finished first, then gone about a second later
    answer = short.get(location, headers=ed_key)
    if answer.status_code == 404:
        break
    time.sleep(0.05)
show(answer, headers=["content-type"])
short.stop()

# %% [markdown]
# ## Idempotent effects: the processed-ids record
# A queue runs a job **at least once**: RQ retries a job that failed (`Retry(max=2)` here), and chapter 22 (to
# come) kills a worker mid-job and sees it run again. So a job's effects must survive being repeated. Each e-mail has a key —
# `reminder:<job id>:<task id>` — and the job writes the key into `processed_effects` (unique) **in the same
# transaction** as the e-mail into the outbox: either both exist or neither, and a second run finds the key and skips
# the e-mail. (An effect outside the database, such as an SMTP call, cannot share the transaction: then the key goes to
# the receiver — most mail and payment APIs take an idempotency key — or the effect goes through an outbox, as here.)

# %%
show_source(reminders.send_once)

# %% [markdown]
# The mail service drops the connection after 5 e-mails on the job's first attempt; RQ runs the job again, which skips
# the 5 it finds in the record and sends the other 5:

# %%
from rq import Retry

from course_lib.taskapi.reminders import send_reminders

queue = app.context.jobs
job = queue.enqueue(send_reminders, ids["Bob"], 0.0, fail_after=5, owner_id=ids["Bob"], retry=Retry(max=2))
state = follow(f"/jobs/{job.id}", bob)[-1]
its_mails = [mail["subject"] for mail in outbox(engine) if mail["job_id"] == job.id]
print(state["status"], state["result"], f"· its e-mails in the outbox: {len(its_mails)}, distinct: {len(set(its_mails))}")

# %% [markdown]
# And the client's retry of reason 3? A `POST /reminders` sent twice makes two jobs, each sending once per task —
# a client that retries should send chapter 03's `Idempotency-Key`, which answers the second `POST` with the first
# one's 202 and the same `Location`:

# %%
first = api.post("/reminders", headers={**ada, "Idempotency-Key": "ada-reminders-1"})
retried = api.post("/reminders", headers={**ada, "Idempotency-Key": "ada-reminders-1"})
print(first.status_code, retried.status_code, first.headers["location"] == retried.headers["location"])

# %% [markdown]
# ## The worker is down, the job waits
# With `BackgroundTasks` the work died with the process. With a queue, the job is in Redis: stop the worker, and the
# API still accepts; the job waits, `queued`, until a worker comes back. (Here Redis is fakeredis inside this kernel,
# so the job would die with the kernel; with `REDIS_URL` the jobs live in redis-server, which outlives every API and
# worker process — CI runs this chapter that way, with a real `rq worker` process.)

# %%
queue.worker.stop()
follow(retried.headers["location"], ada)  # the worker is idle again
queue.worker.stop()
waiting = api.post("/reminders", headers=bob)
print("worker down:", waiting.status_code, api.get(waiting.headers["location"], headers=bob).json()["status"])
queue.worker.start()
print("worker back:", follow(waiting.headers["location"], bob)[-1]["status"])

# %% [markdown]
# ## Try it
# - Set `MAIL_LATENCY=0.5` and restart the kernel: how long does the inline request take now, and how many pings
#   does a single one of them delay?
# - Remove `job.save_meta()` from `report` in your head: what would `progress` show while a job runs?
# - Start a redis-server, set `REDIS_URL` and run `make worker` in a terminal beside `make api` with `WORKER=external`
#   and `ISOLATE_DATABASE=false`: the same jobs, done by a worker you can stop and start yourself.

# %% [markdown]
# ## Exercises

# %%
from course_lib.checks.ch17 import q1, q2

# %% [markdown]
# **Exercise 1.** Write `job_view(job, job_id, user_id)`: what `GET /jobs/{job_id}` answers `user_id`, as a pair
# `(status, body)`. `job` is the record Redis holds (`None` if there is none): a dict with `owner_id`, `status`,
# `progress` and `result`. The owner gets `200` and `{"id", "status", "progress", "result"}`, the result only once the
# status is `"finished"` (else `None`). Everyone else, and any id without a record, gets `404` and
# `{"detail": f"job {job_id} not found"}` — the same answer, so a 404 never says that a job exists.

# %%
### BEGIN SOLUTION
def job_view(job: dict | None, job_id: str, user_id: int) -> tuple[int, dict]:
    if job is None or job["owner_id"] != user_id:
        return 404, {"detail": f"job {job_id} not found"}
    result = job["result"] if job["status"] == "finished" else None
    return 200, {"id": job_id, "status": job["status"], "progress": job["progress"], "result": result}
### STUB
job_view = None  # YOUR CODE HERE
### END SOLUTION

# %%
q1.check(job_view)

# %% [markdown]
# **Exercise 2.** Make one e-mail of a job idempotent. Write `send_once(processed, outbox, job_id, task_id, email)`:
# `processed` is the set of keys already done, `outbox` the list of e-mails sent. Send (`outbox.append(email)`) unless
# this job already sent this task's e-mail; record it; return `True` when it sent, `False` when it skipped. A job run
# again must send nothing twice — and a *different* job (the user asked again tomorrow) must still send.

# %%
### BEGIN SOLUTION
def send_once(processed: set[str], outbox: list, job_id: str, task_id: int, email: str) -> bool:
    key = f"{job_id}:{task_id}"
    if key in processed:
        return False
    outbox.append(email)
    processed.add(key)
    return True
### STUB
send_once = None  # YOUR CODE HERE
### END SOLUTION

# %%
q2.check(send_once)

# %%
api.stop()

# %% [markdown]
# ## Recap
# - Move work out of the request when it is **slow**, when clients **time out** on it, when it **holds workers** others
#   need (a ping of a few milliseconds waited for an inline request to end), or when a **retry** would do it twice.
# - `BackgroundTasks` runs after the response in the same process: nothing durable, lost with the process (the kill
#   above). A **queue** stores the job first (RQ in Redis); any worker runs it, later if need be.
# - `POST` → **202 Accepted** + `Location: /jobs/{id}` → `GET /jobs/{id}`: status, progress, result. Poll with a
#   deadline.
# - A job is its owner's: another user's and an unknown id get the **same 404**; ids are random UUIDs, and the check
#   comes first.
# - Results **expire** (`JOB_RESULT_TTL`); the owner's 404 says so.
# - Jobs run **at least once**: each effect commits with its **processed id**, so a retry sends nothing twice; a client's
#   retry of the `POST` carries an `Idempotency-Key`.
#
# ## Going further
# - [RFC 9110 §15.3.3, 202 Accepted](https://www.rfc-editor.org/rfc/rfc9110#section-15.3.3)
# - [RQ: jobs, results, retries](https://python-rq.org/docs/) — and chapter 22: retries with backoff, timeouts, the
#   failed-job registry, a worker killed mid-job.
# - [FastAPI: Background Tasks](https://fastapi.tiangolo.com/tutorial/background-tasks/) and its caveat about heavy work.
# - The transactional outbox pattern (Chris Richardson, *Microservices Patterns*, ch. 3).
#
# **Where this lives in course_lib:** `taskapi/ch17_background_jobs.py` (the chapter's change), `taskapi/routes/jobs.py`
# (`POST /reminders`, `GET /jobs/{id}`), `taskapi/reminders.py` (the job, the outbox, the processed-ids record),
# `services/queue.py` (the queue, the worker thread and the worker process), `lab/inline_reminders.py` (the lab routes).
