"""Checks for chapter 14 — cursor pagination: the keyset WHERE, the id tiebreak, a cursor's signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from course_lib.notebook.exercises import Exercise, Incorrect, NotAttempted
from course_lib.notebook.source_rules import misses_call
from course_lib.services.db import isolated_database
from course_lib.taskapi.sql_tables import TaskRow

BASE = datetime(2026, 1, 1, tzinfo=UTC)
LIMITS = (1, 3, 4, 5, 7, 10, 40)


def _tied_times(count: int = 40) -> list[tuple[int, datetime]]:
    """(id, created_at) of `count` tasks in groups of 4 created at one instant, ids not in time order."""
    return [(task_id, BASE + timedelta(seconds=((task_id * 7) % count) // 4)) for task_id in range(1, count + 1)]


def _newest_first(rows: list[tuple[int, datetime]]) -> list[int]:
    return [task_id for task_id, created_at in sorted(rows, key=lambda row: (row[1], row[0]), reverse=True)]


def _walk_problem(got: list[int], expected: list[int], what: str) -> str:
    """Why a walk's ids differ from the newest-first order."""
    if len(got) != len(set(got)):
        return (
            f"{what} showed a row twice: the row the cursor names was already on the previous page; keep only "
            "rows strictly after it (<, not <=)."
        )
    if set(got) < set(expected):
        return (
            f"{what} skipped rows: rows that share the last row's created_at but have a smaller id come after "
            "it too. Compare (created_at, id) together: created_at < c, or created_at = c and id < i."
        )
    return f"{what} did not come out newest first: rows after the cursor are older (smaller created_at, then id)."


def _test_after_key(after_key) -> None:
    if after_key(BASE, 1) is None:
        raise NotAttempted
    database = isolated_database()
    try:
        TaskRow.metadata.create_all(database.engine)
        rows = _tied_times()
        with Session(database.engine) as session, session.begin():
            session.add_all(
                TaskRow(id=task_id, title=f"t{task_id}", created_at=created_at) for task_id, created_at in rows
            )
        expected = _newest_first(rows)
        with Session(database.engine) as session:
            for limit in LIMITS:
                seen, condition, request = [], None, f"a walk with limit={limit}"
                for _ in range(len(rows) + 1):
                    statement = select(TaskRow).order_by(TaskRow.created_at.desc(), TaskRow.id.desc()).limit(limit)
                    if condition is not None:
                        statement = statement.where(condition)
                    page = list(session.scalars(statement))
                    if not page:
                        break
                    seen += [task.id for task in page]
                    last = page[-1]
                    condition = after_key(last.created_at, last.id)
                    request = f"after_key({last.created_at:%Y-%m-%d %H:%M:%S}, {last.id}) in a walk, limit={limit}"
                    if not isinstance(condition, ColumnElement):
                        raise Incorrect(
                            "return a SQLAlchemy condition (e.g. tuple_(...) < (...)), not a Python "
                            "value: it goes into .where(...).",
                            request=request,
                            expected="a SQL expression",
                            got=type(condition).__name__,
                        )
                    if len(seen) > len(rows):
                        break
                if seen != expected:
                    raise Incorrect(
                        _walk_problem(seen, expected, f"Paging {limit} at a time"),
                        request=request,
                        expected=expected,
                        got=seen,
                    )
    finally:
        database.drop()


q1 = Exercise(
    "ch14.q1",
    "The keyset WHERE clause",
    _test_after_key,
    hint="Rows after (c, i) in newest-first order are those with (created_at, id) < (c, i): "
    "tuple_(TaskRow.created_at, TaskRow.id) < (created_at, task_id).",
)

# (created_at as "HH:MM", id) of small lists, in no particular order, with ties on created_at.
PAGE_ROWS = [
    ("09:00", 1),
    ("09:05", 2),
    ("09:05", 3),
    ("09:05", 4),
    ("09:10", 5),
    ("09:00", 6),
    ("09:10", 7),
    ("09:05", 8),
    ("08:55", 9),
    ("09:05", 10),
]
OTHER_ROWS = [("10:00", 11), ("10:00", 14), ("09:59", 13), ("10:00", 12), ("10:01", 3)]
PAGE_CASES = [
    (PAGE_ROWS, None, 3),
    (PAGE_ROWS, None, 20),
    (PAGE_ROWS, ("09:05", 8), 2),
    (PAGE_ROWS, ("09:05", 4), 10),
    (PAGE_ROWS, ("09:10", 5), 3),
    (PAGE_ROWS, ("09:05", 2), 4),
    (PAGE_ROWS, ("08:55", 9), 5),
    (PAGE_ROWS, ("09:00", 1), 1),
    (PAGE_ROWS, ("09:30", 99), 2),
    (PAGE_ROWS, ("09:05", 100), 2),
    (PAGE_ROWS, ("09:05", 3), 1),
    (OTHER_ROWS, None, 2),
    (OTHER_ROWS, ("10:00", 13), 3),
    (OTHER_ROWS, ("10:00", 12), 5),
]


def _key(hhmm: str) -> str:
    return f"2026-01-01T{hhmm}:00Z"


def _rows(spec: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"id": task_id, "title": f"task {task_id}", "created_at": _key(hhmm)} for hhmm, task_id in spec]


