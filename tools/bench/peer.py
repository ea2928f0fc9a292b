"""The finished API beside its peer: the same reads written as FastAPI's tutorials teach (peer_app.py), same rows.

Both servers read one database (SQLite, and PostgreSQL when DATABASE_URL names one), both authenticate a Bearer JWT
and load the user; the finished API does everything else it does too (ETag, cache, problem details, idempotency
keys, cursors and a total count on lists). Each run loads hello, the API and the peer in turns.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from course_lib.lab.load import LoadResult, measure
from tools.bench.apps import SHARED_DATABASE
from tools.bench.core import Context, Figure, Goal, Skip, benchmark
from tools.bench.throughput import LOAD_CPU, target

SEED_TASKS = 200
PAGE = 20
PASSWORD = "violet harbor lantern 42"
USERS = 10


def figure_names(database: str) -> tuple[str, ...]:
    """The figures one database gives."""
    return (
        f"GET /tasks/{{id}} vs its peer ({database})",
        f"GET /tasks list page vs its peer ({database})",
        f"GET /tasks/{{id}} (Bearer JWT) vs hello ({database})",
        f"peer GET /tasks/{{id}} vs hello ({database})",
    )


@contextmanager
def shared_database(url: str | None) -> Iterator[str]:
    """A URL both servers can open: a new SQLite file, or a PostgreSQL schema of its own (its search_path in the
    URL); removed after."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="bench-peer-") as folder:
            yield f"sqlite:///{folder}/tasks.db"
        return
    from sqlalchemy.engine import make_url

    from course_lib.services.db import isolated_database
    from course_lib.services.settings import Settings

    database = isolated_database(Settings(database_url=url))
    try:
        assert database.schema is not None  # a PostgreSQL URL
        shared = make_url(url).update_query_dict({"options": f"-csearch_path={database.schema}"})
        yield shared.render_as_string(hide_password=False)
    finally:
        database.drop()


