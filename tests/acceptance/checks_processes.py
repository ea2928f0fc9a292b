"""Checks 15 and 22 of issue 17: what the app under test does when the processes under it die — a job's work horse
or its whole worker killed with SIGKILL, a job past its timeout, Redis stopped and started again, PostgreSQL
restarted.

Each builds the app itself (the factory, as the suite's other checks are given it served), on services the check
started and may kill: a Redis of its own (fakeredis's TCP server on the defaults, a redis-server when REDIS_URL is
set), real `rq worker` processes, a PostgreSQL cluster of its own. REDIS_URL's and DATABASE_URL's servers are shared
with everything else that runs, so no check stops them. What the check reads is HTTP, RQ's records in its own Redis
(which worker runs a job, as `rq info` shows it) and check 15's hook, ACCEPTANCE_JOB_EFFECTS (hooks.job_effects).

The jobs contract (chapter 17, `make worker`): POST /reminders → 202 + Location of /jobs/{id}; with WORKER=external,
ISOLATE_DATABASE=false, REDIS_URL and DATABASE_URL, workers started as `ACCEPTANCE_WORKER --url REDIS_URL ... tasks`
(default `python -m course_lib.taskapi.worker`, `make worker`'s command) with DATABASE_URL run its jobs.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import redis
from rq import Queue
from rq.registry import StartedJobRegistry
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from course_lib.lab.own_postgres import OwnPostgres
from course_lib.lab.own_redis import OwnRedis, own_redis
from course_lib.lab.rq_workers import DEFAULT_COMMAND, RqWorker, RqWorkers, kill
from tests.acceptance.checks import not_applicable
from tests.acceptance.harness import CROWD_RATE_LIMIT, FULL, Live, User, counts, load, reference_settings, start

DEFAULT_EFFECTS_HOOK = "tests.acceptance.hooks:job_effects"
JOBS_QUEUE = "tasks"  # the queue of an app run with WORKER=external and ISOLATE_DATABASE=false (`make worker`'s)
MAIL_LATENCY = 0.1  # seconds per e-mail: a 5-task job runs ~0.5 s, long enough to be killed in the middle
JOB_TIMEOUT = 1  # seconds: the 5-task jobs fit in it, the 40-task job (4 s of work) cannot, even over 3 attempts
SHORT_TASKS, LONG_TASKS = 5, 40
ENDED = {"finished", "failed", "stopped", "canceled"}
REQUEST_TIMEOUT = 5.0  # s: check 22's requests after PostgreSQL restarted
WORKER_OPTIONS = ("--maintenance-interval", "5", "--worker-ttl", "20")
ABANDONED_AFTER = 61 + 5  # s: RQ drops a dead worker's job from its started registry 60 s after the last heartbeat


def effects_hook() -> Callable[[Any, str], list[str]]:
    return load(os.environ.get("ACCEPTANCE_JOB_EFFECTS") or DEFAULT_EFFECTS_HOOK)


@contextmanager
def shared_database() -> Iterator[str]:
    """A database the app and its workers share, made for the check and removed after: a SQLite file on the
    defaults, a database of its own on DATABASE_URL's PostgreSQL."""
    url = os.environ.get("DATABASE_URL")
    if not url or url.startswith("sqlite"):
        folder = tempfile.mkdtemp(prefix="acceptance-jobs-")
        try:
            yield f"sqlite:///{folder}/jobs.db"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    if not url.startswith("postgresql"):
        not_applicable(f"DATABASE_URL is neither SQLite nor PostgreSQL ({url.split(':', 1)[0]})")
    name = f"acceptance_jobs_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def a_redis_of_its_own() -> Iterator[OwnRedis]:
    """Its own Redis: a redis-server when the run judges real services (REDIS_URL set), else fakeredis's."""
    try:
        server = own_redis(real=bool(os.environ.get("REDIS_URL")))
    except RuntimeError as error:
        not_applicable(str(error))
    try:
        yield server
    finally:
        server.close()