def _expected_page(spec: list[tuple[str, int]], after: tuple[str, int] | None, limit: int) -> list[int]:
    order = sorted(((_key(hhmm), task_id) for hhmm, task_id in spec), reverse=True)
    return [task_id for created_at, task_id in order if after is None or (created_at, task_id) < after][:limit]


def _test_keyset_page(keyset_page) -> None:
    for spec, after, limit in PAGE_CASES:
        rows = _rows(spec)
        cursor = None if after is None else (_key(after[0]), after[1])
        request = f"keyset_page(rows, after={cursor}, limit={limit})"
        page = keyset_page(rows, cursor, limit)
        if page is None:
            raise NotAttempted
        if not isinstance(page, list) or not all(isinstance(row, dict) and "id" in row for row in page):
            raise Incorrect(
                "return a list of the row dicts on the page.", request=request, expected="a list of dicts", got=page
            )
        got, expected = [row["id"] for row in page], _expected_page(spec, cursor, limit)
        if got != expected:
            tied = {task_id for hhmm, task_id in spec if after is not None and hhmm == after[0]}
            if after is not None and after[1] in got:
                why = "the row the cursor names was on the previous page already: keep only rows strictly after it."
            elif tied & (set(expected) - set(got)):
                why = (
                    "rows that share the cursor's created_at but have a smaller id were skipped: compare "
                    "(created_at, id) together, not created_at alone."
                )
            else:
                why = (
                    "the page should hold the first `limit` rows after the cursor, newest first "
                    "(created_at descending, then id descending)."
                )
            raise Incorrect(why, request=request, expected=expected, got=got)
        if rows != _rows(spec):
            raise Incorrect("leave the rows you were given as they are: sort a copy (sorted(...)).", request=request)


q2 = Exercise(
    "ch14.q2",
    "The id tiebreak",
    _test_keyset_page,
    hint="Sort by (created_at, id) descending; keep rows whose (created_at, id) < after (Python compares tuples "
    "element by element); take the first `limit`.",
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _token(payload: Any, secret: str, *, raw: bytes | None = None) -> str:
    body = _b64(raw if raw is not None else json.dumps(payload).encode())
    return f"{body}.{_b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())}"


SECRET = "the server's secret"


def _signature_cases() -> list[tuple[str, str, str, Any]]:
    """(what, token, secret, expected) — expected None: refuse it."""
    good = {"k": [1767225600000000, 42], "iat": 1800000000}
    token = _token(good, SECRET)
    payload, signature = token.split(".")
    other = _token({"k": [1, 1]}, SECRET)
    forged = _b64(json.dumps({"k": [1767225600000000, 41], "iat": 1800000000}).encode())
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    return [
        ("a cursor the server signed", token, SECRET, good),
        ("another cursor the server signed", other, SECRET, {"k": [1, 1]}),
        (
            "a cursor signed with a secret of its own",
            _token({"a": "b"}, "another secret"),
            "another secret",
            {"a": "b"},
        ),
        ("the payload edited (id 42 → 41), the old signature kept", f"{forged}.{signature}", SECRET, None),
        ("the signature's last characters changed", f"{payload}.{flipped}", SECRET, None),
        ("a signature made with another secret", _token(good, "guessed secret"), SECRET, None),
        ("the signature of another cursor", f"{payload}.{other.split('.')[1]}", SECRET, None),
        ("the signature cut short", f"{payload}.{signature[:20]}", SECRET, None),
        ("no signature", payload, SECRET, None),
        ("an empty signature", f"{payload}.", SECRET, None),
        ("an empty string", "", SECRET, None),
        ("not base64url at all", "%%%.!!!", SECRET, None),
        ("three parts", f"{token}.{signature}", SECRET, None),
        ("signed, but the payload is not JSON", _token(None, SECRET, raw=b"\xff not json"), SECRET, None),
        ("signed JSON that is not an object", _token([1, 2], SECRET), SECRET, None),
        ("a signature with a non-ASCII character", f"{payload}.{signature[:-1]}é", SECRET, None),
        ("a payload with a non-ASCII character", f"é{payload}.{signature}", SECRET, None),
    ]


def _test_verify(verify) -> None:
    if misses_call(verify, "compare_digest"):
        raise Incorrect(
            "compare the signatures with hmac.compare_digest: `==` stops at the first differing "
            "character, so the time it takes tells an attacker how much of a forged signature is right."
        )
    for what, token, secret, expected in _signature_cases():
        got = verify(token, secret)
        if got != expected:
            why = (
                "this token is genuine: return its payload, decoded from base64url JSON."
                if expected is not None
                else "refuse this token (return None): "
                + (
                    "recompute the HMAC over the payload part and compare it with the signature part."
                    if "payload" not in what or "edited" in what
                    else "return the payload only when it is a JSON object."
                )
                + " Never raise."
            )
            raise Incorrect(why, request=f"verify({token!r}, {secret!r}) — {what}", expected=expected, got=got)


q3 = Exercise(
    "ch14.q3",
    "Verify a cursor's signature",
    _test_verify,
    hint="payload, _, signature = token.partition('.'); expected = b64url(hmac.new(secret.encode(), "
    "payload.encode(), hashlib.sha256).digest()); compare bytes, not str (compare_digest raises TypeError on "
    "non-ASCII str): if not hmac.compare_digest(expected.encode(), signature.encode()): return None; "
    "then decode the payload in a try (pad with '='), json.loads it, return it if it is a dict.",
)
