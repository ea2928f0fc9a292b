"""A seeded random fuzz: a bounded number of odd requests against a live loopback server, to show none yields a 500.

report = fuzz(server, ["POST /tasks", "GET /tasks/{id}"], examples={"POST /tasks": {"title": "a"}})
assert report.ok, report.failures
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from course_lib.web.problems import PROBLEM_JSON

# Values that break naive code: wrong types, edges of ranges, odd text, look-alikes of formats.
ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2**31,
    2**63,
    -(2**63) - 1,
    10**40,
    1.5,
    -0.0,
    1e308,
    "",
    " ",
    "\t\n",
    "\x00",
    "a" * 5000,
    "ünïcødé ✓",
    "🙂" * 10,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "not-an-email",
    "a@b",
    "x@example.com",
    "00000000-0000-0000-0000-000000000000",
    "2026-13-45T99:00:00Z",
    "2026-01-01T00:00:00+14:00",
    [],
    [1, "two", None],
    {},
    {"nested": {"deeper": [None]}},
]
ODD_PATH_PARTS = ["1", "2", "0", "-1", "999999", str(2**63), str(10**40), "abc", "1.5", "%00", "ü", "a b", "..", "1e3"]
ODD_QUERY = [
    "",
    "0",
    "-1",
    "1",
    "100",
    "101",
    "10000000000000000000000",
    "abc",
    "true",
    "maybe",
    "-created_at",
    "title",
    "password_hash",
    "1;DROP TABLE tasks",
    "%",
    "ü",
]
RAW_BODIES = [
    b"",
    b"{",
    b"null",
    b"[]",
    b'"text"',
    b"NaN",
    b'{"title": NaN}',
    b'{"title": Infinity}',
    b"\xff\xfe\x00",
    b'{"a": 1, "a": 2}',
    b"[" * 300 + b"]" * 300,
    b'{"title": "a"}' * 3,
]
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "application/xml",
    "application/x-www-form-urlencoded",
    None,
]


@dataclass
class FuzzReport:
    """What the fuzz sent and got: status counts, 5xx answers, and error answers that were not problem+json."""

    count: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    not_problem: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no request got a 5xx (or no answer at all)."""
        return not self.failures

    def summary(self) -> str:
        """One stable line: how many requests, which statuses, how many failures."""
        codes = ", ".join(str(code) for code in sorted(self.statuses))
        return f"{self.count} requests · statuses seen: {codes} · 5xx: {len(self.failures)}"


def odd_value(rng: random.Random) -> Any:
    """One value from ODD_VALUES, or a random integer, string or nesting."""
    kind = rng.random()
    if kind < 0.7:
        return rng.choice(ODD_VALUES)
    if kind < 0.8:
        return rng.randint(-(2**70), 2**70)
    if kind < 0.9:
        return "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(rng.randint(1, 40)))
    value: Any = rng.choice(ODD_VALUES[:12])
    for _ in range(rng.randint(1, 30)):
        value = [value] if rng.random() < 0.5 else {"k": value}
    return value


def mutate(example: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A copy of a valid body with one or more fields dropped, replaced by odd values, or unknown fields added."""
    body = dict(example)
    for _ in range(rng.randint(1, 3)):
        action = rng.random()
        if action < 0.25 and body:
            body.pop(rng.choice(sorted(body)))
        elif action < 0.8 and body:
            body[rng.choice(sorted(body))] = odd_value(rng)
        else:
            body[rng.choice(["id", "owner_id", "role", "password_hash", "is_admin", "created_at", "extra"])] = (
                odd_value(rng)
            )
    return body


def random_body(example: dict[str, Any] | None, rng: random.Random) -> tuple[bytes, str | None]:
    """Bytes and a Content-Type: usually a mutated example, sometimes random JSON, raw junk or the wrong type."""
    kind = rng.random()
    content_type: str | None = "application/json"
    if kind < 0.55 and example is not None:
        content = json.dumps(mutate(example, rng)).encode()
    elif kind < 0.75:
        content = json.dumps(odd_value(rng)).encode()
    elif kind < 0.9:
        content = rng.choice(RAW_BODIES)
    else:
        content = json.dumps(example or {}).encode()
        content_type = rng.choice(CONTENT_TYPES)
    return content, content_type


def random_path(template: str, rng: random.Random) -> str:
    """The endpoint's path with each {param} filled with an odd value, URL-quoted."""
    parts = []
    for part in template.strip("/").split("/"):
        parts.append(quote(rng.choice(ODD_PATH_PARTS), safe="") if part.startswith("{") else part)
    return "/" + "/".join(parts)


def random_query(keys: list[str], rng: random.Random) -> dict[str, str]:
    """A few query parameters, known ones and unknown ones, with odd values."""
    chosen = rng.sample(keys, k=rng.randint(0, len(keys))) if keys else []
    if rng.random() < 0.2:
        chosen.append(rng.choice(["unknown", "limit[]", "page", ""]))
    return {key: rng.choice(ODD_QUERY) for key in chosen}


def fuzz(
    server,
    endpoints: list[str],
    count: int = 200,
    seed: int = 0,
    examples: dict[str, dict[str, Any]] | None = None,
    query: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> FuzzReport:
    """Send `count` odd requests spread over `endpoints` ("METHOD /path/{id}"); same seed, same requests."""
    rng = random.Random(seed)
    examples, query = examples or {}, query or {}
    report = FuzzReport()
    for _ in range(count):
        endpoint = rng.choice(endpoints)
        method, template = endpoint.split(" ", 1)
        path = random_path(template, rng) if rng.random() < 0.6 else template.replace("{id}", "1")
        request_headers = dict(headers or {})
        content = b""
        if method in ("POST", "PUT", "PATCH"):
            content, content_type = random_body(examples.get(endpoint), rng)
            if content_type:
                request_headers["content-type"] = content_type
        params = random_query(query.get(endpoint, []), rng)
        described = f"{method} {path}" + (f"?{params}" if params else "")
        described += f" body={content[:80]!r}" if content else ""
        try:
            response = _send(server, method, path, params, content, request_headers)
        except httpx.HTTPError as error:
            report.failures.append(f"{described} → no answer ({type(error).__name__})")
            continue
        report.count += 1
        report.statuses[response.status_code] += 1
        if response.status_code >= 500:
            report.failures.append(f"{described} → {response.status_code}")
        if response.status_code >= 400 and response.headers.get("content-type") != PROBLEM_JSON:
            report.not_problem.append(f"{described} → {response.status_code} {response.headers.get('content-type')}")
    return report


def _send(server, method: str, path: str, params: dict, content: bytes, headers: dict) -> httpx.Response:
    """One request; sent again once if it met a kept-alive connection the server had closed (after a 500, say)."""
    try:
        return server.request(method, path, params=params, content=content, headers=headers)
    except httpx.TransportError:
        return server.request(method, path, params=params, content=content, headers=headers)
