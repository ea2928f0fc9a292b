"""Server-side sessions in Redis, the session cookie's flags, and the CSRF rule for cookie-authenticated writes."""

import hmac
import time
from http.cookies import SimpleCookie

import fakeredis
import pytest
from starlette.responses import Response

from course_lib.web.digests import digest
from course_lib.web.sessions import (
    ABSOLUTE_TIMEOUT,
    IDLE_TIMEOUT,
    PLAIN_HTTP_COOKIE,
    PRODUCTION_COOKIE,
    SessionCookie,
    SessionStore,
    cross_site_refusal,
    csrf_refusal,
    new_token,
    session_cookie,
    signed_csrf_token,
    signed_csrf_token_valid,
    tokens_match,
)

OWN = {"http://127.0.0.1:8000"}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store():
    return SessionStore(fakeredis.FakeRedis(decode_responses=True), idle=60)


def test_the_timeouts_are_owasps_for_a_low_risk_application_and_a_working_day():
    assert IDLE_TIMEOUT == 30 * 60 and ABSOLUTE_TIMEOUT == 8 * 3600


def test_ids_are_random_and_long():
    ids = {new_token() for _ in range(1000)}
    assert len(ids) == 1000 and all(len(token) == 43 for token in ids)  # 32 bytes in URL-safe base64


def test_a_session_is_stored_under_the_digest_of_its_id_with_a_ttl(store):
    session_id, session = store.create(7)
    assert store.get(session_id) == session and session.user_id == 7 and session.csrf_token != session_id
    assert store.prefix + digest(session_id) in store.redis.keys()
    assert not any(session_id in key for key in store.redis.keys())
    assert session_id not in str(store.redis.hgetall(store.key(session_id)))
    assert 55 <= store.ttl_of(session_id) <= 60


def test_unknown_empty_and_deleted_ids_name_no_session(store):
    session_id, _ = store.create(1)
    assert store.get(None) is None and store.get("") is None and store.get(new_token()) is None
    assert store.delete(session_id) is True and store.get(session_id) is None
    assert store.delete(session_id) is False and store.delete(None) is False


def test_an_unused_session_expires_in_redis():
    store = SessionStore(fakeredis.FakeRedis(decode_responses=True), idle=1)
    session_id, _ = store.create(1)
    assert store.get(session_id) is not None
    time.sleep(1.1)
    assert store.get(session_id) is None and store.ttl_of(session_id) < 0


def test_each_use_renews_the_idle_timeout_but_never_past_the_absolute_one():
    clock = Clock()
    store = SessionStore(fakeredis.FakeRedis(decode_responses=True), idle=600, absolute=3600, clock=clock)
    session_id, session = store.create(1)
    assert session.ends_at == clock.now + 3600
    store.redis.expire(store.key(session_id), 5)  # as if 595 s had passed without a request
    clock.now += 595
    assert store.get(session_id) is not None and store.ttl_of(session_id) == 600  # used: idle timeout again
    clock.now += 3600 - 595 - 100
    assert store.get(session_id) is not None and 99 <= store.ttl_of(session_id) <= 100  # capped by the deadline
    clock.now += 100
    assert store.get(session_id) is None and store.ttl_of(session_id) < 0  # deleted at the absolute timeout


def test_the_idle_timeout_is_at_most_the_absolute_one():
    assert SessionStore(fakeredis.FakeRedis(), idle=600, absolute=60).idle == 60


def test_ending_all_sessions_of_a_user_leaves_other_users_alone(store):
    ada = [store.create(1)[0] for _ in range(3)]
    bob, _ = store.create(2)
    store.delete(ada[0])  # a logout: the index may name a session that is gone
    assert store.end_all(1) == 2
    assert all(store.get(session_id) is None for session_id in ada) and store.get(bob) is not None
    assert store.end_all(1) == 0 and store.end_all(99) == 0
    later, _ = store.create(1)
    assert store.get(later) is not None  # a new login after the change works


def test_the_user_index_expires_with_the_longest_session_it_can_name():
    store = SessionStore(fakeredis.FakeRedis(decode_responses=True), idle=60, absolute=600)
    store.create(1)
    assert 590 <= store.redis.ttl(store.user_key(1)) <= 600


@pytest.mark.parametrize("fields", [{}, {"user_id": "1"}, {"user_id": "1", "csrf_token": "t"}])
def test_a_hash_that_is_not_a_whole_session_names_none(store, fields):
    session_id = new_token()
    if fields:
        store.redis.hset(store.key(session_id), mapping=fields)
    assert store.get(session_id) is None


def test_stores_with_their_own_prefix_never_share_sessions():
    client = fakeredis.FakeRedis(decode_responses=True)
    first, second = SessionStore(client), SessionStore(client)
    session_id, _ = first.create(1)
    assert second.get(session_id) is None
    second.create(2)
    assert first.clear() == 2 and first.get(session_id) is None  # the session and its user's index
    assert all(key.startswith(second.prefix) for key in client.keys())


def test_a_store_needs_a_positive_ttl():
    with pytest.raises(ValueError):
        SessionStore(fakeredis.FakeRedis(), idle=0)
    with pytest.raises(ValueError):
        SessionStore(fakeredis.FakeRedis(), absolute=0)