def seed(url: str) -> tuple[int, int]:
    """Through the finished API: a user with SEED_TASKS tasks, another user; returns the first user's id and the id of
    a task of theirs."""
    with httpx.Client(base_url=url, timeout=30) as client:
        ids = []
        for name in ("ada", "bob"):
            answer = client.post("/users", json={"name": name, "email": f"{name}@example.org", "password": PASSWORD})
            answer.raise_for_status()
            ids.append(answer.json()["id"])
        auth = course_login(client)
        tasks = [
            client.post("/tasks", json={"title": f"task {n}"}, headers=auth).json()["id"] for n in range(SEED_TASKS)
        ]
    return ids[0], tasks[len(tasks) // 2]


def course_login(client: httpx.Client) -> dict[str, str]:
    """A Bearer access token from the finished API's own POST /tokens (it lives for minutes: ask again per round)."""
    answer = client.post("/tokens", json={"email": "ada@example.org", "password": PASSWORD})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def same_answers(api: str, peer: str, api_auth: dict[str, str], peer_auth: dict[str, str], task_id: int) -> None:
    """RuntimeError unless both apps answer the same task JSON and the same list page: else the race is not fair."""
    for path in (f"/tasks/{task_id}", f"/tasks?limit={PAGE}"):
        ours, theirs = httpx.get(api + path, headers=api_auth), httpx.get(peer + path, headers=peer_auth)
        if ours.status_code != 200 or ours.json() != theirs.json():
            raise RuntimeError(
                f"GET {path}: the API answered {ours.status_code} {ours.text[:200]}, "
                f"the peer {theirs.status_code} {theirs.text[:200]}"
            )


def compare(
    name: str, runs: list[LoadResult], baseline: list[LoadResult], baseline_name: str, goal: Goal | None, note: str
) -> Figure:
    """Median throughput of `runs` beside that of `baseline`, p50/p99 of both in the note."""

    def latency(results: list[LoadResult]) -> str:
        return f"{statistics.median(r.p50_ms for r in results):g}/{statistics.median(r.p99_ms for r in results):g} ms"

    failures = sum(run.failures for run in runs + baseline)
    note = f"p50/p99 {latency(runs)} ({baseline_name} {latency(baseline)}); {note}"
    if failures:
        note += f"; {failures} failed requests"
    return Figure(
        name=name,
        unit="req/s",
        measured=statistics.median(r.throughput for r in runs),
        baseline=statistics.median(r.throughput for r in baseline),
        baseline_name=baseline_name,
        goal=goal,
        samples=[r.throughput for r in runs],
        baseline_samples=[r.throughput for r in baseline],
        note=note,
    )


def race(context: Context, database: str, url: str | None) -> Iterator[Figure]:
    """hello, the finished API and the peer on one database, loaded in turns; the four figures of `database`."""
    from tools.bench.peer_app import create_access_token

    repeats = 1 if context.quick else 3
    seconds = 3 if context.quick else 4

    def load(address: str, headers: dict[str, str] | None = None) -> LoadResult:
        return measure(address, users=USERS, seconds=seconds, cpu=LOAD_CPU, headers=headers)

    runs: dict[str, list[LoadResult]] = {"hello": [], "one": [], "peer one": [], "page": [], "peer page": []}
    with shared_database(url) as shared:
        env = {SHARED_DATABASE: shared}
        with target("hello") as hello, target("taskapi-shared", env) as api:
            user_id, task_id = seed(api)
            with target("peer", env) as peer:
                peer_auth = {"Authorization": f"Bearer {create_access_token(os.environ['SECRET_KEY'], user_id)}"}
                for _ in range(repeats):  # in turns, so a burst of load elsewhere hits every figure alike
                    with httpx.Client(base_url=api, timeout=30) as client:
                        api_auth = course_login(client)
                    same_answers(api, peer, api_auth, peer_auth, task_id)
                    runs["hello"].append(load(f"{hello}/hello"))
                    runs["one"].append(load(f"{api}/tasks/{task_id}", api_auth))
                    runs["peer one"].append(load(f"{peer}/tasks/{task_id}", peer_auth))
                    runs["page"].append(load(f"{api}/tasks?limit={PAGE}", api_auth))
                    runs["peer page"].append(load(f"{peer}/tasks?limit={PAGE}", peer_auth))
    where = f"{database}, cache fakeredis, {USERS} users, Bearer JWT"
    one, page, versus_hello, peer_hello = figure_names(database)
    yield compare(
        one,
        runs["one"],
        runs["peer one"],
        "peer app",
        Goal(">=", 1.0),
        f"{where}; every feature on (ETag, cache, problem details, idempotency)",
    )
    yield compare(
        page,
        runs["page"],
        runs["peer page"],
        "peer app",
        Goal(">=", 1.0),
        f"{where}; {PAGE} of {SEED_TASKS} tasks, newest first; the API also counts them and links a cursor",
    )
    yield compare(versus_hello, runs["one"], runs["hello"], "bare FastAPI hello", Goal(">=", 0.5), where)
    yield compare(peer_hello, runs["peer one"], runs["hello"], "bare FastAPI hello", None, where)


@benchmark("peer", *figure_names("SQLite"))
def peer_sqlite(context: Context):
    """The finished API vs its peer on an embedded SQLite file both open."""
    if len(os.sched_getaffinity(0)) < 2:
        raise Skip("needs 2 CPUs (servers and load generator pinned apart)")
    yield from race(context, "SQLite", None)


@benchmark("peer (PostgreSQL)", *figure_names("PostgreSQL"))
def peer_postgresql(context: Context):
    """The same on PostgreSQL, in a schema of its own, when DATABASE_URL names one."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        for name in figure_names("PostgreSQL"):
            yield Figure.skip(name, "DATABASE_URL names no PostgreSQL")
        return
    if len(os.sched_getaffinity(0)) < 2:
        for name in figure_names("PostgreSQL"):
            yield Figure.skip(name, "needs 2 CPUs (servers and load generator pinned apart)")
        return
    yield from race(context, "PostgreSQL", url)
