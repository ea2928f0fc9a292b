"""Checks for chapter 21 — observability: a request id a client cannot abuse, a quantile read from a histogram's
buckets, and the step of a trace where the time went."""

from __future__ import annotations

import math
import re

from course_lib.notebook.exercises import Exercise, Incorrect

SAFE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
KEPT = [
    "abc-123",
    "0",
    "-",
    "req_1.2:3",
    "550e8400-e29b-41d4-a716-446655440000",
    "a" * 64,
    "Z" * 63 + "9",
    "trace:7f.ab_CD-01",
]
REPLACED = {
    None: "no X-Request-ID sent",
    "": "an empty id",
    "a" * 65: "65 characters: over the limit of 64",
    "x" * 2000: "2,000 characters: a log line the size of a page",
    "has space": "a space",
    "two\nlines": "a newline: the rest would read as a second, forged log line",
    "ticket-1\n": "a trailing newline (re.match with $ lets it through: $ matches before a final newline)",
    'ok" level="error': "a quote",
    "x\r\nlevel=error msg=forged": "CR LF and a forged entry",
    "café": "é is not ASCII (\\w and str.isalnum() accept it)",
    "٣٤": "Arabic-Indic digits (str.isdigit() accepts them)",
    "a;b": "a ;",
    "a/b": "a /",
    "<script>": "< and >",
    "tab\there": "a tab",
}


def _test_request_id_for(request_id_for) -> None:
    for sent in KEPT:
        call = f"request_id_for({sent!r})"
        got = request_id_for(sent)
        if got != sent:
            raise Incorrect(
                "a well-formed id (1 to 64 of A–Z a–z 0–9 . _ : -) is the client's: keep it as sent, so the client "
                "and the server name the request alike.",
                request=call,
                expected=sent,
                got=got,
            )
    generated: list[str] = []
    for bad, why in REPLACED.items():
        call = f"request_id_for({bad!r})"
        got = request_id_for(bad)
        if got == bad or (isinstance(got, str) and isinstance(bad, str) and bad and bad in got):
            raise Incorrect(
                f"{why}: this id must not reach a log line or a header; answer a new one instead.",
                request=call,
                expected="a new id",
                got=got,
            )
        if not isinstance(got, str) or SAFE.fullmatch(got) is None:
            raise Incorrect(
                "a new id must be well-formed itself (1 to 64 of A–Z a–z 0–9 . _ : -): uuid.uuid4().hex is.",
                request=call,
                expected="an id like 3f2b9c0e8d7a4b1c9e6f5a4d3c2b1a09",
                got=got,
            )
        generated.append(got)
    again = [request_id_for(None) for _ in range(50)]
    ids = generated + again
    if len(set(ids)) != len(ids):
        raise Incorrect(
            "two requests got the same new id: every request needs its own, or their log lines mix.",
            request=f"request_id_for(...) {len(ids)} times with ids it must replace",
            expected=f"{len(ids)} different ids",
            got=f"{len(set(ids))} different ids",
        )
    short = min(ids, key=len)
    if len(short) < 16:
        raise Incorrect(
            "a new id must be random and long enough not to collide across a busy day (at least 16 characters; "
            "uuid.uuid4().hex has 32).",
            request="request_id_for(None)",
            expected="at least 16 characters",
            got=short,
        )


q1 = Exercise(
    "ch21.q1",
    "A request id a client cannot abuse",
    _test_request_id_for,
    hint="import re, uuid; keep `sent` if it is not None and re.fullmatch(r'[A-Za-z0-9._:-]{1,64}', sent); else "
    "return uuid.uuid4().hex. Not \\w and not str.isalnum(): both accept letters that are not ASCII.",
)

INF = math.inf
LATENCY = [(0.01, 50.0), (0.025, 80.0), (0.05, 90.0), (0.1, 95.0), (0.25, 99.0), (0.5, 100.0), (INF, 100.0)]
CASES = [  # (buckets, q, expected)
    (LATENCY, 0.5, 0.01),
    (LATENCY, 0.49, 0.01),
    (LATENCY, 0.51, 0.025),
    (LATENCY, 0.8, 0.025),
    (LATENCY, 0.81, 0.05),
    (LATENCY, 0.95, 0.1),
    (LATENCY, 0.96, 0.25),
    (LATENCY, 0.99, 0.25),
    (LATENCY, 1.0, 0.5),
    (LATENCY, 0.0, 0.01),
    ([(0.1, 3.0), (1.0, 7.0), (INF, 10.0)], 0.7, 1.0),
    ([(0.1, 3.0), (1.0, 7.0), (INF, 10.0)], 0.71, INF),
    ([(0.1, 3.0), (1.0, 7.0), (INF, 10.0)], 0.25, 0.1),
    ([(0.1, 0.0), (1.0, 0.0), (INF, 4.0)], 0.5, INF),
    ([(0.005, 2.0), (0.01, 2.0), (INF, 2.0)], 0.99, 0.005),
]