def set_cookie_of(cookie: SessionCookie, clear: bool = False) -> SimpleCookie:
    response = Response()
    cookie.clear(response) if clear else cookie.set(response, "abc")
    parsed = SimpleCookie()
    parsed.load(response.headers["set-cookie"])
    return parsed


def test_the_production_cookie_is_host_prefixed_secure_httponly_lax():
    morsel = set_cookie_of(PRODUCTION_COOKIE)["__Host-session"]
    assert morsel.value == "abc" and morsel["secure"] and morsel["httponly"]
    assert morsel["samesite"].lower() == "lax" and morsel["path"] == "/" and not morsel["domain"]
    assert not morsel["max-age"] and not morsel["expires"]  # non-persistent: gone when the browser closes


def test_clearing_keeps_the_flags_a_browser_needs_to_accept_it():
    morsel = set_cookie_of(PRODUCTION_COOKIE, clear=True)["__Host-session"]
    assert morsel.value == "" and morsel["max-age"] == "0" and morsel["secure"] and morsel["path"] == "/"


def test_the_plain_http_cookie_drops_secure_and_the_prefix():
    assert session_cookie(True) is PRODUCTION_COOKIE and session_cookie(False) is PLAIN_HTTP_COOKIE
    morsel = set_cookie_of(PLAIN_HTTP_COOKIE)["session"]
    assert not morsel["secure"] and morsel["httponly"]


@pytest.mark.parametrize(
    "flags",
    [
        {"name": "__Host-s", "secure": False},
        {"name": "__Host-s", "path": "/api"},
        {"name": "__Secure-s", "secure": False},
        {"name": "s", "secure": False, "same_site": "none"},
    ],
)
def test_cookies_a_browser_would_refuse_cannot_be_configured(flags):
    with pytest.raises(ValueError):
        SessionCookie(**flags)


def test_cross_site_means_the_browser_said_so():
    assert cross_site_refusal(None, None, OWN) is None  # neither header: not a browser saying anything
    for origin in (None, "https://evil.example"):
        for site in ("same-origin", "none"):
            assert cross_site_refusal(origin, site, OWN) is None, (origin, site)
        for site in ("same-site", "cross-site"):
            assert site in cross_site_refusal(origin, site, OWN)
    assert cross_site_refusal("http://127.0.0.1:8000", "cross-site", OWN) is None  # a front end the API trusts
    for other in (
        "http://127.0.0.1:8001",
        "https://127.0.0.1:8000",
        "http://localhost:8000",
        "null",
        "http://127.0.0.1:8000.evil.example",
        "",
    ):
        assert cross_site_refusal(other, None, OWN), other  # no Fetch Metadata: Origin must be allowed
        assert cross_site_refusal(other, "unknown-value", OWN), other  # an unknown value is ignored (spec)


@pytest.mark.parametrize(
    ("method", "origin", "site", "sent", "allowed"),
    [
        ("GET", "https://evil.example", "cross-site", None, True),  # safe: changes nothing
        ("HEAD", None, None, None, True),
        ("OPTIONS", "https://evil.example", None, None, True),
        ("POST", None, None, "token", True),  # no Origin, no Fetch Metadata (a script): the token decides
        ("post", "http://127.0.0.1:8000", None, "token", True),
        ("DELETE", "http://127.0.0.1:8000", "same-origin", "token", True),
        ("PATCH", "https://app.example.org", "same-origin", "token", True),  # behind a proxy: Origin != Host, same page
        ("POST", None, None, None, False),
        ("POST", None, None, "", False),
        ("PATCH", "http://127.0.0.1:8000", None, "other", False),
        ("PUT", "http://127.0.0.1:8000", None, "token ", False),
        ("PUT", "http://127.0.0.1:8000", None, "tökén", False),  # non-ASCII: refused, not a TypeError
        ("POST", "https://evil.example", None, "token", False),  # the right token from the wrong place
        ("POST", "https://evil.example", "cross-site", "token", False),
        ("POST", "https://sub.127.0.0.1", "same-site", "token", False),  # a sibling subdomain
        ("POST", None, "cross-site", "token", False),  # Origin stripped by a proxy: Fetch Metadata still says
        ("POST", "null", None, "token", False),
        ("DELETE", "http://127.0.0.1:8001", None, "token", False),
    ],
)
def test_csrf_rule(method, origin, site, sent, allowed):
    reason = csrf_refusal(method, origin, OWN, sent, "token", site)
    assert (reason is None) == allowed, reason


def test_an_empty_session_token_matches_nothing():
    assert csrf_refusal("POST", None, OWN, "", "") is not None
    assert not tokens_match("", "") and not tokens_match(None, "x") and tokens_match("x", "x")


def test_a_signed_double_submit_token_is_bound_to_its_session_and_key():
    key, other_key = b"k" * 32, b"o" * 32
    token = signed_csrf_token(key, "session-a")
    assert token != signed_csrf_token(key, "session-a")  # a random part: two tokens of one session differ
    assert signed_csrf_token_valid(key, "session-a", token)
    assert not signed_csrf_token_valid(key, "session-b", token)  # planted from another session
    assert not signed_csrf_token_valid(other_key, "session-a", token)
    signature, random_part = token.split(".")
    forged = hmac.new(b"", random_part.encode(), "sha256").hexdigest() + "." + random_part
    for bad in (None, "", ".", signature, "." + random_part, forged, token + "x", "é" + token):
        assert not signed_csrf_token_valid(key, "session-a", bad), bad
