"""Rate limits counted in Redis with the `limits` library, answered as the IETF draft asks: 429 + Retry-After +
RateLimit / RateLimit-Policy.

The fields follow draft-ietf-httpapi-ratelimit-headers-11 (May 2026), whose values are Structured Field lists
(RFC 9651) of a policy name with parameters:
    RateLimit-Policy: "requests";q=3000;w=60     the quota q in a window of w seconds
    RateLimit: "requests";r=2999;t=60            r left, the quota resets in t seconds

Policy(name, limit)                  one quota, e.g. Policy.parse("requests", "3000/minute")
RateLimits(redis, prefix)            fixed-window counters in Redis: hit() counts and says if allowed, peek() only looks
RateLimitMiddleware(app, ...)        every request counted per client address; failed logins per account and address,
                                     strictest per account from one address
policy_field(policy), limit_field(verdict), retry_after(seconds)   the field values, as pure functions
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import cast

import redis
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from course_lib.web.problems import ProblemResponse, problem

DRAFT = "draft-ietf-httpapi-ratelimit-headers-11"
LOGIN_ROUTES = frozenset({("POST", "/session"), ("POST", "/tokens")})
MAX_LOGIN_BODY = 64 * 1024  # a login body is under a kilobyte; past this the account is not read (the 413 comes later)
FAILED_LOGIN = 401  # what counts against the login limits: a wrong email or password, never a success
REDIS_DOWN = (redis.RedisError, OSError, StorageError)

log = logging.getLogger("course_lib.web.rate_limits")


@dataclass(frozen=True)
class Policy:
    """One quota: `limit.amount` units in a window of `limit.get_expiry()` seconds, under a name the fields show."""

    name: str
    limit: RateLimitItem

    @classmethod
    def parse(cls, name: str, text: str) -> Policy:
        """Policy.parse("requests", "3000/minute") (the `limits` notation: '10 per 15 minutes' works too)."""
        return cls(name, parse(text))

    @property
    def quota(self) -> int:
        return self.limit.amount

    @property
    def window(self) -> int:
        """The window in seconds."""
        return self.limit.get_expiry()


@dataclass(frozen=True)
class Verdict:
    """What a counter said: allowed or not, how many units are left, and in how many seconds the window resets."""

    policy: Policy
    allowed: bool
    remaining: int
    reset: int


def retry_after(seconds: float) -> int:
    """Whole seconds a client must wait: rounded up (waiting 1.2 s as 1 s would ask too early), at least 1."""
    return max(1, math.ceil(seconds))


def policy_field(policy: Policy) -> str:
    """The RateLimit-Policy value of one policy: '"requests";q=3000;w=60'."""
    return f'"{policy.name}";q={policy.quota};w={policy.window}'


def limit_field(verdict: Verdict) -> str:
    """The RateLimit value of one verdict: '"requests";r=2999;t=60'."""
    return f'"{verdict.policy.name}";r={verdict.remaining};t={verdict.reset}'


def fields(verdict: Verdict) -> dict[str, str]:
    """The two fields for a response the verdict's policy applies to."""
    return {"RateLimit-Policy": policy_field(verdict.policy), "RateLimit": limit_field(verdict)}


class ExactExpiryRedisStorage(RedisStorage):
    """`limits`' Redis storage, with a window's end read in milliseconds (PTTL): its own reads TTL, which Redis rounds
    to whole seconds, so 1.4 s left read as 1 and a client told "Retry-After: 1" came back too early."""

    def get_expiry(self, key: str) -> float:
        connection = cast(redis.Redis, self.get_connection(True))
        return max(connection.pttl(self.prefixed_key(key)), 0) / 1000 + time.time()


class RateLimits:
    """Fixed-window counters in Redis, shared by every replica: a window's count lives in one key that expires."""

    def __init__(self, redis: redis.Redis, prefix: str = "ratelimit") -> None:
        self.redis = redis  # the app's Redis; closed with the app (context.disconnect)
        self.storage = ExactExpiryRedisStorage("redis://", connection_pool=redis.connection_pool, key_prefix=prefix)
        self.strategy = FixedWindowRateLimiter(self.storage)

    def hit(self, policy: Policy, key: str) -> Verdict:
        """Count one unit against `key` under `policy`; allowed while the count stays within the quota."""
        allowed = self.strategy.hit(policy.limit, policy.name, key)
        return self._verdict(policy, key, allowed)

    def peek(self, policy: Policy, key: str) -> Verdict:
        """Whether one more unit would be allowed, without counting it."""
        return self._verdict(policy, key, self.strategy.test(policy.limit, policy.name, key))

    def _verdict(self, policy: Policy, key: str, allowed: bool) -> Verdict:
        reset_at, remaining = self.strategy.get_window_stats(policy.limit, policy.name, key)
        return Verdict(policy, allowed, remaining, retry_after(reset_at - time.time()))

    def clear(self) -> None:
        """Forget every counter under this prefix."""
        self.storage.reset()