def _test_quantile(quantile) -> None:
    for buckets, q, expected in CASES:
        call = f"quantile({buckets}, {q})"
        got = quantile(list(buckets), q)
        if got != expected:
            total = buckets[-1][1]
            raise Incorrect(
                f"the {q:g} quantile is the smallest bound `le` whose cumulative count is at least {q:g} × total "
                f"= {q * total:g} of {total:g} requests (cumulative: each bucket counts every request at most that "
                "slow, the ones of the buckets before it included).",
                request=call,
                expected=expected,
                got=got,
            )
    empty = [(0.1, 0.0), (1.0, 0.0), (INF, 0.0)]
    got = quantile(empty, 0.95)
    if got is not None:
        raise Incorrect(
            "no request counted yet: there is no latency to report, return None (a dashboard shows a gap, not 0).",
            request=f"quantile({empty}, 0.95)",
            expected=None,
            got=got,
        )


q2 = Exercise(
    "ch21.q2",
    "A quantile from a histogram's buckets",
    _test_quantile,
    hint="total = buckets[-1][1]; if total == 0 return None; return the first le with count >= q * total.",
)


def span(name: str, span_id: int, parent: int | None, start: float, end: float) -> dict:
    """One span as the exercise describes it (times in ms)."""
    return {"name": name, "span_id": span_id, "parent_id": parent, "start": start, "end": end}


TRACES = [
    (  # the slow step is a grandchild: the deepest span that holds the time itself
        [
            span("GET /tasks", 1, None, 0, 320),
            span("fastapi.dependencies", 2, 1, 1, 11),
            span("fastapi.endpoint", 3, 1, 12, 312),
            span("SELECT tasks", 4, 3, 14, 300),
            span("GET cache", 5, 3, 301, 303),
            span("fastapi.serialization", 6, 1, 313, 318),
        ],
        "SELECT tasks",
    ),
    (  # the endpoint itself is slow (Python work), its queries fast: the time is its own
        [
            span("GET /report", 1, None, 0, 400),
            span("fastapi.endpoint", 2, 1, 5, 395),
            span("SELECT a", 3, 2, 10, 30),
            span("SELECT b", 4, 2, 40, 60),
            span("SELECT c", 5, 2, 70, 90),
        ],
        "fastapi.endpoint",
    ),
    (  # many small children add up in their parent, but none of them is the slow step
        [
            span("GET /users/{id}/tasks", 1, None, 0, 215),
            span("fastapi.endpoint", 2, 1, 0, 190),
            *[span(f"SELECT page {n}", 10 + n, 2, 10 * n, 10 * n + 9) for n in range(19)],
            span("fastapi.serialization", 3, 1, 190, 215),
        ],
        "fastapi.serialization",
    ),
    (  # spans arrive in the order they ended, not started: children before parents
        [
            span("SELECT users", 3, 2, 2, 4),
            span("fastapi.dependencies", 2, 1, 1, 5),
            span("SET cache", 5, 4, 10, 140),
            span("fastapi.endpoint", 4, 1, 6, 150),
            span("GET /tasks/{id}", 1, None, 0, 160),
        ],
        "SET cache",
    ),
    (  # the endpoint's own work is the slow step: only its direct children count against it, not theirs
        [
            span("GET /export", 1, None, 0, 410),
            span("fastapi.endpoint", 2, 1, 5, 405),
            span("load rows", 3, 2, 10, 160),
            span("SELECT rows", 4, 3, 12, 150),
        ],
        "fastapi.endpoint",
    ),
    (  # a server span with no child: all its time is its own
        [span("GET /health", 1, None, 0, 3)],
        "GET /health",
    ),
]


def self_times(spans: list[dict]) -> dict[str, float]:
    """Each span's duration minus its direct children's."""
    own = {s["span_id"]: s["end"] - s["start"] for s in spans}
    for s in spans:
        if s["parent_id"] is not None:
            own[s["parent_id"]] -= s["end"] - s["start"]
    return {s["name"]: own[s["span_id"]] for s in spans}


def _test_slowest_step(slowest_step) -> None:
    for spans, expected in TRACES:
        root = next(s["name"] for s in spans if s["parent_id"] is None)
        call = f"slowest_step(<the {len(spans)} spans of a trace of {root}>)"
        got = slowest_step([dict(s) for s in spans])
        if got != expected:
            own = self_times(spans)
            why = (
                "the server span lasts as long as the whole request, so it is always the longest; "
                if got == max(spans, key=lambda s: s["end"] - s["start"])["name"]
                else ""
            )
            raise Incorrect(
                f"{why}the slow step is the span with the most time of its own: its duration minus its direct "
                f"children's. Here: {', '.join(f'{name} {ms:g} ms' for name, ms in own.items())}.",
                request=call,
                expected=expected,
                got=got,
            )


q3 = Exercise(
    "ch21.q3",
    "Where a trace spent its time",
    _test_slowest_step,
    hint="own = {s['span_id']: s['end'] - s['start'] for s in spans}; subtract each span's duration from its "
    "parent's entry; return the name of the span whose own time is largest.",
)
