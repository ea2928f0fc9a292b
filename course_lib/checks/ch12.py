"""Checks for chapter 12 — performance: outbound failures as statuses, an N+1 fixed, CPU work off the event loop."""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import insert
from sqlalchemy.orm import Session

from course_lib.lab.cpu_work import count_primes
from course_lib.notebook.exercises import Exercise, Incorrect, NotAttempted
from course_lib.services.db import isolated_database
from course_lib.services.query_counter import counting_statements
from course_lib.taskapi.records import utcnow
from course_lib.taskapi.sql_tables import TaskRow, UserRow, create_tables

_JSON = b'{"busy": []}'

_REQUEST = httpx.Request("GET", "http://calendar.example/calendars/1")


def _response(status: int, **kwargs) -> httpx.Response:
    """A response as a real call returns it: with its request, so raise_for_status() works on it."""
    return httpx.Response(status, request=_REQUEST, **kwargs)


# (what the outbound call gave, how to say it, what the API must answer)
OUTCOMES = [
    (_response(200, content=_JSON), "200 with a JSON body", 200),
    (_response(201, content=_JSON), "201 with a JSON body", 200),
    (_response(299, content=_JSON), "299 with a JSON body", 200),
    (httpx.ReadTimeout("timed out", request=_REQUEST), "httpx.ReadTimeout", 504),
    (httpx.ConnectTimeout("timed out", request=_REQUEST), "httpx.ConnectTimeout", 504),
    (httpx.PoolTimeout("timed out", request=_REQUEST), "httpx.PoolTimeout", 504),
    (httpx.WriteTimeout("timed out", request=_REQUEST), "httpx.WriteTimeout", 504),
    (httpx.ConnectError("connection refused", request=_REQUEST), "httpx.ConnectError", 503),
    (httpx.ReadError("connection reset", request=_REQUEST), "httpx.ReadError", 503),
    (_response(503, content=b"overloaded"), "503 from the dependency", 503),
    (_response(500, content=_JSON), "500 (with a JSON body)", 503),
    (_response(599), "599", 503),
    (_response(429, content=b"slow down"), "429 Too Many Requests", 503),
    (_response(499), "499", 502),
    (_response(404, content=_JSON), "404 (with a JSON body)", 502),
    (_response(400, content=_JSON), "400 (with a JSON body)", 502),
    (_response(302, content=_JSON), "302 (with a JSON body)", 502),
    (_response(200, content=b"<html>maintenance</html>"), "200 with an HTML page", 502),
    (_response(200), "200 with an empty body", 502),
    (httpx.RemoteProtocolError("illegal status line", request=_REQUEST), "httpx.RemoteProtocolError", 502),
]
WHY = {
    200: "a 2xx whose body is JSON is an answer the API can use: 200.",
    504: "every httpx.TimeoutException (connect, read, write, pool) means the dependency did not answer in time: "
    "504 Gateway Timeout (RFC 9110 §15.6.5).",
    503: "the dependency is down or overloaded (no connection, connection lost, 5xx, 429): 503 Service "
    "Unavailable, and a retry later may work (§15.6.4).",
    502: "the dependency answered, but not with something usable (4xx to our request, 3xx, a body that is not "
    "JSON, broken HTTP): 502 Bad Gateway (§15.6.3).",
}


def _test_outbound_status(outbound_status) -> None:
    for outcome, said, expected in OUTCOMES:
        got = outbound_status(outcome)
        if got != expected:
            raise Incorrect(WHY[expected], request=f"outbound_status({said})", expected=expected, got=got)


q1 = Exercise(
    "ch12.q1",
    "Outbound failures as status codes",
    _test_outbound_status,
    hint="isinstance(outcome, httpx.TimeoutException) → 504 first; httpx.NetworkError → 503; any other exception → "
    "502. For a response: status ≥ 500 or 429 → 503; not outcome.is_success → 502; then try outcome.json(): "
    "ValueError → 502, else 200.",
)

# user → [(done, ...)] per task; user 5 has only done tasks, 6 none, and two tasks have no owner.
TASKS = {1: [False, False, True], 2: [False], 3: [True, True], 4: [False] * 5, 5: [True], 6: [], 7: [False, True]}
ORPHANS = [False, True]
MORE_USERS = 40


def _seed(engine, tasks: dict[int, list[bool]], orphans: list[bool]) -> None:
    now = utcnow()
    create_tables(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(UserRow),
            [
                {
                    "id": user,
                    "name": f"user {user}",
                    "email": f"u{user}@example.org",
                    "email_key": f"u{user}@example.org",
                    "created_at": now,
                }
                for user in tasks
            ],
        )
        rows = [
            {"title": f"t{n}", "done": done, "owner_id": owner, "created_at": now, "updated_at": now}
            for owner, dones in [*tasks.items(), (None, orphans)]
            for n, done in enumerate(dones)
        ]
        connection.execute(insert(TaskRow), rows)


