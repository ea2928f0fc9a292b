"""The Idempotency-Key header (draft-ietf-httpapi-idempotency-key-header): a retried POST or PATCH runs once.

Policy of this API:
- POST and PATCH, the methods the draft names, take a key; a request without one runs as usual, unless the
  middleware is made with required=True: then it is refused with 400 (the draft's "Idempotency-Key is missing");
- a key is scoped to its client and its operation, as the draft and Stripe do: the authenticated principal (the
  `principal` callable: e.g. "user-7"), else the peer address (a stand-in: behind a NAT or a proxy many clients
  share one), together with the method and the path;
- the first request with a key claims it atomically (Redis SET NX); its response — status, headers, body — is
  stored with a fingerprint of the request (method, path, body) and replayed to every retry with the same key;
- a retry while the first request is still running gets 409; the same key with a different request gets 422;
- a claim lives `claim_ttl` seconds and is renewed while its request runs, so it expires only when the server died;
- what is stored, by outcome: a 2xx or 3xx (it happened) and a 5xx other than 503 (it may have happened after the
  commit: running it again could do it twice) are kept KEY_TTL (24 h); a 4xx (a refusal changes nothing, so a
  corrected retry must run) and a 503 (a dependency was down: Retry-After invites the retry) free the key at once;
- the store's Redis down: 503 + Retry-After at once (a fail-fast client), never a 500 after redis-py's retries;
- the header is a Structured Field string (`Idempotency-Key: "8e03978e-..."`); an unquoted token is accepted too;
  sent on two lines with different values it is a 400 (which one would the client retry with?);
- each refusal is an RFC 9457 problem with its own type, and a Link to the draft (rel="describedby");
- a replay carries `Idempotent-Replayed: true`, Stripe's header: the draft defines no such field;
- an answer that carries a secret (a new API key, a token, a Set-Cookie: what the logs redact, redaction.py) is
  never stored: anyone holding the key and the body could read it again for 24 h, and the store would keep in clear
  what the database keeps hashed. Its retries get 409 "answer not kept" instead (with the first answer's Location),
  and the request is not run again: the secret was shown once.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import redis
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from course_lib.web.field_lines import RepeatedField, single_field
from course_lib.web.problems import PROBLEM_JSON, problem_body
from course_lib.web.redaction import is_sensitive

HEADER = "idempotency-key"
REPLAYED_HEADER = "idempotent-replayed"  # Stripe's name; not in the draft
KEY_TTL = 24 * 60 * 60  # seconds a completed response is kept for replay
# Seconds a claim outlives its last renewal (a running request renews it every third of that): how long a key stays
# taken after its server died, or after a claim sent as Redis stopped reached it when it resumed.
CLAIM_TTL = 15
RETRY_AFTER = 5  # seconds a client waits before retrying when the store is unreachable
MAX_KEY_LENGTH = 255
METHODS = frozenset({"POST", "PATCH"})
DOCS = "https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/"
# A tag URI (RFC 4151) names a kind of problem without promising a web page behind it.
PROBLEM_TYPE = "tag:backend-course.example,2026:problems/idempotency-key-"

Principal = Callable[[Scope], Awaitable[str | None]]


class InvalidKey(ValueError):
    """An Idempotency-Key header that is not a usable key."""


def parse_key(value: str) -> str:
    """The key inside an Idempotency-Key header: a quoted sf-string (the draft's form) or a bare token."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if not value or len(value) > MAX_KEY_LENGTH or not all(32 <= ord(char) < 127 for char in value):
        raise InvalidKey(f"an Idempotency-Key is 1 to {MAX_KEY_LENGTH} printable ASCII characters")
    return value


async def anonymous(scope: Scope) -> None:
    """No principal: every request is scoped by its peer address (chapter 03, before the API knows its users)."""
    return None


def client_of(scope: Scope, principal: str | None = None) -> str:
    """Whose key space a request uses: its principal, else its peer address; and which operation (method, path)."""
    if principal is None:
        client = scope.get("client")
        principal = f"addr-{client[0]}" if client else "addr-unknown"
    return f"{principal} {scope['method']} {scope['path']}"


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    """What makes two requests 'the same': method, target and body (JSON compared by content, not key order)."""
    try:
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth: compared as bytes
        pass
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), query, body])).hexdigest()


