# %% [markdown]
# # Chapter 22 — RQ and Celery in full
# *A queue promises "at least once". Here is what that costs, and what it buys, when processes die.*
#
# **Learning goals**
# - use RQ's tools for jobs that go wrong: **retries with backoff** (`Retry(max, interval=[...])`), a **job
#   timeout**, the **failed-job registry** and requeue, a **result TTL**, **progress** in `job.meta`;
# - kill a worker mid-job — its **work horse** (child), then the **whole worker** — and see the job come back, finish,
#   and its effect applied **exactly once**, thanks to chapter 17's processed-ids record;
# - run the same job on **Celery 5.7** with a Redis broker: `acks_late`, `reject_on_worker_lost`, `autoretry_for`
#   with `retry_backoff`, a **beat** schedule, the visibility timeout and its pitfall;
# - compare RQ and Celery measured on the same job (Dramatiq and Taskiq named), and choose.
#
# **Why it matters.** Chapter 17 put the reminders job on a queue; a queue's guarantees are only as good as what
# happens when a process dies in the middle — a deploy, the OOM killer, a lost machine. "Durable" means: the job
# is not lost *and* its effect is not doubled. This chapter adds no API module: it is about the queues themselves,
# on the task API's job.

# %%
from course_lib import show_source, start_chapter

start_chapter(22, "RQ and Celery in full")

# %% [markdown]
# ## The job, once more
# The job sends a user's reminders; one e-mail is one **effect**. As in chapter 17 the effect and its id go into a
# processed-ids record together — here in Redis, one Lua script (Redis runs a script whole: both writes or neither),
# so that the same job works on RQ and on Celery without the task API's database
# (`course_lib/lab/job_effects.py`). Each run counts itself and notes its process id, so that we can kill it:

# %%
from course_lib.lab import job_effects

show_source(job_effects.send_once)

# %%
show_source(job_effects.remind)

# %% [markdown]
# Real worker processes need a Redis every process reaches. With `REDIS_URL` (CI) that is redis-server; on the
# defaults it is **fakeredis' `TcpFakeServer`**, a Redis served on 127.0.0.1 from a thread of this kernel — so the kill
# demonstrations below run with real, forking workers on the defaults too (RQ's forking worker cannot use the
# in-kernel fakeredis: its work horse would write to its own copy of memory). The workers start now — two `rq worker`
# processes, two Celery workers (prefork pool, one child each) and Celery beat — and boot while RQ's tools run in
# this kernel. Every one is a child of the kernel, binds nothing but a client connection to 127.0.0.1, and is
# stopped (by its process id) at the end of the chapter or when the kernel dies.

# %%
import tempfile
from contextlib import ExitStack
from pathlib import Path

import redis
from rq import Queue

from course_lib.lab import celery_app, kill_demos
from course_lib.services.settings import get_settings

REDIS_URL = get_settings().redis_url
lab = ExitStack()
url = lab.enter_context(kill_demos.redis_url(REDIS_URL))
celery_app.configure(url)
shared = redis.Redis.from_url(url)
real_queue = Queue("ch22", connection=shared)
schedule = Path(tempfile.mkdtemp(prefix="course-ch22-")) / "beat-schedule"
rq_workers = [kill_demos.rq_worker(url, "ch22", f"rq-{n}") for n in (1, 2)]
celery_workers = [kill_demos.celery_worker(url, f"celery-{n}") for n in (1, 2)]
beat = kill_demos.celery_beat(url, schedule)
processes = [*rq_workers, *celery_workers, beat]
lab.callback(kill_demos.stop_all, processes)
print("worker processes started:", len(processes))

# %% [markdown]
# ## RQ's tools
# On the defaults RQ runs on the in-kernel fakeredis with a worker thread (`course_lib/lab/rq_full.py`): chapter
# 17's `ThreadWorker` in bursts **with the scheduler**, which moves a job back to the queue when its retry's wait is
# over. With `REDIS_URL` the same jobs go to the real `rq worker` processes just started.

# %%
import fakeredis

from course_lib.lab import rq_full

if REDIS_URL:
    queue, worker = real_queue, None
else:
    queue = Queue("ch22", connection=fakeredis.FakeRedis())
    worker = lab.enter_context(rq_full.InProcessWorker(queue))
r = queue.connection
show_source(rq_full.send_reminders)

