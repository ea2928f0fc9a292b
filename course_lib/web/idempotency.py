"""The Idempotency-Key header (draft-ietf-httpapi-idempotency-key-header): a retried POST or PATCH runs once.

Policy of this API:
- POST and PATCH, the methods the draft names, take a key; a request without one runs as usual, unless the
  middleware is made with required=True: then it is refused with 400 (the draft's "Idempotency-Key is missing");
- a key is scoped to its client: the X-API-Key header when present (hashed), else the peer address;
- the first request with a key claims it atomically (Redis SET NX); its response — status, headers, body — is
  stored with a fingerprint of the request (method, path, body) and replayed to every retry with the same key;
- a retry while the first request is still running gets 409; the same key with a different request gets 422;
- a stored response expires KEY_TTL (24 h) after it completed; a claim whose request never finished (the server
  died) expires after CLAIM_TTL (60 s), so the client can retry; a 5xx or a crash frees the key at once;
- the header is a Structured Field string (`Idempotency-Key: "8e03978e-..."`); an unquoted token is accepted too;
- each refusal is an RFC 9457 problem with its own type, and a Link to the draft (rel="describedby");
- a replay carries `Idempotent-Replayed: true`, Stripe's header: the draft defines no such field.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import redis
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from course_lib.web.problems import PROBLEM_JSON, problem_body

HEADER = "idempotency-key"
REPLAYED_HEADER = "idempotent-replayed"  # Stripe's name; not in the draft
KEY_TTL = 24 * 60 * 60  # seconds a completed response is kept for replay
CLAIM_TTL = 60  # seconds a claim lives if its request never completes
MAX_KEY_LENGTH = 255
METHODS = frozenset({"POST", "PATCH"})
DOCS = "https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/"
# A tag URI (RFC 4151) names a kind of problem without promising a web page behind it.
PROBLEM_TYPE = "tag:backend-course.example,2026:problems/idempotency-key-"


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


def client_of(scope: Scope) -> str:
    """Who sent the request: a hash of its X-API-Key (never the key itself), else its peer address."""
    for name, value in scope["headers"]:
        if name.lower() == b"x-api-key" and value:
            return "key-" + hashlib.sha256(value).hexdigest()[:16]
    client = scope.get("client")
    return f"addr-{client[0]}" if client else "addr-unknown"


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    """What makes two requests 'the same': method, target and body (JSON compared by content, not key order)."""
    try:
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        pass
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), query, body])).hexdigest()


@dataclass(frozen=True)
class Claim:
    """What the store says about a key: 'claimed' (go ahead), 'in_flight', 'mismatch' or 'done' (+ the response)."""

    outcome: str
    response: dict | None = None


class IdempotencyStore:
    """Claims and stored responses in Redis, under one prefix per app so that apps never see each other's keys."""

    def __init__(self, client: redis.Redis, prefix: str | None = None) -> None:
        self.redis = client
        self.prefix = prefix or f"idempotency:{uuid.uuid4().hex[:12]}:"

    def _key(self, client: str, key: str) -> str:
        return f"{self.prefix}{client}:{hashlib.sha256(key.encode()).hexdigest()}"

    def claim(self, client: str, key: str, request_fingerprint: str) -> Claim:
        """Atomically claim (client, key) for a request, or say why not."""
        name = self._key(client, key)
        record = json.dumps({"state": "in_flight", "fingerprint": request_fingerprint})
        for _ in range(3):  # the key may expire between SET NX and GET
            if self.redis.set(name, record, nx=True, ex=CLAIM_TTL):
                return Claim("claimed")
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

    def complete(self, client: str, key: str, request_fingerprint: str, response: dict) -> None:
        """Store the response of a claimed request for KEY_TTL seconds."""
        record = {"state": "done", "fingerprint": request_fingerprint, "response": response}
        self.redis.set(self._key(client, key), json.dumps(record), ex=KEY_TTL)

    def release(self, client: str, key: str) -> None:
        """Free a claim whose request failed, so that a retry runs it again."""
        self.redis.delete(self._key(client, key))

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

    def response(self, detail: str | None = None) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Status, headers and body of an application/problem+json answer, never cached, linking to the draft."""
        body = json.dumps(problem_body(self.status, detail or self.detail, type=self.type, title=self.title)).encode()
        headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()),
                   (b"cache-control", b"no-store"), (b"link", f'<{DOCS}>; rel="describedby"'.encode())]
        return self.status, headers, body


MISSING = Refusal(400, PROBLEM_TYPE + "missing", "Idempotency-Key is missing",
                  "This operation requires an Idempotency-Key header: a new unique key (a UUID) for each operation, "
                  "the same key for each retry of it.")
INVALID = Refusal(400, PROBLEM_TYPE + "invalid", "Invalid Idempotency-Key")
IN_FLIGHT = Refusal(409, PROBLEM_TYPE + "in-flight", "A request is outstanding for this Idempotency-Key",
                    "A request with the same Idempotency-Key is still being processed; retry once it has completed.")
REUSED = Refusal(422, PROBLEM_TYPE + "reused", "Idempotency-Key is already used",
                 "This Idempotency-Key was used for a different request; use a new key for a new request.")


class IdempotencyMiddleware:
    """Runs a POST or PATCH with an Idempotency-Key at most once per (client, key); replays its response to retries.

    required=True refuses such a request without a key (400), for operations that must never run twice.
    """

    def __init__(self, app: ASGIApp, store: IdempotencyStore, *, required: bool = False,
                 methods: Iterable[str] = METHODS) -> None:
        self.app, self.store, self.required, self.methods = app, store, required, frozenset(methods)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in self.methods:
            await self.app(scope, receive, send)
            return
        header = _header(scope, HEADER)
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
        client = client_of(scope)
        request_fingerprint = fingerprint(scope["method"], scope["path"], scope.get("query_string", b""), body)
        claim = await run_in_threadpool(self.store.claim, client, key, request_fingerprint)
        if claim.outcome == "in_flight":
            await _send(send, *IN_FLIGHT.response())
        elif claim.outcome == "mismatch":
            await _send(send, *REUSED.response())
        elif claim.outcome == "done":
            await _replay(send, claim.response)
        else:
            await self._run_once(scope, body, send, client, key, request_fingerprint)

    async def _run_once(self, scope: Scope, body: bytes, send: Send, client: str, key: str, print_: str) -> None:
        captured: dict = {"body": b"", "stored": False}

        async def receive_body() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Held back until the body is complete and stored: a client that sees any byte of this response
                # (and then loses the connection) must find it stored when it retries.
                captured["start"] = message
                captured["status"] = message["status"]
                captured["headers"] = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]]
                return
            if message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
                if message.get("more_body"):
                    return
                if captured["status"] < 500:
                    response = {"status": captured["status"], "headers": captured["headers"],
                                "body": base64.b64encode(captured["body"]).decode()}
                    await run_in_threadpool(self.store.complete, client, key, print_, response)
                    captured["stored"] = True
                await send(captured["start"])
                await send({"type": "http.response.body", "body": captured["body"], "more_body": False})
                return
            await send(message)

        try:
            await self.app(scope, receive_body, capture)
        finally:
            if not captured["stored"]:  # a crash or a 5xx is not an outcome worth replaying: a retry runs again
                await run_in_threadpool(self.store.release, client, key)


def _header(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name.encode():
            return value.decode("latin-1")
    return None


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


async def _replay(send: Send, response: dict) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response["headers"]]
    await _send(send, response["status"], [*headers, (REPLAYED_HEADER.encode(), b"true")],
                base64.b64decode(response["body"]))