def stored_outcome(status: int) -> bool:
    """Whether a response is kept for replay: what happened, or may have; not a refusal, not 'dependency down'."""
    return status < 400 or (status >= 500 and status != 503)


def holds_secret(headers: Iterable[tuple[bytes, bytes]], body: bytes) -> bool:
    """Whether an answer carries a secret: a header or a JSON member with a secret's name (a Set-Cookie, an api_key,
    an access_token), the names the logs redact."""
    if any(is_sensitive(name.decode("latin-1")) for name, _ in headers):
        return True
    try:
        data = json.loads(body)
    except ValueError:
        return False
    found, pending = False, [data]
    while pending and not found:
        value = pending.pop()
        if isinstance(value, dict):
            found = any(is_sensitive(name) and member not in (None, "") for name, member in value.items())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return found


@dataclass(frozen=True)
class Claim:
    """What the store says about a key: 'claimed' (go ahead, holding `token`), 'in_flight', 'mismatch' or 'done'."""

    outcome: str
    response: dict | None = None
    token: str = ""


class IdempotencyStore:
    """Claims and stored responses in Redis under `prefix`: one per app by default, one shared by replicas."""

    def __init__(self, client: redis.Redis, prefix: str | None = None, claim_ttl: float = CLAIM_TTL) -> None:
        self.redis, self.claim_ttl = client, claim_ttl
        self.prefix = prefix or f"idempotency:{uuid.uuid4().hex[:12]}:"

    def _key(self, client: str, key: str) -> str:
        return self.prefix + hashlib.sha256(f"{client}\n{key}".encode()).hexdigest()

    def claim(self, client: str, key: str, request_fingerprint: str) -> Claim:
        """Atomically claim (client, key) for a request, or say why not."""
        name, token = self._key(client, key), secrets.token_hex(8)
        record = json.dumps({"state": "in_flight", "fingerprint": request_fingerprint, "token": token})
        for _ in range(3):  # the key may expire between SET NX and GET
            if self.redis.set(name, record, nx=True, px=int(self.claim_ttl * 1000)):
                return Claim("claimed", token=token)
            raw = self.redis.get(name)
            if raw is None:
                continue
            found = json.loads(raw)
            if found["fingerprint"] != request_fingerprint:
                return Claim("mismatch")
            if found["state"] == "in_flight":
                return Claim("in_flight")
            return Claim("done", found["response"])
        return Claim("in_flight")

    def _while_claimed(
        self,
        client: str,
        key: str,
        token: str,
        change: Callable[[redis.client.Pipeline], object],
    ) -> bool:
        """Apply `change` only if the key is still the claim `token` took (WATCH: no one else's claim is touched)."""
        name = self._key(client, key)
        with self.redis.pipeline() as pipe:
            try:
                pipe.watch(name)
                raw = pipe.get(name)
                if raw is None or json.loads(raw).get("token") != token:
                    return False
                pipe.multi()
                change(pipe)
                pipe.execute()
                return True
            except redis.WatchError:
                return False

    def renew(self, client: str, key: str, token: str) -> bool:
        """Give a running request's claim another claim_ttl; False when the claim is no longer its own."""
        name = self._key(client, key)
        return self._while_claimed(client, key, token, lambda pipe: pipe.pexpire(name, int(self.claim_ttl * 1000)))

    def complete(self, client: str, key: str, token: str, request_fingerprint: str, response: dict) -> bool:
        """Store the response of a claimed request for KEY_TTL seconds."""
        name = self._key(client, key)
        record = json.dumps({"state": "done", "fingerprint": request_fingerprint, "response": response})
        return self._while_claimed(client, key, token, lambda pipe: pipe.set(name, record, ex=KEY_TTL))

    def release(self, client: str, key: str, token: str) -> bool:
        """Free a claim whose request changed nothing, so that a retry runs it again."""
        name = self._key(client, key)
        return self._while_claimed(client, key, token, lambda pipe: pipe.delete(name))

    def ttl(self, client: str, key: str) -> int:
        """Seconds until (client, key) expires; negative when it does not exist."""
        return self.redis.ttl(self._key(client, key))

    def clear(self) -> int:
        """Delete every key of this store; return how many."""
        names = list(self.redis.scan_iter(match=f"{self.prefix}*", count=500))
        return self.redis.delete(*names) if names else 0