def _run(open_tasks_per_user, tasks: dict[int, list[bool]]) -> tuple[object, int]:
    database = isolated_database()
    try:
        _seed(database.engine, tasks, ORPHANS)
        with Session(database.engine) as session, counting_statements(database.engine) as statements:
            result = open_tasks_per_user(session)
        return result, statements.count
    finally:
        database.drop()


def _test_open_tasks(open_tasks_per_user) -> None:
    bigger = {**TASKS, **{user: [user % 3 == 0, False][: 1 + user % 2] for user in range(8, 8 + MORE_USERS)}}
    for tasks in (TASKS, bigger):
        result, count = _run(open_tasks_per_user, tasks)
        if result is None:
            raise NotAttempted
        expected = {user: dones.count(False) for user, dones in tasks.items()}
        request = f"open_tasks_per_user(session) over {len(tasks)} users"
        if not isinstance(result, dict):
            raise Incorrect(
                "return a dict {user id: number of open tasks}.",
                request=request,
                expected="a dict",
                got=type(result).__name__,
            )
        if result != expected:
            missing = sorted(set(expected) - set(result))
            why = (
                f"every user is in the answer, those with no open task with 0 (users {missing} are missing: an "
                "inner JOIN drops users without a matching task; use an outer join)."
                if missing
                else "count only open tasks (done is false) of each user; tasks without an owner belong to nobody."
            )
            raise Incorrect(why, request=request, expected=expected, got=result)
        if count > 2:
            raise Incorrect(
                f"right numbers, but {count} SQL statements for {len(tasks)} users: that is the N+1 "
                "pattern. Ask once: GROUP BY over users LEFT OUTER JOIN tasks (or two queries: users, "
                "then the counts).",
                request=request,
                expected="at most 2 statements",
                got=count,
            )


q2 = Exercise(
    "ch12.q2",
    "Fix an N+1: open tasks per user in one query",
    _test_open_tasks,
    hint="select(UserRow.id, func.count(TaskRow.id)).outerjoin(TaskRow, (TaskRow.owner_id == UserRow.id) & "
    "TaskRow.done.is_(False)).group_by(UserRow.id); the condition on done goes in the ON clause, so users "
    "without open tasks still get a row (count 0).",
)

LIMITS = (150_001, 1_010)  # 150001 is prime and so is 1009: an off-by-one either way changes the count
TICK = 0.002


@functools.cache
def _primes(limit: int) -> int:
    return count_primes(limit)


async def _watch(primes_below, limit: int) -> tuple[object, float, float]:
    """Await primes_below(limit) while a heartbeat runs on the same loop: its answer, the longest gap and the
    seconds it took (both measured in the same run, so a busy machine stretches them alike)."""
    gaps, running = [0.0], True

    async def heartbeat() -> None:
        last = time.perf_counter()
        while running:
            await asyncio.sleep(TICK)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    beat = asyncio.create_task(heartbeat())
    await asyncio.sleep(0)
    started = time.perf_counter()
    try:
        answer = await primes_below(limit)
    finally:
        took = time.perf_counter() - started
        running = False
        await beat
    return answer, max(gaps), took


def _test_off_the_loop(primes_below) -> None:
    if not inspect.iscoroutinefunction(primes_below):
        raise Incorrect(
            "write it as `async def primes_below(limit)`: a route handler the event loop awaits.",
            request="primes_below",
            expected="an async def function",
            got=type(primes_below).__name__,
        )
    for limit in LIMITS:
        expected = _primes(limit)
        with ThreadPoolExecutor(1) as pool:  # a loop of its own: the notebook's is already running
            answer, gap, took = pool.submit(asyncio.run, _watch(primes_below, limit)).result(timeout=120)
        request = f"await primes_below({limit})"
        if answer != expected:
            raise Incorrect(
                "return count_primes(limit), computed somewhere else than on the event loop.",
                request=request,
                expected=expected,
                got=answer,
            )
        if limit == LIMITS[0] and gap > took / 2:
            raise Incorrect(
                f"right answer, but the event loop stood still for {gap * 1000:.0f} ms of the "
                f"{took * 1000:.0f} ms the work took: no other request could be served meanwhile. "
                "Hand the work to a thread (anyio.to_thread.run_sync) or a process, and await it.",
                request=request,
                expected=f"no gap longer than {took * 500:.0f} ms",
                got=f"{gap * 1000:.0f} ms",
            )


q3 = Exercise(
    "ch12.q3",
    "CPU work off the event loop",
    _test_off_the_loop,
    hint="return await anyio.to_thread.run_sync(count_primes, limit) — the loop keeps serving while a worker "
    "thread computes (a process pool, with loop.run_in_executor, would also free the GIL).",
)
