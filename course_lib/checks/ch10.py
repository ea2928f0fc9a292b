"""Checks for chapter 10 — HTTP caching: If-Match's decision, a revalidating client, a write that cannot lose."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import SupportsIndex

import httpx

from course_lib.notebook.exercises import Exercise, Incorrect
from course_lib.notebook.server import serving
from course_lib.notebook.source_rules import misses_call
from course_lib.taskapi import ch10_http_caching

PASSWORD = "violet harbor lantern 42"

# (If-Match header, current ETag) → what the server must answer: 428, 412, or None (go ahead).
PRECONDITION_CASES = [
    (None, '"v3"', 428),
    ('"v3"', '"v3"', None),
    ('"v2"', '"v3"', 412),
    ('"v4"', '"v3"', 412),
    ("*", '"v3"', None),
    ("*", '"task-9-v1"', None),
    ('"v1", "v3"', '"v3"', None),
    ('"v1", "v2"', '"v3"', 412),
    ('W/"v3"', '"v3"', 412),
    ('W/"v1", "v3"', '"v3"', None),
    ('"task-9-v1"', '"task-9-v1"', None),
    ('"task-9-v1"', '"task-9-v2"', 412),
    ('"V3"', '"v3"', 412),
    ("", '"v3"', 412),
    # an entity-tag may hold a comma (RFC 9110 §8.8.3: etagc is any visible character but '"'): parse, don't split
    ('"a,b"', '"a,b"', None),
    ('"x", "a,b"', '"a,b"', None),
    ('"a,b", W/"v3"', '"v3"', 412),
    ('W/"a,b"', '"a,b"', 412),
    ('"a", "b"', '"a"', None),
    ("junk", '"v3"', 412),  # not a list of entity-tags: it names no version
    ('"v1" junk', '"v3"', 412),
]
PATIENCE = 2.0  # seconds one call of precondition_status may take: a parse loop that never advances hangs


def _within(seconds: float, function, *args):
    """function(*args), or Incorrect when it has not returned after `seconds` (it runs on in a daemon thread)."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append((True, function(*args)))
        except BaseException as error:  # re-raised in the checking thread, with its traceback
            outcome.append((False, error))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if not outcome:
        raise Incorrect(
            f"no answer after {seconds:.0f} s: does every turn of your parsing loop move forward?",
            request=f"precondition_status{args!r}",
            expected="an answer at once",
            got="still running",
        )
    returned, value = outcome[0]
    if not returned:
        raise value
    return value


def _test_precondition(precondition_status) -> None:
    for if_match, current, expected in PRECONDITION_CASES:
        got = _within(PATIENCE, precondition_status, if_match, current)
        if got != expected:
            why = {
                428: "no If-Match at all: the server requires one (428 Precondition Required).",
                412: "this If-Match names no current version (a W/ tag never matches: If-Match compares "
                "strongly), so the write must not happen.",
                None: "this If-Match holds ('*', or one of its tags equals the current ETag exactly): "
                "let the write go ahead (None).",
            }[expected]
            raise Incorrect(
                why, request=f"If-Match: {if_match!r} with current ETag {current}", expected=expected, got=got
            )


q1 = Exercise(
    "ch10.q1",
    "If-Match: go ahead, 412 or 428?",
    _test_precondition,
    hint='None header → 428. \'*\' → None. Otherwise find the tags with a regex — (W/)?"[^"]*" — not by '
    "splitting on commas: '\"a,b\"' is ONE tag. A tag starting with W/ never matches; any tag equal to "
    "`current` → None; else 412.",
)


def _served_task():
    """A chapter 10 API with one task of Ada's: (server context, auth headers, task URL)."""
    context = serving(ch10_http_caching.create_app(), name="check-ch10")
    api = context.__enter__()
    key = api.post("/users", json={"name": "Ada", "email": "ada@example.org", "password": PASSWORD}).json()["api_key"]
    auth = {"X-API-Key": key}
    task_id = api.post("/tasks", json={"title": "cached", "description": "first"}, headers=auth).json()["id"]
    return context, api, auth, f"/tasks/{task_id}"