@dataclass(frozen=True)
class Refusal:
    """A kind of problem with an idempotent request: its status, its own type URI, its title and usual detail."""

    status: int
    type: str
    title: str
    detail: str = ""
    retry_after: int | None = None

    def response(self, detail: str | None = None) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Status, headers and body of an application/problem+json answer, never cached, linking to the draft."""
        body = json.dumps(problem_body(self.status, detail or self.detail, type=self.type, title=self.title)).encode()
        headers = [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            (b"link", f'<{DOCS}>; rel="describedby"'.encode()),
        ]
        if self.retry_after is not None:
            headers.append((b"retry-after", str(self.retry_after).encode()))
        return self.status, headers, body


MISSING = Refusal(
    400,
    PROBLEM_TYPE + "missing",
    "Idempotency-Key is missing",
    "This operation requires an Idempotency-Key header: a new unique key (a UUID) for each operation, "
    "the same key for each retry of it.",
)
INVALID = Refusal(400, PROBLEM_TYPE + "invalid", "Invalid Idempotency-Key")
IN_FLIGHT = Refusal(
    409,
    PROBLEM_TYPE + "in-flight",
    "A request is outstanding for this Idempotency-Key",
    "A request with the same Idempotency-Key is still being processed; retry once it has completed.",
)
REUSED = Refusal(
    422,
    PROBLEM_TYPE + "reused",
    "Idempotency-Key is already used",
    "This Idempotency-Key was used for a different request; use a new key for a new request.",
)
UNAVAILABLE = Refusal(
    503,
    PROBLEM_TYPE + "store-unavailable",
    "Idempotency-Keys cannot be checked now",
    "The store of Idempotency-Keys is unreachable, so the request was not run; retry it with the "
    "same key after Retry-After seconds.",
    retry_after=RETRY_AFTER,
)
# What a retry finds after the first request raised (no response): it may have failed after its commit.
CRASHED = {
    "status": 500,
    "headers": [["content-type", PROBLEM_JSON]],
    "body": base64.b64encode(
        json.dumps(
            problem_body(
                500,
                "The first request with this Idempotency-Key failed, possibly after it took effect; "
                "check before sending a new request with a new key.",
            )
        ).encode()
    ).decode(),
}


SECRET_NOT_KEPT = Refusal(
    409,
    PROBLEM_TYPE + "answer-not-kept",
    "The answer to this Idempotency-Key is not kept",
    "The first request with this Idempotency-Key succeeded, and was not run again; its answer carried a secret, "
    "which is shown once and never stored. Read the resource it made (Location), or ask for a new secret.",
)


def not_kept(start: Message) -> dict:
    """What a retry finds after an answer that carried a secret: 409, with the first answer's Location."""
    status, headers, body = SECRET_NOT_KEPT.response()
    location = [(k, v) for k, v in start.get("headers", []) if k.lower() == b"location"]
    return {
        "status": status,
        "headers": [(k.decode("latin-1"), v.decode("latin-1")) for k, v in [*headers, *location]],
        "body": base64.b64encode(body).decode(),
    }