# ---------------------------------------------------------------------------------------------------------------- #
def post_job(live: Live, user: User) -> str:
    """POST /reminders → 202; the Location it names."""
    answer = live.request("POST", "/reminders", headers=user.headers)
    assert answer.status_code == 202, f"POST /reminders → {answer.status_code}: {answer.text[:300]}"
    assert answer.headers.get("location"), "POST /reminders → 202 without a Location"
    return answer.headers["location"]


def wait_for(live: Live, user: User, location: str, until: Callable[[dict], bool], timeout: float, what: str) -> dict:
    """GET the job until `until(body)`; AssertionError naming `what` after `timeout` s."""
    deadline, body = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        answer = live.request("GET", location, headers=user.headers)
        assert answer.status_code == 200, f"GET {location} → {answer.status_code}: {answer.text[:300]}"
        body = answer.json()
        if until(body):
            return body
        time.sleep(0.02)  # polling a job's status, bounded by `timeout`
    raise AssertionError(f"{what}: GET {location} still says {body} after {timeout:.0f} s")


def started_work(body: dict) -> bool:
    """The job has done some of its work, or ended."""
    return body.get("status") in ENDED or ((body.get("progress") or {}).get("done") or 0) >= 1


def ended(body: dict) -> bool:
    return body.get("status") in ENDED


