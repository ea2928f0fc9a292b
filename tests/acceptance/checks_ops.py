"""Checks 17, 19 and 20 of issue 17: how the app behaves as a process, served by uvicorn in a process of its own.

Each takes the served app (harness.Live: its OpenAPI, and for check 19 the app to forge tokens against) and the
factory's `module:function`, which it starts again with `uvicorn --factory` on loopback: under load and SIGTERM
(17), without a signing key or with one from the repository (19), behind the course's nginx config (20). The
processes share a database and a Redis as replicas do (course_lib/lab/replicas.py) and are stopped before the check
returns.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import httpx

from course_lib.lab import children
from course_lib.lab.children import HOST, free_port
from course_lib.lab.replicas import Replica, SharedBackends, shared_backends, start_replicas
from tests.acceptance.checks import not_applicable, repository_keys
from tests.acceptance.harness import PASSWORD, Live, counts

ROOT = Path(__file__).resolve().parents[2]
# A load generator is one address sending the traffic of many: chapter 20's per-address limit (3,000/min) is raised
# past what it sends (as tools/bench/apps.py's LOAD_RATE_LIMIT), so a 429 would be a failure of the limiter's budget,
# not of the app.
LOAD_RATE_LIMIT = "100000000 per minute"
NOT_A_CLIENT = ("203.0.113.", "198.51.100.")  # documentation addresses (RFC 5737): what a lying client claims


# ---------------------------------------------------------------------------------------------------------------- #
# The app in a uvicorn process of its own.
@contextmanager
def served_apart(
    spec: str, env: dict[str, str] | None = None, empty_redis: bool = False
) -> Iterator[tuple[Replica, SharedBackends]]:
    """The factory `spec` served by one uvicorn process (a replica, with a database of its own and REDIS_URL's Redis;
    `empty_redis`: a fakeredis server of its own, whose counters start at zero)."""
    from course_lib.services.settings import get_settings

    backends = shared_backends(get_settings().model_copy(update={"redis_url": None}) if empty_redis else None)
    try:
        replicas = start_replicas(1, backends, app=spec, env={"SECRET_KEY": secrets.token_urlsafe(32), **(env or {})})
        try:
            yield replicas.members[0], backends
        finally:
            replicas.stop()
    finally:
        backends.stop()


def user_headers(live: Live, client: httpx.Client) -> dict[str, str]:
    """A new user of the process `client` talks to, as the suite authenticates: a Bearer token, else the API key."""
    email = f"ops.{secrets.token_hex(4)}@example.org"
    created = client.post("/users", json={"name": "Ops", "email": email, "password": PASSWORD})
    assert created.status_code == 201, f"POST /users → {created.status_code}: {created.text[:300]}"
    if live.has("post", "/tokens"):
        token = client.post("/tokens", json={"email": email, "password": PASSWORD})
        assert token.status_code == 200, f"POST /tokens → {token.status_code}: {token.text[:300]}"
        return {"Authorization": f"Bearer {token.json()['access_token']}"}
    return {"X-API-Key": created.json()["api_key"]}


# ---------------------------------------------------------------------------------------------------------------- #
def check_17_load_and_sigterm(live: Live, spec: str) -> str:
    """Authenticated GET /tasks/{id} from many connections for a while → no answer below 200 or above 299; SIGTERM
    under load → every request the server has begun is answered, then the process exits."""
    from course_lib.lab.load import measure

    users, seconds = counts(16, 64), counts(3, 20)
    with served_apart(spec, {"RATE_LIMIT": LOAD_RATE_LIMIT}) as (replica, _):
        with httpx.Client(base_url=replica.url, timeout=30) as client:
            headers = user_headers(live, client)
            task = client.post("/tasks", json={"title": "under load"}, headers=headers)
            assert task.status_code == 201, f"POST /tasks → {task.status_code}: {task.text[:300]}"
        path = f"/tasks/{task.json()['id']}"
        result = measure(f"{replica.url}{path}", users=users, seconds=seconds, headers=headers)
        assert result.requests > 0, f"the load generator sent nothing: {result}"
        assert result.failures == 0, f"GET /tasks/{{id}} under load: {result} (a failure: ≥ 400 or no answer)"
        drained = sigterm_under_load(replica, path, headers)
    return (
        f"GET /tasks/{{id}}, {users} connections × {seconds} s: {result.requests} requests, 0 non-2xx, "
        f"{result.throughput:.0f}/s, p50 {result.p50_ms:.0f} ms, p99 {result.p99_ms:.0f} ms; {drained}"
    )


def sigterm_under_load(replica: Replica, path: str, headers: dict[str, str]) -> str:
    """SIGTERM while clients send GET `path` and a few POST /tasks are in flight (the app has asked for their body:
    100 Continue); then each body is sent and each must be answered 201."""
    readers, slow = counts(8, 16), counts(4, 16)
    answers: Counter[str] = Counter()
    stop, signalled = threading.Event(), threading.Event()

    def read_until_stopped() -> None:
        with httpx.Client(base_url=replica.url, timeout=30) as client:
            while not stop.is_set():
                try:
                    status = client.get(path, headers=headers).status_code
                except httpx.TransportError:  # a connection the server closed or no longer accepts: after SIGTERM
                    answers["not accepted after SIGTERM" if signalled.is_set() else "transport error before"] += 1
                    time.sleep(0.01)
                    continue
                answers[str(status // 100 * 100 if 200 <= status < 300 else status)] += 1

    with ThreadPoolExecutor(readers) as pool:
        try:
            for _ in range(readers):
                pool.submit(read_until_stopped)
            deadline = time.monotonic() + 30
            while sum(answers.values()) < readers * 5:  # every reader has had answers: the server is under load
                assert time.monotonic() < deadline, f"GET {path}: {dict(answers)} in 30 s, before any SIGTERM"
                time.sleep(0.01)
            begun = [begun_post(replica.port, headers, number) for number in range(slow)]
            before = sum(answers.values())
            replica.process.send_signal(signal.SIGTERM)
            signalled.set()
            time.sleep(0.3)  # SIGTERM handled: listening stopped, idle connections closed, begun requests waited for
            statuses = [finish(sock, body) for sock, body in begun]
        finally:
            stop.set()
    try:
        code = replica.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        raise AssertionError("the server still runs 30 s after SIGTERM, with every request answered") from None
    assert statuses == [201] * slow, (
        f"{slow} POST /tasks begun before SIGTERM, finished after it: answered {statuses} (an in-flight request "
        f"dropped: {statuses.count(None)} without an answer)"
    )
    wrong = {status: n for status, n in answers.items() if status not in ("200", "not accepted after SIGTERM")}
    assert not wrong, f"GET {path} around SIGTERM: {dict(answers)}"
    return (
        f"SIGTERM under load ({readers} readers, {before} answers before it): {slow}/{slow} POSTs in flight answered "
        f"201, {answers['200']} GETs 2xx, {answers['not accepted after SIGTERM']} not accepted after it, then "
        + ("ended by SIGTERM once drained (uvicorn re-raises it)" if code == -signal.SIGTERM else f"exit {code}")
    )


def begun_post(port: int, headers: dict[str, str], number: int) -> tuple[socket.socket, bytes]:
    """POST /tasks with `Expect: 100-continue`, its body held back until the server answers 100 Continue, which
    uvicorn sends when the app first reads the body: the request is then in flight. The socket and the body."""
    body = json.dumps({"title": f"in flight at SIGTERM #{number}"}).encode()
    fields = {
        "Host": f"{HOST}:{port}",
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        "Expect": "100-continue",
        **headers,
    }
    head = "POST /tasks HTTP/1.1\r\n" + "".join(f"{name}: {value}\r\n" for name, value in fields.items()) + "\r\n"
    sock = socket.create_connection((HOST, port), timeout=30)
    sock.sendall(head.encode())
    interim = read_head(sock)
    assert interim is not None and interim.startswith(b"HTTP/1.1 100"), (
        f"POST /tasks with Expect: 100-continue → {interim[:100] if interim else 'no answer'}, not 100 Continue"
    )
    return sock, body


def read_head(sock: socket.socket) -> bytes | None:
    """The next response's status line and fields (None when the connection closes first)."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(1)  # byte by byte: nothing of the next response is read with this one
        if not chunk:
            return None
        answer += chunk
    return answer