class IdempotencyMiddleware:
    """Runs a POST or PATCH with an Idempotency-Key at most once per (client, operation, key); replays its response.

    required=True refuses such a request without a key (400), for operations that must never run twice.
    principal(scope) names who is calling ("user-7"), or None: then the peer address stands in.
    """

    def __init__(
        self,
        app: ASGIApp,
        store: IdempotencyStore,
        *,
        required: bool = False,
        methods: Iterable[str] = METHODS,
        principal: Principal = anonymous,
    ) -> None:
        self.app, self.store, self.required, self.methods = app, store, required, frozenset(methods)
        self.principal = principal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in self.methods:
            await self.app(scope, receive, send)
            return
        try:
            header = single_field(Headers(scope=scope).getlist(HEADER), "Idempotency-Key")
        except RepeatedField as error:
            await _send(send, *INVALID.response(str(error)))
            return
        if header is None:
            if self.required:
                await _send(send, *MISSING.response())
            else:
                await self.app(scope, receive, send)
            return
        try:
            key = parse_key(header)
        except InvalidKey as error:
            await _send(send, *INVALID.response(str(error)))
            return
        body = await _read_body(receive)
        request_fingerprint = fingerprint(scope["method"], scope["path"], scope.get("query_string", b""), body)
        try:
            client = client_of(scope, await self.principal(scope))
            claim = await run_in_threadpool(self.store.claim, client, key, request_fingerprint)
        except redis.RedisError:
            await _send(send, *UNAVAILABLE.response())
            return
        if claim.outcome == "in_flight":
            await _send(send, *IN_FLIGHT.response())
        elif claim.outcome == "mismatch":
            await _send(send, *REUSED.response())
        elif claim.outcome == "done":
            await _replay(send, claim.response)
        else:
            await self._run_once(scope, body, send, Held(self.store, client, key, claim.token, request_fingerprint))

    async def _run_once(self, scope: Scope, body: bytes, send: Send, held: Held) -> None:
        captured: dict = {"body": b""}

        async def receive_body() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Held back until the body is complete and stored: a client that sees any byte of this response
                # (and then loses the connection) must find it stored when it retries.
                captured["start"] = message
                return
            if message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
                if message.get("more_body"):
                    return
                await held.finish(captured["start"], captured["body"])
                await send(captured["start"])
                await send({"type": "http.response.body", "body": captured["body"], "more_body": False})
                return
            await send(message)

        renewing = asyncio.ensure_future(held.keep())
        try:
            await self.app(scope, receive_body, capture)
        except BaseException:
            await held.finish(None, b"")
            raise
        finally:
            renewing.cancel()


@dataclass
class Held:
    """A claim held by a running request: renewed while it runs, then stored or released by its outcome."""

    store: IdempotencyStore
    client: str
    key: str
    token: str
    fingerprint: str
    finished: bool = False

    async def keep(self) -> None:
        """Renew the claim every third of its lifetime until the request finishes (or the claim is lost)."""
        while True:
            await asyncio.sleep(self.store.claim_ttl / 3)
            try:
                if not await run_in_threadpool(self.store.renew, self.client, self.key, self.token):
                    return
            except redis.RedisError:
                pass  # the claim may still live: try again at the next turn

    async def finish(self, start: Message | None, body: bytes) -> None:
        """Keep the outcome for retries (stored_outcome), or free the key; no response at all is a possible 500."""
        if self.finished:
            return
        self.finished = True
        if start is None:
            response = CRASHED
        elif stored_outcome(start["status"]) and holds_secret(start.get("headers", []), body):
            response = not_kept(start)
        elif stored_outcome(start["status"]):
            response = {
                "status": start["status"],
                "headers": [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]],
                "body": base64.b64encode(body).decode(),
            }
        else:
            response = None
        try:
            if response is None:
                await run_in_threadpool(self.store.release, self.client, self.key, self.token)
            else:
                await run_in_threadpool(
                    self.store.complete, self.client, self.key, self.token, self.fingerprint, response
                )
        except redis.RedisError:
            pass  # the answer still goes out; the claim expires after claim_ttl and a retry then runs again


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _replay(send: Send, response: dict | None) -> None:
    assert response is not None, "a claim whose outcome is done carries its response"
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response["headers"]]
    await _send(
        send, response["status"], [*headers, (REPLAYED_HEADER.encode(), b"true")], base64.b64decode(response["body"])
    )
