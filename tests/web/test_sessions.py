"""Server-side sessions in Redis, the session cookie's flags, and the CSRF rule for cookie-authenticated writes."""

import time
from http.cookies import SimpleCookie

import fakeredis
import pytest
from starlette.responses import Response

from course_lib.web.sessions import (
    PLAIN_HTTP_COOKIE,
    PRODUCTION_COOKIE,
    SessionCookie,
    SessionStore,
    csrf_refusal,
    digest,
    foreign,
    new_token,
    session_cookie,
)

OWN = {"http://127.0.0.1:8000"}


@pytest.fixture
def store():
    return SessionStore(fakeredis.FakeRedis(decode_responses=True), ttl=60)


def test_ids_are_random_and_long():
    ids = {new_token() for _ in range(1000)}
    assert len(ids) == 1000 and all(len(token) == 43 for token in ids)  # 32 bytes in URL-safe base64


def test_a_session_is_stored_under_the_digest_of_its_id_with_a_ttl(store):
    session_id, session = store.create(7)
    assert store.get(session_id) == session and session.user_id == 7 and session.csrf_token != session_id
    assert store.redis.keys() == [store.prefix + digest(session_id)]
    assert session_id not in str(store.redis.hgetall(store.key(session_id)))
    assert 55 <= store.ttl_of(session_id) <= 60


def test_unknown_empty_and_deleted_ids_name_no_session(store):
    session_id, _ = store.create(1)
    assert store.get(None) is None and store.get("") is None and store.get(new_token()) is None
    assert store.delete(session_id) is True and store.get(session_id) is None
    assert store.delete(session_id) is False and store.delete(None) is False


def test_a_session_expires_in_redis():
    store = SessionStore(fakeredis.FakeRedis(decode_responses=True), ttl=1)
    session_id, _ = store.create(1)
    assert store.get(session_id) is not None
    time.sleep(1.1)
    assert store.get(session_id) is None and store.ttl_of(session_id) < 0


def test_stores_with_their_own_prefix_never_share_sessions():
    client = fakeredis.FakeRedis(decode_responses=True)
    first, second = SessionStore(client), SessionStore(client)
    session_id, _ = first.create(1)
    assert second.get(session_id) is None
    second.create(2)
    assert first.clear() == 1 and first.get(session_id) is None and len(client.keys()) == 1


def test_a_store_needs_a_positive_ttl():
    with pytest.raises(ValueError):
        SessionStore(fakeredis.FakeRedis(), ttl=0)


def set_cookie_of(cookie: SessionCookie, clear: bool = False) -> SimpleCookie:
    response = Response()
    cookie.clear(response) if clear else cookie.set(response, "abc", max_age=60)
    parsed = SimpleCookie()
    parsed.load(response.headers["set-cookie"])
    return parsed


def test_the_production_cookie_is_host_prefixed_secure_httponly_lax():
    morsel = set_cookie_of(PRODUCTION_COOKIE)["__Host-session"]
    assert morsel.value == "abc" and morsel["secure"] and morsel["httponly"]
    assert morsel["samesite"].lower() == "lax" and morsel["path"] == "/" and not morsel["domain"]
    assert morsel["max-age"] == "60"


def test_clearing_keeps_the_flags_a_browser_needs_to_accept_it():
    morsel = set_cookie_of(PRODUCTION_COOKIE, clear=True)["__Host-session"]
    assert morsel.value == "" and morsel["max-age"] == "0" and morsel["secure"] and morsel["path"] == "/"


def test_the_plain_http_cookie_drops_secure_and_the_prefix():
    assert session_cookie(True) is PRODUCTION_COOKIE and session_cookie(False) is PLAIN_HTTP_COOKIE
    morsel = set_cookie_of(PLAIN_HTTP_COOKIE)["session"]
    assert not morsel["secure"] and morsel["httponly"]


@pytest.mark.parametrize("flags", [
    {"name": "__Host-s", "secure": False},
    {"name": "__Host-s", "path": "/api"},
    {"name": "__Secure-s", "secure": False},
    {"name": "s", "secure": False, "same_site": "none"},
])
def test_cookies_a_browser_would_refuse_cannot_be_configured(flags):
    with pytest.raises(ValueError):
        SessionCookie(**flags)


def test_foreign_means_the_browser_named_another_origin():
    assert not foreign(None, OWN) and not foreign("http://127.0.0.1:8000", OWN)
    for other in ("http://127.0.0.1:8001", "https://127.0.0.1:8000", "http://localhost:8000", "null",
                  "http://127.0.0.1:8000.evil.example", ""):
        assert foreign(other, OWN), other


@pytest.mark.parametrize(("method", "origin", "sent", "allowed"), [
    ("GET", "https://evil.example", None, True),  # safe: changes nothing
    ("HEAD", None, None, True),
    ("OPTIONS", "https://evil.example", None, True),
    ("POST", None, "token", True),  # no Origin (an older browser, a script): the token decides
    ("post", "http://127.0.0.1:8000", "token", True),
    ("DELETE", "http://127.0.0.1:8000", "token", True),
    ("POST", None, None, False),
    ("POST", None, "", False),
    ("PATCH", "http://127.0.0.1:8000", "other", False),
    ("PUT", "http://127.0.0.1:8000", "token ", False),
    ("POST", "https://evil.example", "token", False),  # the right token from the wrong place
    ("POST", "null", "token", False),
    ("DELETE", "http://127.0.0.1:8001", "token", False),
])
def test_csrf_rule(method, origin, sent, allowed):
    reason = csrf_refusal(method, origin, OWN, sent, "token")
    assert (reason is None) == allowed, reason


def test_an_empty_session_token_matches_nothing():
    assert csrf_refusal("POST", None, OWN, "", "") is not None
