"""Checks for chapter 11 — scaling: an nginx upstream block, which state breaks across replicas, a shared counter."""

from __future__ import annotations

import re
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import fakeredis

from course_lib.lab import nginx
from course_lib.notebook.exercises import Exercise, Incorrect, NotAttempted

# --- q1: the upstream block ---------------------------------------------------------------------------------

UPSTREAM_CASES = [
    ({"127.0.0.1:8001": 1, "127.0.0.1:8002": 1}, 16),
    ({"10.0.0.5:8000": 1, "10.0.0.6:8000": 2, "10.0.0.7:8000": 3}, 8),
]
ALLOWED = {"server", "keepalive", "keepalive_timeout", "keepalive_requests", "keepalive_time", "zone"}


def _statements(text: str) -> list[list[str]]:
    """nginx's syntax in miniature: comments dropped, words grouped into statements, braces as their own words."""
    words = re.findall(r"[{};]|[^\s{};]+", re.sub(r"#[^\n]*", "", text))
    statements, current = [], []
    for word in words:
        if word in "{};":
            if current or word != ";":
                statements.append([*current, word])
            current = []
        else:
            current.append(word)
    if current:
        statements.append(current)
    return statements


def _parse_upstream(text: str) -> tuple[dict[str, int], list[str]]:
    """({address: weight}, keepalive values) of an `upstream api { ... }` block; Incorrect when it is not one."""
    statements = _statements(text)
    if not statements or statements[0] != ["upstream", "api", "{"] or statements[-1] != ["}"]:
        raise Incorrect("write one block: `upstream api { ... }` (the proxy_pass of the config names it: "
                        "http://api).", request="the block's first and last lines",
                        expected="upstream api { ... }", got=text)
    servers, keepalive = {}, []
    for statement in statements[1:-1]:
        if statement[-1] != ";":
            raise Incorrect("every directive inside the block ends with ';' (and no block nests in it).",
                            request="the block's directives", expected="name value ...;", got=" ".join(statement))
        name, args = statement[0], statement[1:-1]
        if name not in ALLOWED:
            raise Incorrect(f"`{name}` is not asked for: round-robin is nginx's default, the block lists servers "
                            "(with weights) and keepalive.", request="the block's directives",
                            expected=sorted(ALLOWED), got=name)
        if name == "server":
            if not args:
                raise Incorrect("a server directive names an address: `server host:port;`.",
                                request="server ...;", expected="server host:port;", got=" ".join(statement))
            weights = [int(arg.split("=", 1)[1]) for arg in args[1:]
                       if arg.startswith("weight=") and arg.split("=", 1)[1].isdigit()]
            servers[args[0]] = weights[0] if weights else 1
        elif name == "keepalive":
            keepalive.extend(args)
    return servers, keepalive


def _test_upstream(upstream_block) -> None:
    binary = nginx.find_nginx()
    for servers, keepalive in UPSTREAM_CASES:
        call = f"upstream_block({servers}, keepalive={keepalive})"
        text = upstream_block(dict(servers), keepalive)
        if not isinstance(text, str):
            raise Incorrect("return the block as a string.", request=call, expected="str", got=text)
        found, alive = _parse_upstream(text)
        if found != servers:
            raise Incorrect("list every server once, with `weight=N` where its weight is not 1 (a server of weight "
                            "3 gets 3 of every 6 requests).", request=call,
                            expected=servers, got=found)
        if alive != [str(keepalive)]:
            raise Incorrect(f"keep {keepalive} idle connections to the upstreams open: `keepalive {keepalive};`.",
                            request=call, expected=[str(keepalive)], got=alive)
        if binary:  # nginx itself has the last word on the syntax
            with tempfile.TemporaryDirectory(prefix="check-ch11-") as folder:
                conf = nginx.write_config([], 8080, Path(folder), upstream=text)
                try:
                    nginx.check_config(binary, conf, Path(folder))
                except RuntimeError as refused:
                    raise Incorrect("nginx refuses this block inside a config.", request=f"nginx -t with {call}",
                                    expected="syntax is ok", got=str(refused)) from None


q1 = Exercise(
    "ch11.q1", "An nginx upstream block with weights", _test_upstream,
    hint="Lines: 'upstream api {', then for each address, weight: 'server ADDRESS;' or 'server ADDRESS weight=W;' "
         "(when W is not 1), then 'keepalive N;', then '}'. Join them with newlines.",
)

# --- q2: which state breaks across replicas -----------------------------------------------------------------