# %% [markdown]
# **Retries with backoff.** A mail service that drops the connection on the first two runs; `Retry(max=3,
# interval=[1, 2])` asks for 1 s before the first retry and 2 s before the next ones; RQ's scheduler moves due jobs on
# its own one-second ticks, so the waits measured below are rounded (on this machine the second one came out shorter
# than asked: a backoff in RQ is approximate, to the second). The job is enqueued now; while it waits, the other
# jobs of this section run, and we come back to it. The same failing job goes to Celery too, to be read in the
# Celery section (the message waits in Redis while the Celery workers boot).

# %%
import uuid

from rq import Retry

retrying = f"retry-{uuid.uuid4().hex[:6]}"
retry_job = queue.enqueue(rq_full.send_reminders, retrying, 3, 0.0, fail_first=2, retry=Retry(max=3, interval=[1, 2]))
print("enqueued; retries left:", retry_job.retries_left)
celery_batch = f"celery-retry-{uuid.uuid4().hex[:6]}"
celery_result = celery_app.send_reminders.delay(celery_batch, 3, 0.0, fail_first=2)

# %% [markdown]
# **A job timeout.** `job_timeout=1` on a job that takes 5 s: the worker interrupts it (SIGALRM in a forked work
# horse; a timer in the worker thread here) and the job **fails** — into the **failed-job registry**, with the reason:

# %%
timed_out = queue.enqueue(rq_full.slow, 5, job_timeout=1)
print(rq_full.wait_for(timed_out, 15), "·", timed_out.latest_result().exc_string.strip().splitlines()[-1])
print("in the failed-job registry:", timed_out.id in queue.failed_job_registry.get_job_ids())

# %% [markdown]
# **Requeue from the failed registry.** A job with no retries fails on the mail service's first drop. Once the
# service is back, an operator (or a script) requeues it: it runs again, its e-mail already sent is skipped.

# %%
once = f"requeue-{uuid.uuid4().hex[:6]}"
failing = queue.enqueue(rq_full.send_reminders, once, 3, 0.0, fail_first=1)
print("first run:", rq_full.wait_for(failing), "· e-mails sent:", len(job_effects.outbox(r, once)))
queue.failed_job_registry.requeue(failing.id)
print("requeued:", rq_full.wait_for(failing), "·", failing.return_value(),
      "· outbox:", job_effects.outbox(r, once))  # fmt: skip

# %% [markdown]
# **Progress in `job.meta`.** The job writes `{"done", "total"}` into its meta after each e-mail (`save_meta`); a
# client — chapter 17's `GET /jobs/{id}` — reads it while the job runs:

# %%
import time

progress_job = queue.enqueue(rq_full.send_reminders, f"progress-{uuid.uuid4().hex[:6]}", 10, 0.03)
seen, deadline = [], time.monotonic() + 15
while progress_job.get_status(refresh=True) != "finished" and time.monotonic() < deadline:
    progress = progress_job.get_meta(refresh=True).get("progress")
    if progress and progress not in seen:
        seen.append(progress)
    time.sleep(0.01)  # polling, bounded by the deadline
print("seen while it ran, a state between the first and the last:",
      any(0 < p["done"] < p["total"] for p in seen), "· final:", progress_job.get_meta(refresh=True)["progress"])

# %% [markdown]
# **A result that expires.** `result_ttl=1`: the job's record stays a second after it ends, then Redis drops it
# (`0` deletes at once, `-1` keeps it forever — a slow leak of Redis' memory):

# %%
from rq.job import Job

short = queue.enqueue(rq_full.noop, 42, result_ttl=1)
print(rq_full.wait_for(short), short.return_value())
deadline = time.monotonic() + 10
while Job.exists(short.id, connection=r) and time.monotonic() < deadline:
    time.sleep(0.05)  # polling, bounded: Redis expires the key on its own clock
print("a second later the record exists:", Job.exists(short.id, connection=r))

# %% [markdown]
# Back to the retrying job: three runs, the waits between their starts, and each e-mail once:

# %%
print(rq_full.wait_for(retry_job, 20), "· runs:", job_effects.attempts(r, retrying),
      "· outbox:", job_effects.outbox(r, retrying))  # fmt: skip
assert job_effects.outbox(r, retrying) == ["0", "1", "2"]

# %% tags=["nbval-ignore-output"]
# a measurement: RQ's scheduler moves due jobs on its own ticks, so each wait is rounded by up to a second
starts = job_effects.started_at(r, retrying)
print("waits between the runs (s):", [round(later - earlier, 1) for earlier, later in zip(starts, starts[1:], strict=False)])

