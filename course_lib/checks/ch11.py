"""Checks for chapter 11 — scaling: an nginx upstream block, which state breaks across replicas, a shared counter."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import fakeredis
import redis

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
    statements: list[list[str]] = []
    current: list[str] = []
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
        raise Incorrect(
            "write one block: `upstream api { ... }` (the proxy_pass of the config names it: http://api).",
            request="the block's first and last lines",
            expected="upstream api { ... }",
            got=text,
        )
    servers, keepalive = {}, []
    for statement in statements[1:-1]:
        if statement[-1] != ";":
            raise Incorrect(
                "every directive inside the block ends with ';' (and no block nests in it).",
                request="the block's directives",
                expected="name value ...;",
                got=" ".join(statement),
            )
        name, args = statement[0], statement[1:-1]
        if name not in ALLOWED:
            raise Incorrect(
                f"`{name}` is not asked for: round-robin is nginx's default, the block lists servers "
                "(with weights) and keepalive.",
                request="the block's directives",
                expected=sorted(ALLOWED),
                got=name,
            )
        if name == "server":
            if not args:
                raise Incorrect(
                    "a server directive names an address: `server host:port;`.",
                    request="server ...;",
                    expected="server host:port;",
                    got=" ".join(statement),
                )
            weights = [
                int(arg.split("=", 1)[1])
                for arg in args[1:]
                if arg.startswith("weight=") and arg.split("=", 1)[1].isdigit()
            ]
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
            raise Incorrect(
                "list every server once, with `weight=N` where its weight is not 1 (a server of weight "
                "3 gets 3 of every 6 requests).",
                request=call,
                expected=servers,
                got=found,
            )
        if alive != [str(keepalive)]:
            raise Incorrect(
                f"keep {keepalive} idle connections to the upstreams open: `keepalive {keepalive};`.",
                request=call,
                expected=[str(keepalive)],
                got=alive,
            )
        if binary:  # nginx itself has the last word on the syntax
            with tempfile.TemporaryDirectory(prefix="check-ch11-") as folder:
                conf = nginx.write_config([], 8080, Path(folder), upstream=text)
                try:
                    nginx.check_config(binary, conf, Path(folder))
                except RuntimeError as refused:
                    raise Incorrect(
                        "nginx refuses this block inside a config.",
                        request=f"nginx -t with {call}",
                        expected="syntax is ok",
                        got=str(refused),
                    ) from None


q1 = Exercise(
    "ch11.q1",
    "An nginx upstream block with weights",
    _test_upstream,
    hint="Lines: 'upstream api {', then for each address, weight: 'server ADDRESS;' or 'server ADDRESS weight=W;' "
    "(when W is not 1), then 'keepalive N;', then '}'. Join them with newlines.",
)

# --- q2: which state breaks across replicas -----------------------------------------------------------------

STATES = {  # what is kept where → (breaks behind a load balancer over N replicas?, why)
    "a visit counter in a module-level variable": (True, "each process counts only the requests it served"),
    "logged-in sessions in a Python dict": (
        True,
        "a session created on one replica is unknown to the others: the user is logged out at random",
    ),
    "logged-in sessions in Redis (chapter 09)": (False, "every replica reads the same Redis"),
    "tasks in PostgreSQL": (False, "every replica reads and writes the same database"),
    "Idempotency-Key records in the process's memory": (
        True,
        "a retry that lands on another replica is not recognised: the POST runs twice",
    ),
    "settings read from environment variables at start": (
        False,
        "every replica gets the same environment: a per-process copy of the same values is fine",
    ),
    "rate-limit counters in the process's memory": (
        True,
        "each replica allows the full limit: N replicas allow N times as much",
    ),
    "uploaded files saved to the replica's local disk": (
        True,
        "the file exists on one machine only; store it in shared storage (S3, a volume, the database)",
    ),
    "a signed token (JWT) checked with the SECRET_KEY all replicas share": (
        False,
        "any replica verifies it with the same key: nothing is stored",
    ),
    "an in-process cache of GET /tasks responses, 60 s TTL": (
        True,
        "a write on one replica does not invalidate the others' copies: they serve stale data",
    ),
}
STATE_ITEMS = list(STATES)


def _test_breaks(breaks) -> None:
    if isinstance(breaks, dict) and breaks and all(value is None for value in breaks.values()):
        raise NotAttempted
    if not isinstance(breaks, dict) or set(breaks) != set(STATES):
        got = sorted(breaks) if isinstance(breaks, dict) else breaks
        raise Incorrect(
            "answer with a dict: every item of STATE_ITEMS → True (breaks across replicas) or False.",
            request="breaks",
            expected=STATE_ITEMS,
            got=got,
        )
    for item, (right, why) in STATES.items():
        if breaks[item] is not right:
            verdict = "breaks" if right else "works"
            raise Incorrect(
                f"{item!r} {verdict} behind a load balancer: {why}.",
                request=f"breaks[{item!r}]",
                expected=right,
                got=breaks[item],
            )


q2 = Exercise(
    "ch11.q2",
    "Which state breaks across replicas?",
    _test_breaks,
    hint="Ask of each: if request 1 goes to replica A and request 2 to replica B, does B see what A did? State in "
    "one process's memory or disk breaks; state in a shared service (database, Redis) or derived from the "
    "same inputs (environment, a shared key) does not.",
)

# --- q3: a counter every replica shares ---------------------------------------------------------------------

PROCESSES, THREADS, VISITS = 2, 4, 10  # two replica processes, each serving 4 requests at a time, 10 visits each
LATENCY = 0.002  # seconds added to every answer from Redis: the network between a replica and Redis
DEADLINE = 30.0  # seconds for the replica processes to finish


class _NetworkConnection(redis.Connection):
    """A connection to Redis whose every answer takes LATENCY longer, as over a network: a read-then-write
    (pipelined or not) leaves the window in which another replica's write slips between."""

    def read_response(self, *args, **kwargs):
        answer = super().read_response(*args, **kwargs)
        time.sleep(LATENCY)
        return answer


