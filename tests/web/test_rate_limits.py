"""Rate limits on Redis: counted per client address, 429 with Retry-After and the draft's fields, allowed again after
Retry-After, failed logins limited per account and per address, requests pass uncounted when Redis is down."""

import json
import time
import uuid

import anyio
import httpx
import pytest
import redis
from fastapi import FastAPI, Request, Response
from hypothesis import given, settings
from hypothesis import strategies as st
from limits import parse

from course_lib.notebook.server import serve
from course_lib.services.cache import redis_client
from course_lib.services.cache_aside import FAIL_FAST
from course_lib.taskapi.records import email_key
from course_lib.web.problems import PROBLEM_JSON
from course_lib.web.rate_limits import (
    Policy,
    RateLimitMiddleware,
    RateLimits,
    Verdict,
    account_of,
    limit_field,
    policy_field,
    retry_after,
)


def limited_app(
    limits: RateLimits, requests="5/second", account="2/minute", address="3/minute", pair: str | None = None
) -> FastAPI:
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict:
        return {"pong": True}

    @app.post("/tokens")
    async def log_in(request: Request) -> Response:
        body = await request.json()
        return Response(status_code=200 if body.get("password") == "right" else 401)

    app.add_middleware(
        RateLimitMiddleware,
        limits=limits,
        requests=Policy.parse("requests", requests),
        logins_per_account=Policy.parse("failed-logins-account", account),
        logins_per_address=Policy.parse("failed-logins-address", address),
        logins_per_pair=None if pair is None else Policy.parse("failed-logins-account-address", pair),
    )
    return app


@pytest.fixture
def limits():
    """Counters in the Redis the environment names (REDIS_URL: a redis-server), else in fakeredis."""
    counters = RateLimits(redis_client(), prefix=f"test-{uuid.uuid4().hex}")
    yield counters
    counters.clear()


def test_the_fields_follow_draft_11():
    policy = Policy.parse("requests", "3000/minute")
    assert (policy.quota, policy.window) == (3000, 60)
    assert policy_field(policy) == '"requests";q=3000;w=60'
    assert limit_field(Verdict(policy, True, 2999, 60)) == '"requests";r=2999;t=60'
    assert Policy.parse("logins", "10 per 15 minutes").window == 900


@pytest.mark.parametrize(("seconds", "expected"), [(0.0, 1), (0.2, 1), (1.0, 1), (1.01, 2), (6.5, 7), (-3, 1)])
def test_retry_after_rounds_up_and_is_at_least_one_second(seconds, expected):
    assert retry_after(seconds) == expected