# %% [markdown]
# ## Kill the work horse
# A real `rq worker` forks a **work horse** per job and watches it (`--job-monitoring-interval 1`). SIGKILL the horse
# in the middle of the e-mails — no `finally`, no clean-up: the worker sees the horse die, and the job, having a retry
# left, goes back to the queue. The second run skips the e-mails the first one sent
# (`course_lib/lab/kill_demos.py`):
#
# ```mermaid
# flowchart LR
#     Q[("Redis: the queue")] -->|"BLPOP a job"| W["rq worker (parent)"]
#     W -->|"fork, one per job"| H["work horse: runs the job"]
#     W -.->|"every 1 s: is the horse alive?"| H
#     H -->|"e-mail + its id, one Lua script"| O[("Redis: outbox + processed ids")]
#     K["SIGKILL"] -.->|"kills"| H
#     W -->|"horse died, a retry left: queue it again"| Q
#     C["Celery worker (parent)"] -->|"prefork"| P["pool child: runs the task"]
#     B[("Redis: broker, unacked until done")] -->|"acks_late: ack after the task"| C
#     C -->|"child lost: reject, message back"| B
# ```

# %%
from course_lib.lab.kill_demos import KillResult

show_source(kill_demos.kill_rq_horse)

# %% tags=["nbval-ignore-output"]
# a measurement: how long each kill takes depends on the machine, and the runs can vary (see the text below)
kill_demos.rq_ready(shared, *rq_workers)
results: list[KillResult] = [kill_demos.kill_rq_horse(shared, real_queue)]
print(results[-1])
assert results[-1].status == "finished" and results[-1].attempts >= 2 and results[-1].exactly_once

# %% [markdown]
# ## Kill the whole worker
# Now SIGKILL the worker *and* its horse. Nobody is left to notice: the job stays `started` in the
# `StartedJobRegistry` until its entry expires (at least 61 s: its timeout or the monitoring interval, plus 60) and a
# live worker's maintenance (every 10 minutes by default) retries it — or, with no retry left, moves it to the failed
# registry with `AbandonedJobError`. The demonstration fast-forwards that clock:
# `StartedJobRegistry.cleanup(timestamp=now + 120)` is what the maintenance does two minutes from now. The other
# worker takes the job:

# %%
show_source(kill_demos.kill_rq_worker)

# %% tags=["nbval-ignore-output"]
# a measurement: see the cell above
results.append(kill_demos.kill_rq_worker(shared, real_queue, rq_workers))
print(results[-1])
assert results[-1].status == "finished" and results[-1].attempts >= 2 and results[-1].exactly_once

# %% [markdown]
# ## The same job on Celery
# Celery (5.7 here) sends messages through a **broker** — Redis again, the same one — and keeps results in a
# **result backend**. The task's options say what a kill may do to it (`course_lib/lab/celery_app.py`):
# - `acks_late=True`: the worker acknowledges the message *after* the run. By default it acknowledges *before*, and a
#   worker that dies mid-run has lost the job for good.
# - `reject_on_worker_lost=True`: when the pool's child dies, the message goes back to the queue. Without it, the job
#   ends `FAILURE` with `WorkerLostError`.
# - `autoretry_for=(ConnectionError,)`, `retry_backoff=1`, `retry_jitter=False`, `max_retries=3`: waits of 1, 2, 4 s.
#   In production keep the jitter: a thousand jobs failing together then do not retry together.

# %%
show_source(celery_app.send_reminders)

# %% [markdown]
# The Redis broker's **visibility timeout**: a message taken but not acknowledged sits in an `unacked` hash; after
# the timeout (an hour by default) any worker puts it back in the queue. That is what recovers a job whose whole
# worker died — and its pitfall: a job that runs longer than the timeout, or waits longer for a retry's countdown, is
# delivered a second time **while the first run is still going**. Here it is 3 s, so that the chapter can show a
# recovery; the effects are idempotent, so a second delivery sends nothing twice.

# %%
print(celery_app.app.conf.broker_transport_options)

# %% [markdown]
# **Retries with backoff**, on the workers started at the top: the job sent with RQ's retrying job
# (`celery_app.send_reminders.delay(celery_batch, 3, 0.0, fail_first=2)`) has run three times by now, or runs:

# %%
kill_demos.celery_ready(*celery_workers)
print(celery_result.get(timeout=30), celery_result.state)
starts = job_effects.started_at(shared, celery_batch)
gaps = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
print("runs:", len(starts), "· waited at least 1 s, then at least 2 s:", gaps[0] >= 0.9 and gaps[1] >= 1.9)
assert job_effects.outbox(shared, celery_batch) == ["0", "1", "2"]