def _client(port: int) -> redis.Redis:
    """A replica's own client to the shared Redis (a real redis-py client: pipelines, WATCH and scripts work)."""
    pool = redis.ConnectionPool(host="127.0.0.1", port=port, decode_responses=True, connection_class=_NetworkConnection)
    return redis.Redis(connection_pool=pool)


@contextmanager
def _shared_redis() -> Iterator[int]:
    """A fakeredis server on a loopback TCP port that every replica process connects to; its port."""
    server = fakeredis.TcpFakeServer(("127.0.0.1", 0))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="check-ch11-redis", daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _values(port: int) -> list[str]:
    """Every string value and hash field value stored in the shared Redis."""
    raw = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
    values: list[Any] = []  # str: the client decodes responses
    for key in raw.keys("*"):
        kind = raw.type(key)
        if kind == "string":
            values.append(raw.get(key))
        elif kind == "hash":
            values.extend(raw.hvals(key))
    raw.close()
    return values


def _replica_process(count_visit, port: int, go: int, out: int) -> None:
    """In a forked child: wait for the start signal, count VISITS visits on each of THREADS threads, report."""
    os.read(go, 1)
    try:
        client = _client(port)
        with ThreadPoolExecutor(THREADS) as pool:
            counts = list(pool.map(lambda _: count_visit(client, "/c"), range(THREADS * VISITS)))
        report: dict[str, object] = {"counts": [count if type(count) is int else repr(count) for count in counts]}
    except BaseException as error:  # the learner's code failed in the replica: say how
        report = {"error": "".join(traceback.format_exception_only(type(error), error)).strip()}
    os.write(out, json.dumps(report).encode())


def _in_processes(count_visit, port: int) -> list[dict]:
    """Run count_visit in PROCESSES forked replica processes at once (a fork: the function needs no import)."""
    go_read, go_write = os.pipe()
    children = []
    for _ in range(PROCESSES):
        out_read, out_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: nothing of the kernel runs here but the learner's function
            try:
                os.close(go_write)
                os.close(out_read)
                _replica_process(count_visit, port, go_read, out_write)
            finally:
                os._exit(0)
        os.close(out_write)
        children.append((pid, out_read))
    os.close(go_read)
    os.write(go_write, b"g" * PROCESSES)  # one byte each: both start together
    os.close(go_write)
    reports, deadline = [], time.monotonic() + DEADLINE
    for pid, out_read in children:
        chunks = []
        while True:
            ready, _, _ = select.select([out_read], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(out_read, 65536) if ready else b""
            if not chunk:
                break
            chunks.append(chunk)
        os.close(out_read)
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        try:
            reports.append(json.loads(b"".join(chunks)))
        except ValueError:
            reports.append({"error": f"the replica process gave no answer within {DEADLINE:g} s"})
    return reports


def _in_threads(count_visit, port: int) -> list[dict]:
    """Where a process cannot fork (Windows): the same visits from threads of this process, with a client each."""
    clients = [_client(port) for _ in range(PROCESSES)]
    with ThreadPoolExecutor(PROCESSES * THREADS) as pool:
        counts = list(
            pool.map(lambda i: count_visit(clients[i % PROCESSES], "/c"), range(PROCESSES * THREADS * VISITS))
        )
    return [{"counts": counts}]


def _test_count_visit(count_visit) -> None:
    with _shared_redis() as port:
        first, second = _client(port), _client(port)
        steps = [(first, "/a", 1), (second, "/a", 2), (first, "/b", 1), (second, "/a", 3), (second, "/b", 2)]
        for replica, page, expected in steps:
            name = "replica 1" if replica is first else "replica 2"
            got = count_visit(replica, page)
            if got != expected or type(got) is not int:
                raise Incorrect(
                    "count in Redis, per page, and return the new count as an int: both replicas "
                    "share one counter per page.",
                    request=f"count_visit(<{name}'s redis>, {page!r})",
                    expected=expected,
                    got=got,
                )
        if "3" not in _values(port):
            raise Incorrect(
                "the count must live in Redis (where every replica sees it), not in this process.",
                request="the values stored in Redis after 3 visits to '/a'",
                expected="3 among them",
                got=_values(port),
            )
        total = PROCESSES * THREADS * VISITS
        reports = _in_processes(count_visit, port) if hasattr(os, "fork") else _in_threads(count_visit, port)
    request = (
        f"{total} × count_visit(..., '/c'): {PROCESSES} replica processes at once, {THREADS} threads each, on one Redis"
    )
    for report in reports:
        if "error" in report:
            raise Incorrect(
                "count_visit failed in a replica process.",
                request=request,
                expected="a count from every call",
                got=report["error"],
            )
    counts = [count for report in reports for count in report["counts"]]
    if sorted(counts, key=str) != sorted(range(1, total + 1), key=str):
        distinct = len({count for count in counts if type(count) is int and 1 <= count <= total})
        raise Incorrect(
            f"under concurrency {total - distinct} of {total} visits were lost or counted twice: reading "
            "the count and writing it back is two steps another replica can slip between — and a lock "
            "in one process does not stop another process. Use one atomic command (INCR).",
            request=request,
            expected=f"each of 1..{total} once",
            got=f"{distinct} distinct counts",
        )


q3 = Exercise(
    "ch11.q3",
    "A visit counter every replica shares",
    _test_count_visit,
    hint="One atomic command does read, add and write in Redis: return redis.incr(f'visits:{page}').",
)