def test_counts_until_the_quota_then_refuses_and_resets_after_the_window(limits):
    policy = Policy.parse("requests", "3/second")
    verdicts = [limits.hit(policy, "1.2.3.4") for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert [v.remaining for v in verdicts] == [2, 1, 0, 0]
    assert verdicts[-1].reset == 1
    assert limits.hit(policy, "5.6.7.8").allowed  # another address has its own count
    time.sleep(verdicts[-1].reset)
    assert limits.hit(policy, "1.2.3.4").allowed


def test_peek_does_not_count(limits):
    policy = Policy.parse("p", "1/minute")
    assert all(limits.peek(policy, "a").allowed for _ in range(3))
    assert limits.hit(policy, "a").allowed and not limits.peek(policy, "a").allowed


def test_the_reset_is_read_in_milliseconds_not_whole_seconds(limits):
    """Redis's TTL rounds: 1.4 s left reads as 1, and a client sent back after 1 s would be refused again."""
    policy = Policy.parse("p", "1 per 2 seconds")
    limits.hit(policy, "a")
    key = f"{limits.storage.key_prefix}:{policy.limit.key_for('p', 'a')}"
    limits.redis.pexpire(key, 1400)
    assert limits.redis.ttl(key) == 1  # what `limits` itself would have read
    assert limits.hit(policy, "a").reset == 2


def test_clear_forgets_every_counter(limits):
    policy = Policy.parse("p", "1/minute")
    limits.hit(policy, "a")
    limits.clear()
    assert limits.hit(policy, "a").allowed


@pytest.mark.parametrize(
    ("body", "same_as"),
    [
        (b'{"email": "Ada@Example.org ", "password": "x"}', b'{"email": "ada@example.org"}'),
        ('{"email": "sam.ro\u00df@example.org"}'.encode(), b'{"email": "sam.ross@example.org"}'),  # ß
        ('{"email": "\u017fam@example.org"}'.encode(), b'{"email": "sam@example.org"}'),  # long s
        ('{"email": "\ufb01ona@example.org"}'.encode(), b'{"email": "fiona@example.org"}'),  # fi ligature
        (b'{"email": "b@x.io"}', None),
    ],
)
def test_the_account_is_the_normalized_email_as_a_digest(body, same_as):
    """Normalized as the user lookup normalizes (records.email_key): every spelling that logs in shares one bucket."""
    account = account_of(body)
    assert account is not None and "@" not in account
    if same_as:
        assert account_of(same_as) == account


@pytest.mark.parametrize("body", [b"", b"not json", b"[1]", b'{"email": 3}', b'{"email": "  "}', b"{}"])
def test_no_account_in_a_body_without_an_email(body):
    assert account_of(body) is None


def test_a_served_app_answers_429_with_retry_after_and_fields_then_allows_again(limits):
    api = serve(limited_app(limits, requests="3/second"), name="test-rate-limits")
    try:
        answers = [api.get("/ping") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[0].headers["ratelimit-policy"] == '"requests";q=3;w=1'
        assert answers[0].headers["ratelimit"] == '"requests";r=2;t=1'
        refused = answers[-1]
        assert refused.headers["content-type"] == PROBLEM_JSON
        assert refused.json()["status"] == 429 and refused.json()["policy"] == "requests"
        assert refused.headers["retry-after"] == "1" and refused.headers["ratelimit"] == '"requests";r=0;t=1'
        time.sleep(int(refused.headers["retry-after"]))
        assert api.get("/ping").status_code == 200
    finally:
        api.stop()


def test_failed_logins_are_limited_per_account_and_successes_do_not_count(limits):
    api = serve(limited_app(limits, requests="100/second", account="2/minute", address="5/minute"), name="test-rl")
    try:
        right = {"email": "ada@example.org", "password": "right"}
        assert [api.post("/tokens", json=right).status_code for _ in range(4)] == [200] * 4
        wrong = {"email": "ada@example.org", "password": "wrong"}
        assert [api.post("/tokens", json=wrong).status_code for _ in range(3)] == [401, 401, 429]
        locked = api.post("/tokens", json=right)  # the right password too: the account waits out the window
        assert locked.status_code == 429 and locked.json()["policy"] == "failed-logins-account"
        assert int(locked.headers["retry-after"]) > 50
        assert locked.headers["ratelimit-policy"] == '"failed-logins-account";q=2;w=60'
        other = {"email": "bob@example.org", "password": "wrong"}  # another account: 3 failures left to this address
        assert [api.post("/tokens", json=other).status_code for _ in range(2)] == [401, 401]
        # five failures from this address: every account is refused now, whatever it sends
        for email in ("carol@example.org", "dan@example.org"):
            refused = api.post("/tokens", json={"email": email, "password": "wrong"})
            assert refused.status_code == (401 if email.startswith("carol") else 429)
        assert refused.json()["policy"] == "failed-logins-address"
        assert api.get("/ping").status_code == 200  # other routes are not logins
    finally:
        api.stop()


def test_failed_logins_from_one_address_lock_that_address_out_of_the_account_not_its_owner(limits):
    app = limited_app(limits, requests="100/second", pair="2/minute", account="4/minute", address="50/minute")
    right = {"email": "ada@example.org", "password": "right"}
    wrong = {**right, "password": "wrong"}

    async def from_(address: str, body: dict) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            return await client.post("/tokens", json=body)

    async def scenario() -> None:
        assert [(await from_("203.0.113.6", wrong)).status_code for _ in range(3)] == [401, 401, 429]
        refused = await from_("203.0.113.6", right)
        assert refused.status_code == 429 and refused.json()["policy"] == "failed-logins-account-address"
        assert (await from_("198.51.100.1", right)).status_code == 200  # Ada, elsewhere, is not locked out
        # Guessing from many addresses meets the account's ceiling: 4 failures from anywhere, then the account waits.
        assert [(await from_("203.0.113.7", wrong)).status_code for _ in range(2)] == [401, 401]
        ceiling = await from_("198.51.100.1", right)
        assert ceiling.status_code == 429 and ceiling.json()["policy"] == "failed-logins-account"

    anyio.run(scenario)


def test_the_app_still_reads_the_login_body_it_was_sent(limits):
    api = serve(limited_app(limits), name="test-rl-body")
    try:
        big = {"email": "ada@example.org", "password": "right", "pad": "x" * 100_000}  # past what the limiter reads
        assert api.post("/tokens", json=big).status_code == 200
        assert api.post("/tokens", json={"email": "a@b.org", "password": "right"}).status_code == 200
    finally:
        api.stop()


def test_requests_pass_uncounted_when_redis_is_unreachable(caplog):
    down = redis.Redis(host="127.0.0.1", port=1, **FAIL_FAST)  # as chapter 20 connects: no retries
    api = serve(limited_app(RateLimits(down, prefix="down"), requests="1/minute"), name="test-rl-down")
    try:
        answers = [api.get("/ping") for _ in range(3)]
        assert [a.status_code for a in answers] == [200] * 3
        assert "ratelimit" not in answers[0].headers
        assert api.post("/tokens", json={"email": "a@b.org", "password": "wrong"}).status_code == 401
        assert "Redis unreachable" in caplog.text
    finally:
        api.stop()


def test_a_limit_is_parsed_from_the_limits_notation():
    assert Policy.parse("x", "10 per 15 minutes").limit == parse("10/15 minutes")


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=40).filter(str.strip))
def test_two_spellings_share_a_bucket_exactly_when_the_user_lookup_reads_them_as_one_account(email):
    other = email.upper()
    same_user = email_key(email) == email_key(other)
    same_bucket = account_of(json.dumps({"email": email}).encode()) == account_of(json.dumps({"email": other}).encode())
    assert same_bucket == same_user
