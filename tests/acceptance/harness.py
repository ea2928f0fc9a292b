"""The acceptance harness: any task-API factory, served on loopback, judged over HTTP only.

What the suite needs from an app (its contract, stated once):
- a factory `module:function` taking the course's Settings (or None) and returning an ASGI app with `.openapi()`;
  ACCEPTANCE_APP (or pytest's --app) names it, the reference `course_lib.taskapi:latest` by default;
- the course's routes as its OpenAPI states them: POST /users {name, email, password} → 201 with `id` (and `api_key`),
  POST /tokens {email, password} → 200 with `access_token`; anything else is discovered from the OpenAPI;
- access tokens are HS256 JWTs signed with SECRET_KEY (the suite sets it, random, before the app is built: it forges
  tokens with it and checks a token it signs itself is accepted, so a wrong guess fails loudly, never silently);
- one hook beside HTTP: ACCEPTANCE_PASSWORD_HASH = `module:function(app, email) -> str | None`, the stored password
  hash of a user (check 5 reads its algorithm and cost); the default reads the course's storage (hooks.py).

ACCEPTANCE_FULL=1 (make acceptance) runs the full counts; otherwise the quick pass make test runs (same checks, fewer
schemathesis cases, concurrency rounds and hypothesis examples). ACCEPTANCE_MAX_EXAMPLES and ACCEPTANCE_PHASES set
check 1's schemathesis examples per operation and phases (full: 1000 and every phase, ≈ 23,000 cases in 12 minutes
on 2 cores; quick: 3, without the coverage phase, which the unit tests' contract run has).
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import json
import os
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from course_lib.notebook.server import RunningServer, serve

DEFAULT_APP = "course_lib.taskapi:latest"
DEFAULT_HASH_HOOK = "tests.acceptance.hooks:stored_password_hash"
PASSWORD = "violet harbor lantern 42"
FULL = os.environ.get("ACCEPTANCE_FULL") == "1"


def counts(quick: int, full: int) -> int:
    """The size of a check in this mode."""
    return full if FULL else quick


def load(spec: str) -> Callable[..., Any]:
    """`module:attribute` → the attribute."""
    module, _, name = spec.partition(":")
    if not name:
        raise ValueError(f"{spec!r}: name a factory as module:function")
    return getattr(importlib.import_module(module), name)


def app_spec(option: str | None = None) -> str:
    return option or os.environ.get("ACCEPTANCE_APP") or DEFAULT_APP


# ---------------------------------------------------------------------------------------------------------------- #
# Figures: one line per check, printed in the summary of the run (conftest.py) and written to build/acceptance.
FIGURES: dict[str, list[str]] = {}
_FIGURES_LOCK = threading.Lock()


def figure(check: int | str, text: str) -> None:
    with _FIGURES_LOCK:
        FIGURES.setdefault(f"{int(check):02d}" if isinstance(check, int) else check, []).append(text)


# ---------------------------------------------------------------------------------------------------------------- #
# The recorder: every response of the run, seen at the ASGI boundary (so schemathesis's requests count too).
TRACEBACK = re.compile(
    rb'Traceback \(most recent call last\)|File "[^"]+", line \d+|\bsite-packages/|\w+Error: .*\n\s+at |'
    rb"sqlalchemy\.exc\.|psycopg\.errors\.|redis\.exceptions\."
)
HASH_LEAK = re.compile(rb"\$argon2(?:id|i|d)\$|\$2[aby]\$\d\d\$|pbkdf2_sha256\$|\"password_hash\"")
MAX_BODY_SCANNED = 256 * 1024


@dataclass
class Violation:
    method: str
    path: str
    status: int
    what: str

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}: {self.what}"


@dataclass
class Recorder:
    """ASGI middleware around the app under test: counts responses and notes each one that breaks checks 6 or 8."""

    app: Any
    responses: int = 0
    errors: int = 0  # 4xx/5xx seen
    by_request: Counter[tuple[str, str]] = field(default_factory=Counter)  # (method, path) → responses
    violations: list[Violation] = field(default_factory=list)  # check 8: not problem+json, status mismatch, traceback
    leaks: list[Violation] = field(default_factory=list)  # check 6: a password hash in a response
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __getattr__(self, name: str) -> Any:  # serve() and hooks reach app.context etc. through the wrapper
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = {"status": 0, "type": b"", "body": bytearray()}

        async def recording_send(message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["type"] = dict(message.get("headers", [])).get(b"content-type", b"")
            elif message["type"] == "http.response.body" and len(state["body"]) < MAX_BODY_SCANNED:
                state["body"] += message.get("body", b"")
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self.note(scope["method"], scope["path"], state)

        await self.app(scope, receive, recording_send)

    def note(self, method: str, path: str, state: dict[str, Any]) -> None:
        status, kind, body = state["status"], state["type"].split(b";")[0].strip(), bytes(state["body"])
        found = []
        if TRACEBACK.search(body):
            found.append("traceback text in the body")
        if status >= 400 and method != "HEAD":
            if kind != b"application/problem+json":
                found.append(f"content-type {kind.decode(errors='replace') or '(none)'}, not application/problem+json")
            else:
                try:
                    said = json.loads(body).get("status")
                except (ValueError, AttributeError):
                    said = "(not a JSON object)"
                if said != status:
                    found.append(f"problem status {said!r} ≠ HTTP status")
        with self._lock:
            self.responses += 1
            self.errors += status >= 400
            self.by_request[method, path] += 1
            self.violations += [Violation(method, path, status, what) for what in found]
            if HASH_LEAK.search(body):
                self.leaks.append(Violation(method, path, status, "a password hash in the body"))

    def since(self, mark: tuple[int, int]) -> tuple[list[Violation], list[Violation]]:
        """The violations and leaks noted after `mark` (from mark())."""
        return self.violations[mark[0] :], self.leaks[mark[1] :]

    def mark(self) -> tuple[int, int]:
        return len(self.violations), len(self.leaks)


# ---------------------------------------------------------------------------------------------------------------- #
@dataclass
class User:
    id: int
    email: str
    password: str
    api_key: str | None
    token: str | None

    @property
    def headers(self) -> dict[str, str]:
        """How this user authenticates: the Bearer token when the API issues one, else the API key."""
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        return {"X-API-Key": self.api_key} if self.api_key else {}


_EMAILS = itertools.count(1)


@dataclass
class Live:
    """The app under test, served: its URL, a client, its OpenAPI, and helpers that only speak HTTP."""

    app: Any  # the app as the factory built it (for the one hook; never read otherwise)
    recorder: Recorder
    server: RunningServer
    openapi: dict
    signing_key: str
    run: str = field(default_factory=lambda: secrets.token_hex(3))

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, **options: Any) -> httpx.Client:
        """A fresh client of the server (thread-safe to share; one per thread pool is fine)."""
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        return httpx.Client(base_url=self.url, timeout=60, limits=limits, **options)

    @property
    def http(self) -> httpx.Client:
        return self.server.client

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        return self.server.request(method, path, **options)

    # What the OpenAPI says --------------------------------------------------------------------------------------
    def operations(self) -> list[tuple[str, str, dict]]:
        return [
            (method.upper(), path, operation)
            for path, item in self.openapi.get("paths", {}).items()
            for method, operation in item.items()
            if method in ("get", "put", "post", "patch", "delete")
        ]

    def has(self, method: str, path: str) -> bool:
        return method.lower() in self.openapi.get("paths", {}).get(path, {})

    def paths_like(self, pattern: str) -> list[str]:
        return [path for path in self.openapi.get("paths", {}) if re.fullmatch(pattern, path)]

    # Users --------------------------------------------------------------------------------------------------------
    def new_email(self, name: str = "user") -> str:
        return f"{name}.{self.run}.{next(_EMAILS)}@example.org"

    def sign_up(self, name: str = "Acceptance", password: str = PASSWORD, *, login: bool = False) -> User:
        """A new user; with `login`, also an access token (its requests then carry it rather than the API key).

        Logins are few on purpose: an API with a strict login rate limit (chapter 20) must not fail other checks."""
        email = self.new_email(name.lower())
        response = self.request("POST", "/users", json={"name": name, "email": email, "password": password})
        assert response.status_code == 201, f"POST /users → {response.status_code}: {response.text[:300]}"
        body = response.json()
        user = User(int(body["id"]), email, password, body.get("api_key"), None)
        if login or not user.api_key:
            user.token = self.log_in(email, password)
        return user

    def log_in(self, email: str, password: str) -> str | None:
        """An access token from POST /tokens (after one Retry-After if rate-limited); None without a token endpoint."""
        if not self.has("post", "/tokens"):
            return None
        response = self.request("POST", "/tokens", json={"email": email, "password": password})
        if response.status_code == 429 and int(response.headers.get("retry-after", "61")) <= 60:
            time.sleep(int(response.headers["retry-after"]) + 0.5)
            response = self.request("POST", "/tokens", json={"email": email, "password": password})
        assert response.status_code == 200, f"POST /tokens → {response.status_code}: {response.text[:300]}"
        return response.json()["access_token"]

    def new_task(self, user: User, title: str = "acceptance task", **fields: Any) -> dict:
        response = self.request("POST", "/tasks", json={"title": title, **fields}, headers=user.headers)
        assert response.status_code == 201, f"POST /tasks → {response.status_code}: {response.text[:300]}"
        return response.json()

    def all_task_ids(self, user: User, path: str = "/tasks", **params: Any) -> list[int]:
        """Every id a user's list shows, walking the pages by the Link header's rel=next."""
        ids: list[int] = []
        url: str | None = path
        query: dict[str, Any] | None = {"limit": 100, **params}
        while url:
            response = self.request("GET", url, params=query, headers=user.headers)
            assert response.status_code == 200, f"GET {url} → {response.status_code}: {response.text[:300]}"
            ids += [task["id"] for task in response.json()]
            url, query = response.links.get("next", {}).get("url"), None
        return ids

    def stop(self) -> None:
        self.server.stop()


def start(factory: Callable[..., Any], name: str = "acceptance", settings: Any = None) -> Live:
    """Build the app with the factory and serve it, wrapped in a recorder."""
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
    app = factory(settings) if inspect.signature(factory).parameters else factory()  # create_app() works too
    recorder = Recorder(app)
    server = serve(recorder, name=name)
    openapi = server.get("/openapi.json").json()
    return Live(app, recorder, server, openapi, os.environ["SECRET_KEY"])


# The suite is one client address sending the traffic of a crowd (thousands of requests a minute): every check but
# check 13 runs with a per-address limit it cannot reach; check 13 gets one it reaches in seconds and can wait out.
CROWD_RATE_LIMIT = "1000000 per minute"
SHORT_LIMIT = "30 per 2 seconds"
# Check 1 sends thousands of wrong passwords from one address: failed logins get the crowd's limits too, so schemathesis
# meets POST /tokens' own answers (401, 422) rather than the limiter's 429 (chapter 20's tests judge the limiter).
CROWD_LIMITS = {
    "rate_limit": CROWD_RATE_LIMIT,
    "login_limit_per_account_and_address": CROWD_RATE_LIMIT,
    "login_limit_per_account": CROWD_RATE_LIMIT,
    "login_limit_per_address": CROWD_RATE_LIMIT,
}


def reference_settings(**updates: Any) -> Any:
    """The settings the reference app is judged with: a calendar service to call (availability's 503 "not configured"
    is documented, but schemathesis counts any 5xx as a failure), and `updates` (e.g. rate_limit)."""
    from course_lib.lab.slow_service import with_calendar

    return with_calendar().model_copy(update=updates)