class _Recording(httpx.Client):
    """A client that remembers the requests it sent and the statuses it got."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.seen: list[tuple[str, str | None, int]] = []

    def send(self, request: httpx.Request, **kwargs) -> httpx.Response:
        response = super().send(request, **kwargs)
        self.seen.append((request.method, request.headers.get("if-none-match"), response.status_code))
        return response


def _test_revalidate(fetch) -> None:
    context, api, auth, url = _served_task()
    try:
        with _Recording(base_url=api.url, timeout=10) as client:
            first = fetch(client, url, None)
            if not isinstance(first, dict) or set(first) != {"etag", "body"}:
                raise Incorrect(
                    "return a dict {'etag': ..., 'body': ...}.",
                    request=f"GET {url}",
                    expected="{'etag': ..., 'body': ...}",
                    got=first,
                )
            current = api.get(url)
            if first != {"etag": current.headers["etag"], "body": current.json()}:
                raise Incorrect(
                    "with nothing cached, return the ETag header and the JSON body of a plain GET.",
                    request=f"GET {url}",
                    expected={"etag": current.headers["etag"], "body": current.json()},
                    got=first,
                )
            client.seen.clear()
            again = fetch(client, url, first)
            if client.seen[-1:] != [("GET", first["etag"], 304)]:
                raise Incorrect(
                    "with a cached copy, send its ETag in If-None-Match: the server should answer "
                    "304 and send no body.",
                    request=f"GET {url}",
                    expected=f"GET with If-None-Match: {first['etag']} → 304",
                    got=[f"{m} (If-None-Match: {tag}) → {s}" for m, tag, s in client.seen],
                )
            if again != first:
                raise Incorrect(
                    "on 304 the cached copy is still current: return it unchanged.",
                    request=f"GET {url} (If-None-Match)",
                    expected=first,
                    got=again,
                )
            api.patch(url, json={"description": "second"}, headers={**auth, "If-Match": "*"})
            changed = api.get(url)
            fresh = fetch(client, url, first)
            if fresh != {"etag": changed.headers["etag"], "body": changed.json()}:
                raise Incorrect(
                    "after the task changed, the server answers 200 with the new version: return its "
                    "ETag and body, not the stale copy.",
                    request=f"GET {url} (If-None-Match)",
                    expected={"etag": changed.headers["etag"], "body": changed.json()},
                    got=fresh,
                )
            client.seen.clear()
            kept = fetch(client, url, fresh)
            if client.seen[-1:] != [("GET", fresh["etag"], 304)] or kept != fresh:
                raise Incorrect(
                    "revalidate with the ETag of the copy you were given (now the new version's).",
                    request=f"GET {url} with the copy of version 2",
                    expected=f"GET with If-None-Match: {fresh['etag']} → 304, the copy returned",
                    got=([f"{m} (If-None-Match: {tag}) → {s}" for m, tag, s in client.seen], kept),
                )
            other = api.post("/tasks", json={"title": "another"}, headers=auth)
            other_url = other.headers["location"]
            another = fetch(client, other_url, None)
            if another != {"etag": other.headers["etag"], "body": api.get(other_url).json()}:
                raise Incorrect(
                    "fetch the URL you were given.",
                    request=f"GET {other_url}",
                    expected={"etag": other.headers["etag"], "body": api.get(other_url).json()},
                    got=another,
                )
    finally:
        context.__exit__(None, None, None)


q2 = Exercise(
    "ch10.q2",
    "A client that revalidates",
    _test_revalidate,
    hint="headers = {'If-None-Match': cached['etag']} if cached else {}; response = client.get(url, headers=headers); "
    "on 304 return cached; else return {'etag': response.headers['etag'], 'body': response.json()}.",
)

WRITERS = 8
GIVE_UP = 50  # PATCHes against a server that always answers 412 before the check calls the retry loop unbounded
STALE_TASK = "/tasks/7"  # the task that always has a newer version than the one just read


class _ReadTogether(httpx.Client):
    """A client whose first GET in each thread waits until every writer has read: they all read the same version."""

    def __init__(self, writers: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.barrier = threading.Barrier(writers, timeout=10)
        self.local = threading.local()
        self.statuses: list[int] = []

    def send(self, request: httpx.Request, **kwargs) -> httpx.Response:
        response = super().send(request, **kwargs)
        if request.method == "GET" and not getattr(self.local, "waited", False):
            self.local.waited = True
            try:
                self.barrier.wait()
            except threading.BrokenBarrierError:
                pass  # a writer that never reads: let it go on, the check will say what went wrong
        elif request.method != "GET":
            self.statuses.append(response.status_code)
        return response


def _test_append_line(append_line) -> None:
    context, api, auth, url = _served_task()
    lines = [f"note {n}" for n in range(WRITERS)]
    try:
        with (
            _ReadTogether(
                WRITERS, base_url=api.url, timeout=30, limits=httpx.Limits(max_connections=WRITERS)
            ) as client,
            ThreadPoolExecutor(WRITERS) as pool,
        ):
            results = list(pool.map(lambda line: append_line(client, url, line, auth), lines))
        final = api.get(url).json()["description"].split("\n")
    finally:
        context.__exit__(None, None, None)
    if 428 in client.statuses:
        raise Incorrect(
            "a write was refused with 428: send If-Match with the ETag of the version you read.",
            request=f"PATCH {url}",
            expected="If-Match: <ETag>",
            got="no If-Match",
        )
    missing = [line for line in lines if line not in final]
    if missing:
        raise Incorrect(
            f"{len(missing)} of {WRITERS} concurrent appends were lost: a writer that gets 412 must read "
            "the task again and retry with the new ETag; and If-Match must carry the ETag you read "
            "('*' overwrites).",
            request=f"{WRITERS} × append_line at once",
            expected=lines,
            got=final,
        )
    if final[0] != "first" or len(final) != WRITERS + 1:
        raise Incorrect(
            "append to the description: keep what was there and add one line per call.",
            request=f"GET {url}",
            expected=["first", *lines],
            got=final,
        )
    if not all(isinstance(result, httpx.Response) and result.status_code == 200 for result in results):
        raise Incorrect(
            "return the response of the PATCH that succeeded (200).",
            request=f"PATCH {url}",
            expected=200,
            got=[getattr(result, "status_code", result) for result in results],
        )
    _test_gives_up(append_line, auth)


class _RetriedTooOften(BaseException):
    """Raised by the always-412 server to stop a retry loop with no bound."""

    # a BaseException: an answer's `except Exception` must not swallow it and loop on


def _always_stale() -> tuple[httpx.Client, list[tuple[str, float]]]:
    """A client whose server always has a newer version: every PATCH is 412. It records (method, time) per request."""
    seen: list[tuple[str, float]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path != STALE_TASK:
            return httpx.Response(404, json={"title": "Not Found", "status": 404})
        seen.append((request.method, time.monotonic()))
        if request.method == "GET":
            version = len(seen)
            return httpx.Response(200, json={"id": 1, "description": "first"}, headers={"ETag": f'"v{version}"'})
        if sum(method == "PATCH" for method, _ in seen) > GIVE_UP:
            raise _RetriedTooOften
        return httpx.Response(412, json={"title": "Precondition Failed", "status": 412})

    return httpx.Client(base_url="http://tasks.test", transport=httpx.MockTransport(answer)), seen


@contextmanager
def _sleeps_of_this_thread() -> Iterator[list[float]]:
    """The seconds each time.sleep call of this thread asked for, while the block runs (wall time would count a busy
    machine's delays as waiting: a retry loop without any sleep once took 5 ms beside other work)."""
    asked: list[float] = []
    me, real_sleep = threading.get_ident(), time.sleep

    def recording_sleep(seconds: float | SupportsIndex) -> None:
        if threading.get_ident() == me:
            asked.append(float(seconds))
        real_sleep(seconds)

    time.sleep = recording_sleep
    try:
        yield asked
    finally:
        time.sleep = real_sleep


def _test_gives_up(append_line, auth: dict) -> None:
    client, seen = _always_stale()
    request = "append_line against a server whose every PATCH is 412 (another writer always got there first)"
    with client, _sleeps_of_this_thread() as asked:
        try:
            result = append_line(client, STALE_TASK, "note", auth)
        except _RetriedTooOften:
            raise Incorrect(
                f"still retrying after {GIVE_UP} PATCHes: bound the retries (say 10 tries), then stop "
                "and return the last 412 so the caller can report it.",
                request=request,
                expected="a bounded number of tries",
                got=f"more than {GIVE_UP} PATCHes",
            ) from None
    patches = [at for method, at in seen if method == "PATCH"]
    if not isinstance(result, httpx.Response) or result.status_code != 412:
        raise Incorrect(
            "when every try is refused, return the last response (412): the caller must learn that "
            "the line was not added.",
            request=request,
            expected=412,
            got=getattr(result, "status_code", result),
        )
    # time.sleep(...) calls are counted as asked; a sleep imported by name (from time import sleep) is not seen,
    # so then the code is read for a call of it
    waited = sum(asked) >= 0.005 or (not asked and not misses_call(append_line, "sleep"))
    if not waited:
        raise Incorrect(
            "wait a little between tries, longer each time and at random (jittered backoff): "
            "writers that retry at once collide again.",
            request=request,
            expected="a random, growing wait between a 412 and the next read",
            got=f"{len(patches)} tries, {sum(asked) * 1000:.1f} ms of waiting in all",
        )


q3 = Exercise(
    "ch10.q3",
    "Append without losing an update",
    _test_append_line,
    hint="for attempt in range(10): task = client.get(url); description = task.json()['description'] + '\\n' + "
    "line; response = client.patch(url, json={'description': ...}, headers={**auth, 'If-Match': "
    "task.headers['etag']}); return it unless it is 412; else time.sleep(random.uniform(0, min(0.2, "
    "0.005 * 2 ** attempt))). After the loop, return the last (412) response.",
)