STATES = {  # what is kept where → (breaks behind a load balancer over N replicas?, why)
    "a visit counter in a module-level variable": (True, "each process counts only the requests it served"),
    "logged-in sessions in a Python dict": (True, "a session created on one replica is unknown to the others: "
                                                  "the user is logged out at random"),
    "logged-in sessions in Redis (chapter 09)": (False, "every replica reads the same Redis"),
    "tasks in PostgreSQL": (False, "every replica reads and writes the same database"),
    "Idempotency-Key records in the process's memory": (True, "a retry that lands on another replica is not "
                                                              "recognised: the POST runs twice"),
    "settings read from environment variables at start": (False, "every replica gets the same environment: a "
                                                                 "per-process copy of the same values is fine"),
    "rate-limit counters in the process's memory": (True, "each replica allows the full limit: N replicas allow "
                                                          "N times as much"),
    "uploaded files saved to the replica's local disk": (True, "the file exists on one machine only; store it in "
                                                               "shared storage (S3, a volume, the database)"),
    "a signed token (JWT) checked with the SECRET_KEY all replicas share": (False, "any replica verifies it with "
                                                                                   "the same key: nothing is stored"),
    "an in-process cache of GET /tasks responses, 60 s TTL": (True, "a write on one replica does not invalidate "
                                                                    "the others' copies: they serve stale data"),
}
STATE_ITEMS = list(STATES)


def _test_breaks(breaks) -> None:
    if isinstance(breaks, dict) and breaks and all(value is None for value in breaks.values()):
        raise NotAttempted
    if not isinstance(breaks, dict) or set(breaks) != set(STATES):
        got = sorted(breaks) if isinstance(breaks, dict) else breaks
        raise Incorrect("answer with a dict: every item of STATE_ITEMS → True (breaks across replicas) or False.",
                        request="breaks", expected=STATE_ITEMS, got=got)
    for item, (right, why) in STATES.items():
        if breaks[item] is not right:
            verdict = "breaks" if right else "works"
            raise Incorrect(f"{item!r} {verdict} behind a load balancer: {why}.", request=f"breaks[{item!r}]",
                            expected=right, got=breaks[item])


q2 = Exercise(
    "ch11.q2", "Which state breaks across replicas?", _test_breaks,
    hint="Ask of each: if request 1 goes to replica A and request 2 to replica B, does B see what A did? State in "
         "one process's memory or disk breaks; state in a shared service (database, Redis) or derived from the "
         "same inputs (environment, a shared key) does not.",
)

# --- q3: a counter every replica shares ---------------------------------------------------------------------

THREADS, VISITS = 8, 10


class _Replica:
    """A Redis client as one replica holds it, each command a little slow: read-then-write races show."""

    def __init__(self, server: fakeredis.FakeServer) -> None:
        self._redis = fakeredis.FakeRedis(server=server, decode_responses=True)
        self._lock = threading.Lock()

    def __getattr__(self, name: str):
        method = getattr(self._redis, name)
        if not callable(method):
            return method

        def slow(*args, **kwargs):
            with self._lock:  # fakeredis clients are not thread-safe; a real connection pool is
                result = method(*args, **kwargs)
            time.sleep(0.002)  # the network between the replica and Redis
            return result

        return slow


def _values(server: fakeredis.FakeServer) -> list[str]:
    """Every string value and hash field value stored in `server`."""
    raw = fakeredis.FakeRedis(server=server, decode_responses=True)
    values = []
    for key in raw.keys("*"):
        kind = raw.type(key)
        if kind == "string":
            values.append(raw.get(key))
        elif kind == "hash":
            values.extend(raw.hvals(key))
    return values


def _test_count_visit(count_visit) -> None:
    server = fakeredis.FakeServer()
    first, second = _Replica(server), _Replica(server)
    steps = [(first, "/a", 1), (second, "/a", 2), (first, "/b", 1), (second, "/a", 3), (second, "/b", 2)]
    for replica, page, expected in steps:
        name = "replica 1" if replica is first else "replica 2"
        got = count_visit(replica, page)
        if got != expected or type(got) is not int:
            raise Incorrect("count in Redis, per page, and return the new count as an int: both replicas share "
                            "one counter per page.", request=f"count_visit(<{name}'s redis>, {page!r})",
                            expected=expected, got=got)
    if "3" not in _values(server):
        raise Incorrect("the count must live in Redis (where every replica sees it), not in this process.",
                        request="the values stored in Redis after 3 visits to '/a'", expected="3 among them",
                        got=_values(server))
    with ThreadPoolExecutor(THREADS) as pool:
        counts = list(pool.map(lambda i: count_visit(first if i % 2 else second, "/c"), range(THREADS * VISITS)))
    if sorted(counts) != list(range(1, THREADS * VISITS + 1)):
        lost = THREADS * VISITS - len(set(counts))
        raise Incorrect(f"under concurrency {lost} visits were lost or counted twice: reading the count and writing "
                        "it back is two steps another replica can slip between. Use one atomic command (INCR).",
                        request=f"{THREADS * VISITS} × count_visit(..., '/c') from {THREADS} threads on 2 replicas",
                        expected=f"each of 1..{THREADS * VISITS} once", got=f"{len(set(counts))} distinct counts")


q3 = Exercise(
    "ch11.q3", "A visit counter every replica shares", _test_count_visit,
    hint="One atomic command does read, add and write in Redis: return redis.incr(f'visits:{page}').",
)