# %% [markdown]
# **Beat** sends a task on a schedule (`beat_schedule`: `tick` every second). It is a process of its own —
# exactly one per deployment, or each tick is sent twice; `celery worker -B` embeds it in a worker, for development.
# It has been running since the top of the chapter:

# %%
print(celery_app.app.conf.beat_schedule)
kill_demos.wait_until(lambda: int(shared.get("lab22:ticks") or 0) >= 2, 15, "two ticks", beat)
beat.stop()
print("ticks run by the workers: at least 2:", int(shared.get("lab22:ticks")) >= 2)

# %% [markdown]
# **Kill the whole worker** with its child mid-job (SIGKILL, by the pid the job noted); while its job waits, **kill
# the pool's child** of the other worker mid-job (`kill_celery_child`: a second job, a second recovery):

# %%
show_source(kill_demos.kill_celery_worker_and_child)

# %% tags=["nbval-ignore-output"]
# a measurement: see the RQ cells
results.extend(kill_demos.kill_celery_worker_and_child(shared, celery_workers))
print(*results[-2:], sep="\n")
for result in results[-2:]:
    assert result.status == "SUCCESS" and result.attempts >= 2 and result.exactly_once

# %% [markdown]
# The child: Celery's pool sees it die at once (`WorkerLostError` in the worker's log), rejects the message, and a
# worker runs it again within a fraction of a second. The whole worker: nothing rejects anything; the message waits
# in `unacked` for the visibility timeout (3 s here), then the surviving worker restores it and runs it — after the
# child's job, which it ran again in the meantime: the two recoveries overlap. On a busy machine the count of runs
# can reach 3: a redelivery that came later than the visibility timeout let the other worker restore the same
# message too — the pitfall above, live. Every time, the outbox has each e-mail once.
#
# ## RQ and Celery, measured on the same job
# Five no-op jobs on each, the same Redis, two worker processes each (the killed worker's place empty: one RQ
# worker and one Celery worker remain), enqueued from this kernel:

# %% tags=["nbval-ignore-output"]
# a measurement: numbers depend on the machine and on the Redis (TcpFakeServer is far slower than redis-server)
from course_lib.lab import job_compare
from course_lib.notebook.display import table

live_rq, live_celery = kill_demos.survivor(rq_workers), kill_demos.survivor(celery_workers)
measured = [job_compare.rq_throughput(real_queue, 5), job_compare.celery_throughput(5)]
by_queue = {result.queue: [] for result in results}
for result in results:
    by_queue[result.queue].append(f"{result.killed}: {result.status}, {result.attempts} runs, "
                                  f"{result.effects}/{result.emails} e-mails once")  # fmt: skip
rows = [{"queue": m.queue, "enqueue (median ms)": f"{m.enqueue_ms:.2f}", "jobs/s": f"{m.jobs_per_s:.0f}",
         "workers": len(live_rq if m.queue == "RQ" else live_celery), "after a kill": " · ".join(by_queue[m.queue])}
        for m in measured]  # fmt: skip
rows += [{"queue": name, "enqueue (median ms)": "—", "jobs/s": "—", "workers": "—", "after a kill": note}
         for name, note in job_compare.OTHERS.items()]  # fmt: skip
table(rows)
print("Redis:", "redis-server" if REDIS_URL else "fakeredis TcpFakeServer")
assert all(m.jobs_per_s > 0 and m.enqueue_ms < 1000 for m in measured)

# %% [markdown]
# How to read it. On the defaults the numbers say more about the TcpFakeServer (a Python thread answering every
# process) than about the queues; on redis-server (CI's run; on this machine: RQ 0.3 ms and 71 jobs/s, Celery 1.5 ms
# and 212 jobs/s) enqueueing is a fraction of a millisecond to a millisecond for both. RQ forks a work horse per
# job — the price of its isolation (a job that leaks memory or crashes takes only its horse down) — where Celery's
# prefork pool reuses its children, so Celery runs several times more small jobs a second. On a kill, both recover
# the job **when configured to**: RQ with a `Retry` (a killed horse without one is `failed`, "Work-horse terminated
# unexpectedly"), Celery with `acks_late` + `reject_on_worker_lost` (without them: lost, or `WorkerLostError`). A
# whole worker killed is the slow case for both: RQ waits for its registry entry to expire and a maintenance pass,
# Celery for the visibility timeout.
#
# Choose **RQ** for a Python app that wants a queue it can read in an afternoon: Redis only, one job one process,
# easy to inspect. Choose **Celery** for many job kinds, routing, rate limits, schedules (beat), canvases (chains,
# groups, chords) and brokers other than Redis (RabbitMQ). **Dramatiq** sits between the two with safer defaults;
# **Taskiq** fits an asyncio app. Whichever: at least once delivery, idempotent effects.