def finish(sock: socket.socket, body: bytes) -> int | None:
    """Send the body; the final answer's status (None when the connection closed without one)."""
    with sock:
        try:
            sock.sendall(body)
            answer = read_head(sock)
        except OSError:
            return None
    match = re.match(rb"HTTP/1\.[01] (\d{3})", answer or b"")
    return int(match.group(1)) if match else None


# ---------------------------------------------------------------------------------------------------------------- #
KEY_LITERAL = re.compile(r"""(?i)secret_key["']?\s*[:=(]\s*["']([^"'\s$]{16,})["']""")


@lru_cache(maxsize=1)
def keys_in_the_repository() -> tuple[str, ...]:
    """The signing keys the course names (course_lib.services.settings.KNOWN_KEYS) and every literal key its tracked
    files assign to SECRET_KEY / secret_key (docs, tests, deploy): each is public, so none may sign anything."""
    assigned = subprocess.run(
        ["git", "grep", "-I", "-h", "-o", "-i", "-E", KEY_LITERAL.pattern.removeprefix("(?i)")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return tuple(
        sorted(set(repository_keys()) | {key for line in assigned.splitlines() for key in KEY_LITERAL.findall(line)})
    )


@dataclass
class Start:
    """How one `uvicorn --factory` start ended: whether it ever answered, its exit code, its last words."""

    answered: bool
    code: int | None
    said: str


def try_to_start(spec: str, key: str | None, timeout: float = 60.0) -> Start:
    """Start the factory outside development (DEVELOPMENT unset) with SECRET_KEY `key` (None: unset); stop it at its
    first answer to any request, or see it exit."""
    environment = {name: value for name, value in os.environ.items() if name not in ("SECRET_KEY", "DEVELOPMENT")}
    root = str(ROOT)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    if key is not None:
        environment["SECRET_KEY"] = key
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", spec, "--host", HOST, "--port", str(port)]
    with tempfile.TemporaryDirectory(prefix="acceptance-start-") as folder:
        log = Path(folder) / "log"
        with log.open("w") as out:
            process = children.start(command, env=environment, stdout=out, stderr=subprocess.STDOUT, cwd=folder)
        deadline, answered = time.monotonic() + timeout, False
        try:
            while process.poll() is None and time.monotonic() < deadline:
                try:
                    httpx.get(f"http://{HOST}:{port}/", timeout=1.0)
                    answered = True
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
        finally:
            code = process.poll()
            children.stop(process)
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return Start(answered, code, lines[-1][:200] if lines else "")


def check_19_signing_key(live: Live, spec: str) -> str:
    """Outside development the app refuses to start with no signing key or one written in the repository (a strong
    random key: it starts, the control); a token signed with any key in the repository → 401."""
    keys = keys_in_the_repository()
    cases = {"no SECRET_KEY": None, **{f"SECRET_KEY={key[:12]}… (in the repository)": key for key in keys}}
    with ThreadPoolExecutor(len(cases) + 1) as pool:  # the app's own defaults: a database of its own, fakeredis
        control = pool.submit(try_to_start, spec, secrets.token_urlsafe(32))
        starts = dict(zip(cases, pool.map(lambda key: try_to_start(spec, key), cases.values()), strict=True))
        control_start = control.result()
    assert control_start.answered, (
        f"with a strong random SECRET_KEY the app did not start (exit {control_start.code}: {control_start.said}): "
        "the control failed, so no refusal below would mean anything"
    )
    for case, start in starts.items():
        assert not start.answered, f"the app started and answered with {case} and DEVELOPMENT unset"
        assert start.code not in (None, 0), f"with {case}: exit {start.code}, not a refusal"
    forged = forged_with_repository_keys(live, keys)
    return (
        f"refused to start {len(starts)}/{len(starts)} times ({', '.join(starts)}; e.g. exit "
        f"{starts['no SECRET_KEY'].code}: {starts['no SECRET_KEY'].said[:70]}…); a strong random key: started; {forged}"
    )


def forged_with_repository_keys(live: Live, keys: tuple[str, ...]) -> str:
    """Tokens with a real token's claims, signed with each key of the repository → 401 (the suite's own key → 200)."""
    import jwt

    if not live.has("post", "/tokens"):
        return "no POST /tokens: no token to forge"
    user = live.sign_up("Forger", login=True)
    assert user.token
    header = jwt.get_unverified_header(user.token)
    now = int(time.time())
    claims = {**jwt.decode(user.token, options={"verify_signature": False}), "iat": now, "exp": now + 300}
    kid = {"kid": header["kid"]} if "kid" in header else {}

    def status(key: str) -> int:
        token = jwt.encode(claims, key, algorithm="HS256", headers=kid)
        return live.request("GET", "/tasks", headers={"Authorization": f"Bearer {token}"}).status_code

    control = status(live.signing_key)
    assert control == 200, f"a token signed with SECRET_KEY → {control}: the suite's forgeries would prove nothing"
    for key in keys:
        answer = status(key)
        assert answer == 401, f"a token signed with the repository's key {key[:12]}… → {answer}, not 401"
    return f"{len(keys)} tokens signed with the repository's keys → 401 (SECRET_KEY's → 200)"


# ---------------------------------------------------------------------------------------------------------------- #
SPOOF_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded", "True-Client-IP", "X-Client-IP")
PROXY_LIMIT = 20  # requests per minute from one address: reached in a second, never by the set-up's two requests
CLIENT_FIELDS = {"client", "client_ip", "client_addr", "client_address", "remote_addr", "remote_ip", "ip", "peer"}


def spoofed(number: int) -> dict[str, str]:
    """Every header a client could use to claim to be someone else, each with another documentation address."""
    fake = f"{NOT_A_CLIENT[number % 2]}{number % 250 + 1}"
    return {name: (f"for={fake}" if name == "Forwarded" else fake) for name in SPOOF_HEADERS}


def check_20_proxy_trust(live: Live, spec: str) -> str:
    """Behind the course's nginx config, a client-sent X-Forwarded-For (or X-Real-IP, Forwarded …) never becomes the
    client address: its requests share the real address's rate-limit bucket, and no log line names the claimed one."""
    from course_lib.lab import nginx
    from course_lib.lab.balancer import load_balancer
    from course_lib.services.settings import Settings

    named = os.environ.get("NGINX_BIN")
    binary = named or nginx.find_nginx(Settings(nginx_bin=None, secret_key=secrets.token_urlsafe(32)))
    if not binary:
        not_applicable("NGINX_BIN is unset and no nginx is installed: chapter 11's proxy config cannot be run")
    assert Path(binary).is_file(), f"NGINX_BIN={named}: no such file"
    settings = Settings(nginx_bin=binary, secret_key=secrets.token_urlsafe(32))
    burst = PROXY_LIMIT + 5
    env = {"RATE_LIMIT": f"{PROXY_LIMIT} per minute", "LOG_TO_STDOUT": "true"}
    # Counters of its own: replicas share theirs in Redis, and the real address (127.0.0.1) is every check's.
    with served_apart(spec, env, empty_redis=True) as (replica, _):
        balancer = load_balancer([replica.url], settings)
        try:
            assert balancer.kind == "nginx", f"the balancer is {balancer.kind}, not nginx ({binary})"
            with httpx.Client(base_url=balancer.url, timeout=30) as client:
                headers = user_headers(live, client)
                lying = [client.get("/tasks", headers={**headers, **spoofed(n)}) for n in range(burst)]
                first = next((n for n, answer in enumerate(lying, 1) if answer.status_code == 429), None)
                if first is None:
                    honest = [client.get("/tasks", headers=headers).status_code for _ in range(burst)]
                    assert 429 not in honest, (
                        f"{burst} requests claiming other addresses ({', '.join(SPOOF_HEADERS)}) through nginx got no "
                        f"429, {burst} without the claim got one after {honest.index(429) + 1}: the client's header "
                        "chose the rate-limit bucket"
                    )
                    not_applicable(
                        f"{burst} requests got no 429 with a limit of {PROXY_LIMIT}/min set in RATE_LIMIT: the app has "
                        "no per-address rate limit by which to see the address it uses"
                    )
                assert first <= PROXY_LIMIT + 1, f"the first 429 came at request {first}, past {PROXY_LIMIT} + 1"
        finally:
            balancer.stop()
        lines, named_client = log_lines(replica.log)
    claimed = [
        line
        for line in lines
        for name, value in line.items()
        if name in CLIENT_FIELDS and str(value).startswith(NOT_A_CLIENT)
    ]
    assert not claimed, f"a log line names a client-claimed address as the client: {claimed[:2]}"
    logs = (
        f"{len(lines)} JSON log lines, {named_client} naming a client, none a claimed one" if lines else "no JSON logs"
    )
    return (
        f"nginx ({binary}) → uvicorn: {burst} requests each claiming another address in {len(SPOOF_HEADERS)} headers "
        f"→ 429 from request {first} (one bucket, limit {PROXY_LIMIT}/min); {logs}"
    )


def log_lines(log: Path) -> tuple[list[dict], int]:
    """The JSON objects a process wrote to its log, and how many of them name a client address."""
    lines = []
    for text in log.read_text(errors="replace").splitlines():
        try:
            line = json.loads(text)
        except ValueError:
            continue
        if isinstance(line, dict):
            lines.append(flat(line))
    return lines, sum(bool(CLIENT_FIELDS & set(line)) for line in lines)


def flat(line: dict, prefix: str = "") -> dict:
    """{"a": {"client": x}} → {"client": x, "a.client": x}: a field named like a client address at any depth."""
    out: dict = {}
    for name, value in line.items():
        if isinstance(value, dict):
            out |= flat(value, f"{prefix}{name}.")
        out[name.rsplit(".", 1)[-1].lower()] = value
        out[f"{prefix}{name}"] = value
    return out