def job_id(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[-1]


def applied_once(live: Live, job: str, what: str) -> int:
    """The number of the job's effects; AssertionError if one was applied twice."""
    effects = effects_hook()(live.app, job)
    twice = {effect: count for effect, count in Counter(effects).items() if count > 1}
    assert not twice, f"{what}: effects applied more than once: {dict(list(twice.items())[:3])}"
    return len(effects)


def check_15_jobs(factory: Callable[..., Any]) -> str:
    """A work horse SIGKILLed mid-job → retried, finished, each effect once; a whole worker SIGKILLed → the job is
    recovered (or failed, with its reason); a job past its timeout is stopped."""
    workers: RqWorkers | None = None
    live: Live | None = None
    with a_redis_of_its_own() as own, shared_database() as database_url, ThreadPoolExecutor(8) as pool:
        try:
            workers = RqWorkers(own.url, JOBS_QUEUE)
            command = os.environ.get("ACCEPTANCE_WORKER") or DEFAULT_COMMAND
            # Two workers: one may be killed whole, the other runs the job again. They import the app's jobs (seconds)
            # while the app starts and its users are made. An idle worker runs its maintenance (which recovers a dead
            # worker's jobs) between blocking waits of worker-ttl - 15 s: both short, so the full run sees it.
            booting = pool.submit(
                workers.start, 2, {"REDIS_URL": own.url, "DATABASE_URL": database_url}, command, *WORKER_OPTIONS
            )
            settings = reference_settings(
                rate_limit=CROWD_RATE_LIMIT, redis_url=own.url, database_url=database_url, isolate_database=False,
                worker="external", job_timeout=JOB_TIMEOUT, mail_latency=MAIL_LATENCY,
            )  # fmt: skip
            live = start(factory, name="acceptance-jobs", settings=settings)
            if not live.has("post", "/reminders"):
                not_applicable("the OpenAPI has no POST /reminders (chapter 17's background jobs are not in this app)")
            users = [live.sign_up(name) for name in ("Horse", "Worker", "Slow")]
            sizes = [SHORT_TASKS, SHORT_TASKS, LONG_TASKS]
            list(
                pool.map(
                    lambda pair: live.new_task(*pair),
                    [(u, "remind me") for u, n in zip(users, sizes) for _ in range(n)],
                )
            )
            booting.result()
            try:
                horse_figure = horse_killed(live, workers, users[0])
                worker_figure = worker_killed(live, workers, users[1], own)
                timeout_figure = timed_out(live, users[2])
            except AssertionError as error:
                raise AssertionError(f"{error}\nwhat the rq workers logged:\n{workers.tail()}") from None
        finally:
            if live is not None:
                live.stop()
            if workers is not None:
                workers.stop()
    return f"{horse_figure}; {worker_figure}; {timeout_figure} ({own.describe}, 2 rq worker processes)"


CATCH_ATTEMPTS = 3


def caught_running(live: Live, workers: RqWorkers, user: User) -> tuple[str, str, RqWorker, int]:
    """A job posted and caught while a worker's work horse runs it: its Location, id, worker and horse pid. A 0.5 s
    job can end before a loaded machine looks at it: then another is posted (CATCH_ATTEMPTS in all)."""
    seen = []
    for _ in range(CATCH_ATTEMPTS):
        location = post_job(live, user)
        job = job_id(location)
        wait_for(live, user, location, started_work, 30, "a job did not start")
        worker = workers.running(job)
        horse = worker.horse() if worker else None
        if worker is not None and horse:
            return location, job, worker, horse
        seen.append(f"{job}: {'no worker ran it' if worker is None else 'its worker had no work horse'}")
    raise AssertionError(
        f"no job was caught running in {CATCH_ATTEMPTS} tries (each ended too soon to be killed?): {'; '.join(seen)}"
    )


def horse_killed(live: Live, workers: RqWorkers, user: User) -> str:
    location, job, _, horse = caught_running(live, workers, user)
    kill(horse)
    killed = time.monotonic()
    final = wait_for(live, user, location, ended, counts(30, 60), "a job whose work horse was SIGKILLed")
    took = time.monotonic() - killed
    assert final["status"] == "finished", (
        f"a job whose work horse was SIGKILLed mid-job ended {final['status']!r} ({final.get('error')}): "
        "it was not run again"
    )
    done = applied_once(live, job, "a job run again after its work horse was SIGKILLed")
    assert done == SHORT_TASKS or os.environ.get("ACCEPTANCE_JOB_EFFECTS"), (  # another app's effects may differ
        f"a job run again after its work horse was SIGKILLed e-mailed {done} of {SHORT_TASKS} tasks"
    )
    return f"work horse SIGKILLed mid-job → run again, finished {took:.1f} s later, {done} effects, none twice"


def worker_killed(live: Live, workers: RqWorkers, user: User, own: OwnRedis) -> str:
    location, job, worker, horse = caught_running(live, workers, user)
    kill(worker.pid)  # the whole worker: its horse too, as when the machine goes
    kill(horse)
    killed = time.monotonic()
    if not FULL:
        # Quick: RQ forgets a dead worker's job 60 s after its last heartbeat, and a live worker's maintenance then
        # runs it again or fails it. Here that clean-up runs now, as it would after that time (the full run waits).
        connection = redis.Redis.from_url(own.url)
        try:
            StartedJobRegistry(queue=Queue(JOBS_QUEUE, connection=connection)).cleanup(time.time() + ABANDONED_AFTER)
        finally:
            connection.close()
    final = wait_for(live, user, location, ended, counts(30, 180), "a job whose whole worker was SIGKILLed")
    took = time.monotonic() - killed
    how = (
        "its registry entry's expiry advanced"
        if not FULL
        else f"the other worker's maintenance, {' '.join(WORKER_OPTIONS)}"
    )
    if final["status"] == "failed":
        assert final.get("error"), f"a job whose worker was killed failed without a reason: {final}"
        return f"worker SIGKILLed whole → failed ({final['error']}) after {took:.1f} s ({how})"
    assert final["status"] == "finished", f"a job whose whole worker was SIGKILLed ended {final['status']!r}"
    done = applied_once(live, job, "a job recovered after its worker was SIGKILLed")
    return f"worker SIGKILLed whole → recovered, finished {took:.1f} s later ({how}), {done} effects, none twice"


def timed_out(live: Live, user: User) -> str:
    location = post_job(live, user)
    job = job_id(location)
    posted = time.monotonic()
    work = LONG_TASKS * MAIL_LATENCY
    final = wait_for(live, user, location, ended, counts(40, 60), "a job past its timeout")
    took = time.monotonic() - posted
    done = applied_once(live, job, "a job stopped at its timeout and run again")
    assert final["status"] == "failed" and done < LONG_TASKS, (
        f"a job of {work:.0f} s of work with job_timeout {JOB_TIMEOUT} s ended {final['status']!r} after {took:.1f} s "
        f"with {done} of {LONG_TASKS} e-mails sent: its timeout was not enforced"
    )
    return (
        f"job of {work:.0f} s with job_timeout {JOB_TIMEOUT} s → failed ({final.get('error')}) after {took:.1f} s, "
        f"{done}/{LONG_TASKS} effects, none twice"
    )


# ---------------------------------------------------------------------------------------------------------------- #
def documented(live: Live, method: str, template: str) -> set[int]:
    """The statuses the OpenAPI documents for an operation."""
    responses = live.openapi.get("paths", {}).get(template, {}).get(method.lower(), {}).get("responses", {})
    return {int(code) for code in responses if code.isdigit()}


class Outage:
    """Requests during and after a Redis outage, each judged against what the OpenAPI documents; `expected` is the
    title each task must show (the last write the API accepted)."""

    def __init__(self, live: Live, client: httpx.Client, user: User, tasks: list[dict]) -> None:
        self.live, self.client, self.user = live, client, user
        self.expected = {task["id"]: task["title"] for task in tasks}
        self.counts: Counter[str] = Counter()
        self.slowest, self.stale = 0.0, []

    def send(self, method: str, path: str, template: str, **options: Any) -> httpx.Response:
        began = time.monotonic()
        answer = self.client.request(
            method, path, headers={**self.user.headers, **options.pop("headers", {})}, **options
        )
        self.slowest = max(self.slowest, time.monotonic() - began)
        allowed = documented(self.live, method, template)
        assert answer.status_code in allowed - {500}, (
            f"{method} {path} → {answer.status_code} ({answer.text[:200]}), not one of the documented {sorted(allowed)}"
        )
        if answer.status_code == 503:
            assert answer.headers.get("retry-after"), f"{method} {path} → 503 without Retry-After"
        return answer

    def read_all(self, phase: str) -> None:
        """GET each task and the list; a 200 must show what the last accepted write left."""
        for task_id, title in self.expected.items():
            answer = self.send("GET", f"/tasks/{task_id}", "/tasks/{task_id}")
            self.counts[f"{phase} reads {answer.status_code}"] += 1
            if answer.status_code == 200 and answer.json()["title"] != title:
                self.stale.append(f"{phase}: GET /tasks/{task_id} said {answer.json()['title']!r}, not {title!r}")
        answer = self.send("GET", "/tasks", "/tasks", params={"limit": 100})
        self.counts[f"{phase} reads {answer.status_code}"] += 1
        if answer.status_code == 200:
            for task in answer.json():
                if task["id"] in self.expected and task["title"] != self.expected[task["id"]]:
                    self.stale.append(f"{phase}: GET /tasks listed {task['id']} as {task['title']!r}")

    def write_all(self, phase: str, until: float = 0.0) -> None:
        """PATCH each task's title; a 2xx makes it the expected one. Until `until` (monotonic), a 503 is retried."""
        for task_id in self.expected:
            title = f"{phase} {secrets.token_hex(3)}"
            while True:
                answer = self.send(
                    "PATCH", f"/tasks/{task_id}", "/tasks/{task_id}", json={"title": title}, headers={"If-Match": "*"}
                )
                if answer.status_code != 503 or time.monotonic() > until:
                    break
                time.sleep(0.1)  # a Redis that has just returned: bounded by `until`
            self.counts[f"{phase} writes {answer.status_code}"] += 1
            if 200 <= answer.status_code < 300:
                self.expected[task_id] = title


def check_22_redis_restart(factory: Callable[..., Any]) -> str:
    """Redis stopped mid-run and started again with its data: every answer meanwhile is one the OpenAPI documents
    (reads from the database, writes refused with 503 + Retry-After, or accepted), none waits long, and after Redis
    returns, 0 stale reads — also of the copies it kept from before the outage."""
    with a_redis_of_its_own() as own:
        settings = reference_settings(rate_limit=CROWD_RATE_LIMIT, redis_url=own.url, worker="external")
        live = start(factory, name="acceptance-redis", settings=settings)
        try:
            user = live.sign_up("Outage", login=True)
            tasks = [live.new_task(user, f"before {number}") for number in range(3)]
            with live.client() as client:
                outage = Outage(live, client, user, tasks)
                for _ in range(2):  # cached copies of each task and of the list, kept across the outage
                    outage.read_all("before")
                own.stop()
                stopped = time.monotonic()
                outage.read_all("down")
                outage.write_all("down")
                outage.read_all("down")
                down = time.monotonic() - stopped
                own.start()
                for _ in range(counts(3, 10)):
                    outage.read_all("back")
                outage.write_all("back", until=time.monotonic() + 10)
                outage.read_all("back")
                reads = sum(n for what, n in outage.counts.items() if what.startswith("back reads"))
        finally:
            live.stop()
    assert not outage.stale, f"{len(outage.stale)} stale reads: {outage.stale[:3]}"
    accepted = sum(n for what, n in outage.counts.items() if re.fullmatch(r"back writes 2\d\d", what))
    assert accepted == len(tasks), f"writes after Redis returned: {dict(outage.counts)}"
    assert outage.slowest < 5, f"a request waited {outage.slowest:.1f} s on a Redis that was down"
    during = ", ".join(
        f"{what.removeprefix('down ')} ×{n}" for what, n in sorted(outage.counts.items()) if what.startswith("down")
    )
    return (
        f"{own.describe} stopped {down:.1f} s: {during} (each documented; slowest {outage.slowest * 1000:.0f} ms); "
        f"back with its data: writes 2xx, {reads} reads, 0 stale"
    )


def check_22_postgres_restart(factory: Callable[..., Any]) -> str:
    """PostgreSQL restarted under the running app: every request after it is back succeeds (the pool throws away
    the connections the restart cut, without a restart of the app)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        not_applicable("DATABASE_URL is not PostgreSQL: the embedded SQLite has no server to restart")
    try:
        server = OwnPostgres()
    except RuntimeError as error:
        not_applicable(f"DATABASE_URL's server is not this suite's to restart, and none of its own starts: {error}")
    live = None
    try:
        settings = reference_settings(rate_limit=CROWD_RATE_LIMIT, database_url=server.url)
        live = start(factory, name="acceptance-postgres", settings=settings)
        user = live.sign_up("Restart", login=True)
        task = live.new_task(user, "before the restart")
        requests = counts(40, 400)

        def traffic(number: int) -> str:
            """One request of a mix of reads and writes: its status, or the error that took its connection."""
            try:
                if number % 4 == 3:
                    answer = client.post("/tasks", json={"title": f"after {number}"}, headers=user.headers)
                elif number % 4 == 2:
                    answer = client.get("/tasks", params={"limit": 10}, headers=user.headers)
                else:
                    answer = client.get(f"/tasks/{task['id']}", headers=user.headers)
            except httpx.HTTPError as error:
                return type(error).__name__
            return str(answer.status_code)

        # An answer later than REQUEST_TIMEOUT counts as failed: a pool that recovers answers in milliseconds.
        with ThreadPoolExecutor(8) as pool, httpx.Client(base_url=live.url, timeout=REQUEST_TIMEOUT) as client:
            warm = list(pool.map(traffic, range(16)))  # several pooled connections, each cut by the restart
            assert all(answer.startswith("2") for answer in warm), f"before the restart: {Counter(warm)}"
            took = server.restart()
            answers = list(pool.map(traffic, range(requests)))
    finally:
        if live is not None:
            live.stop()
        server.close()
    failed = Counter(answer for answer in answers if not answer.startswith("2"))
    assert not failed, (
        f"after PostgreSQL restarted, {sum(failed.values())} of {requests} requests failed ({dict(failed)}): the "
        "pool handed out connections the restart had cut"
    )
    return f"own PostgreSQL cluster restarted ({took:.1f} s) under the app: {requests} requests after it, 0 failed"