# %% [markdown]
# ## Try it
# - Enqueue `send_reminders` on a real worker **without** `retry=` and kill its horse: the job ends `failed` with
#   "Work-horse terminated unexpectedly" in its `latest_result()`.
# - Remove `reject_on_worker_lost=True` from the Celery task (restart the workers) and kill the child: `FAILURE`,
#   `WorkerLostError`.
# - Set the visibility timeout to 1 s and send a job that runs 3 s: count its runs.

# %% [markdown]
# ## Exercises

# %%
from course_lib.checks.ch22 import q1, q2

# %% [markdown]
# **Exercise 1.** Exponential backoff. Write `retry_delays(retries, base, cap)`: the seconds to wait before each of
# `retries` retries — `base` before the first, twice as long before each next one, never more than `cap`. It is
# what Celery computes from `retry_backoff=base, retry_backoff_max=cap, retry_jitter=False`, and what you would pass
# to RQ as `Retry(max=retries, interval=retry_delays(...))`. `retry_delays(4, 1, 5)` is `[1, 2, 4, 5]`.

# %%
### BEGIN SOLUTION
def retry_delays(retries: int, base: int, cap: int) -> list[int]:
    return [min(cap, base * 2**n) for n in range(retries)]
### STUB
retry_delays = None  # YOUR CODE HERE
### END SOLUTION

# %%
q1.check(retry_delays)

# %% [markdown]
# **Exercise 2.** A job charges a card through a payment API (with an idempotency key: a second run charges
# nothing twice). Write `OPTIONS`, the keyword arguments of its `@app.task(**OPTIONS)`: the job must not be lost when
# its worker's child is killed mid-run (nor fail because of it), it retries on `ConnectionError` and `TimeoutError`
# only, at most 4 times, waiting 2, 4, 8 and 16 s (no jitter, for this exercise). Careful: Celery accepts any keyword
# and ignores those it does not know.

# %%
### BEGIN SOLUTION
OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (ConnectionError, TimeoutError),
    "max_retries": 4,
    "retry_backoff": 2,
    "retry_jitter": False,
}
### STUB
OPTIONS = None  # YOUR CODE HERE
### END SOLUTION

# %%
q2.check(OPTIONS)

# %% [markdown]
# The worker processes stop here (SIGTERM, by their process ids: a warm shutdown); the TcpFakeServer lives as long as
# the kernel (a thread of it):

# %%
lab.close()
print("worker processes still running:", [p.name for p in processes if p.popen.poll() is None])

# %% [markdown]
# ## Recap
# - RQ: `Retry(max, interval=[...])` (the scheduler moves due retries back), `job_timeout`, the failed-job registry
#   and `requeue`, `result_ttl`, progress in `job.meta` + `save_meta()`.
# - A killed work horse: the worker notices at once; with a retry left the job runs again. A killed whole worker: the
#   job stays `started` until its registry entry expires and a maintenance pass retries or fails it
#   (`AbandonedJobError`).
# - Celery: `acks_late` + `reject_on_worker_lost` keep a job through a killed child; a killed whole worker's job
#   comes back after the broker's **visibility timeout** — keep it longer than any job and any retry countdown.
# - `autoretry_for` + `retry_backoff` (keep the jitter in production); beat: one process per deployment.
# - Every queue delivers **at least once**: each effect carries its processed id, so a second run does nothing twice.
#
# ## Going further
# - [RQ: jobs, retries, registries, workers](https://python-rq.org/docs/) and
#   [RQ: job timeouts and the work horse](https://python-rq.org/docs/workers/)
# - [Celery: tasks (acks_late, reject_on_worker_lost, retries)](https://docs.celeryq.dev/en/stable/userguide/tasks.html),
#   [Redis broker caveats (visibility timeout)](https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html),
#   [periodic tasks (beat)](https://docs.celeryq.dev/en/stable/userguide/periodic-tasks.html)
# - [Dramatiq](https://dramatiq.io/) · [Taskiq](https://taskiq-python.github.io/)
#
# **Where this lives in course_lib:** `lab/job_effects.py` (the job and its idempotent effect), `lab/rq_full.py` (RQ
# jobs, the in-process worker), `lab/celery_app.py` (the Celery app and tasks), `lab/kill_demos.py` (worker
# processes, the kills), `lab/fake_redis_tcp.py` (TcpFakeServer for worker processes), `lab/job_compare.py` (the
# measurement).