def too_many_requests(verdict: Verdict, detail: str) -> ProblemResponse:
    """429 as problem+json, with Retry-After and the draft's fields for the policy that refused."""
    headers = {"Retry-After": str(verdict.reset), **fields(verdict)}
    return problem(429, detail, headers=headers, policy=verdict.policy.name)


def client_address(scope: Scope) -> str:
    """The client's address as the server gives it: uvicorn takes it from X-Forwarded-For only when the connection
    comes from an address in --forwarded-allow-ips (chapter 11), so a client cannot choose its own bucket."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def account_of(body: bytes) -> str | None:
    """The account a login body names, as a digest (a Redis key need not hold anyone's e-mail address), or None."""
    try:
        email = json.loads(body).get("email")
    except (ValueError, AttributeError, RecursionError):  # not JSON, not an object, nested past the parser's depth
        return None
    if not isinstance(email, str) or not email.strip():
        return None
    # The same form as the user lookup's (records.email_key): with lower() instead, "roß" and "ross" were two buckets
    # of guesses for one account that logs in under either spelling.
    return hashlib.sha256(email.strip().casefold().encode()).hexdigest()[:32]


async def read_body(receive: Receive, limit: int) -> tuple[bytes | None, Receive]:
    """The body (None past `limit` bytes) and a receive that gives the app every message again, then the rest."""
    held: list[Message] = []
    size, more = 0, True
    while more and size <= limit:
        message = await receive()
        held.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(m.get("body", b"") for m in held) if not more and size <= limit else None

    async def replay() -> Message:
        return held.pop(0) if held else await receive()

    return body, replay


class RateLimitMiddleware:
    """Pure ASGI: count every request per client address; refuse logins after too many failures per account from one
    address, per account, or per address. A refused request gets 429; every answer carries the RateLimit fields of the
    request policy.

    If Redis cannot be reached, requests pass uncounted (logged): a limiter must not turn a cache outage into an
    API outage.
    """

    def __init__(
        self,
        app: ASGIApp,
        limits: RateLimits,
        requests: Policy,
        logins_per_account: Policy,
        logins_per_address: Policy,
        logins_per_pair: Policy | None = None,
        login_routes: Collection[tuple[str, str]] = LOGIN_ROUTES,
    ) -> None:
        self.app, self.limits = app, limits
        self.requests, self.per_account, self.per_address = requests, logins_per_account, logins_per_address
        self.per_pair = logins_per_pair
        self.login_routes = frozenset(login_routes)
        self.whose = {id(logins_per_account): "account", id(logins_per_address): "address"}
        if logins_per_pair is not None:
            self.whose[id(logins_per_pair)] = "account from this address"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        address = client_address(scope)
        verdict = self._ask(self.limits.hit, self.requests, address)
        if verdict is not None and not verdict.allowed:
            detail = f"more than {verdict.policy.quota} requests in {verdict.policy.window} s from this address"
            await too_many_requests(verdict, detail)(scope, receive, send)
            return
        login: list[tuple[Policy, str]] = []
        if (scope["method"], scope["path"]) in self.login_routes:
            body, receive = await read_body(receive, MAX_LOGIN_BODY)
            account = account_of(body) if body is not None else None
            login = self._login_keys(address, account)
            for policy, key in login:
                refused = self._ask(self.limits.peek, policy, key)
                if refused is not None and not refused.allowed:
                    whose = self.whose[id(policy)]
                    detail = f"more than {policy.quota} failed logins in {policy.window} s for this {whose}"
                    await too_many_requests(refused, detail)(scope, receive, send)
                    return
        status = 0

        async def with_fields(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if verdict is not None:
                    extra = [(k.lower().encode(), v.encode()) for k, v in fields(verdict).items()]
                    message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_fields)
        if status == FAILED_LOGIN:
            for policy, key in login:  # counted after the answer: only a failure counts (a burst may overshoot a bit)
                self._ask(self.limits.hit, policy, key)

    def _login_keys(self, address: str, account: str | None) -> list[tuple[Policy, str]]:
        """The counters a login attempt is judged by: its address, and when it names an account, the account from this
        address (the strict one) and the account from anywhere (a ceiling against guessing from many addresses)."""
        keys = [(self.per_address, address)]
        if account:
            if self.per_pair is not None:
                keys.append((self.per_pair, f"{account}@{address}"))
            keys.append((self.per_account, account))
        return keys

    def _ask(self, question, policy: Policy, key: str) -> Verdict | None:
        try:
            return question(policy, key)
        except REDIS_DOWN as error:
            log.warning("rate limit %s not counted, Redis unreachable: %s", policy.name, error)
            return None
