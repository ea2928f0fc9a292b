"""Each checker against its stub, its solution and plausible wrong answers; q1's answers against the live API."""

import hashlib
import hmac
import itertools
import random
import secrets
import time
import uuid

import pytest

from course_lib.checks.ch09 import SCENARIOS, q1, q2, q3
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.notebook.server import serve
from course_lib.services.settings import Settings
from course_lib.taskapi import ch09_sessions

PASSWORD = "violet harbor lantern 42"


def test_q1_scenarios_are_what_the_api_answers():
    app = ch09_sessions.create_app(Settings(session_cookie_secure=False))
    api = serve(app, name="test-q1")
    keys = {
        name: api.post(
            "/users", json={"name": name, "email": f"{name.lower()}@example.org", "password": PASSWORD}
        ).json()["api_key"]
        for name in ("Ada", "Bob")
    }

    def session(name: str) -> tuple[str, str]:
        body = api.post("/session", json={"email": f"{name.lower()}@example.org", "password": PASSWORD}).json()
        session_id = api.client.cookies["session"]
        api.client.cookies.clear()
        return session_id, body["csrf_token"]

    ada_id, ada_csrf = session("Ada")
    bob_id, bob_csrf = session("Bob")
    assert api.post("/tasks", json={"title": "Ada's"}, headers={"X-API-Key": keys["Ada"]}).status_code == 201
    expired_id, expired_csrf = session("Ada")
    app.context.sessions.redis.delete(app.context.sessions.key(expired_id))  # what the TTL does when it runs out
    ada, bob = {"Cookie": f"session={ada_id}"}, {"Cookie": f"session={bob_id}"}
    live = {
        "no cookie and no API key: POST /tasks": api.post("/tasks", json={"title": "t"}),
        "an expired session cookie: POST /tasks": api.post(
            "/tasks", json={"title": "t"}, headers={"Cookie": f"session={expired_id}", "X-CSRF-Token": expired_csrf}
        ),
        "an unknown API key: DELETE /tasks/1": api.delete("/tasks/1", headers={"X-API-Key": "tk_unknown"}),
        "a wrong password: POST /session": api.post(
            "/session", json={"email": "ada@example.org", "password": "not the password"}
        ),
        "Bob's session and CSRF token: PATCH Ada's task": api.patch(
            "/tasks/1", json={"done": True}, headers={**bob, "X-CSRF-Token": bob_csrf}
        ),
        "Ada's session without X-CSRF-Token: POST /tasks": api.post("/tasks", json={"title": "t"}, headers=ada),
        "Ada's session and token, sent by https://evil.example: POST /tasks": api.post(
            "/tasks", json={"title": "t"}, headers={**ada, "X-CSRF-Token": ada_csrf, "Origin": "https://evil.example"}
        ),
        "Bob's API key: DELETE Ada's task": api.delete("/tasks/1", headers={"X-API-Key": keys["Bob"]}),
    }
    assert {scenario: response.status_code for scenario, response in live.items()} == SCENARIOS
    ok = api.post("/tasks", json={"title": "t"}, headers={**ada, "X-CSRF-Token": ada_csrf})
    assert ok.status_code == 201  # the same session passes with its token: the 403s above are the CSRF rule


def test_q1_statuses():
    assert q1.evaluate(None).status == NOT_ATTEMPTED
    assert q1.evaluate(dict(SCENARIOS)).status == CORRECT
    wrong_answers = [
        {scenario: 401 for scenario in SCENARIOS},
        {scenario: 403 for scenario in SCENARIOS},
        {**SCENARIOS, "Ada's session without X-CSRF-Token: POST /tasks": 401},  # "no token = not logged in"
        {**SCENARIOS, "an expired session cookie: POST /tasks": 403},
        {**SCENARIOS, "a wrong password: POST /session": 403},
        {**SCENARIOS, "Bob's API key: DELETE Ada's task": 401},
        {**SCENARIOS, "an unknown API key: DELETE /tasks/1": 403},
        {scenario: str(status) for scenario, status in SCENARIOS.items()},
        dict(list(SCENARIOS.items())[:-1]),
        {**SCENARIOS, "something else": 401},
        [401, 403],
    ]
    for wrong in wrong_answers:
        assert q1.evaluate(wrong).status == INCORRECT, wrong
    result = q1.evaluate({**SCENARIOS, "Ada's session without X-CSRF-Token: POST /tasks": 401})
    assert result.expected == 403 and result.got == 401 and "logging in again" in result.message


def csrf_solution(method, origin, own_origin, sent_token, session_token):
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    if origin is not None and origin != own_origin:
        return False
    return bool(sent_token) and secrets.compare_digest(sent_token.encode(), session_token.encode())


def with_hmac(method, origin, own_origin, sent_token, session_token):  # a valid alternative
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    if origin not in (None, own_origin):
        return False
    return sent_token not in (None, "") and hmac.compare_digest(sent_token.encode("utf-8"), session_token.encode())


def equality(method, origin, own_origin, sent_token, session_token):  # right answers, leaks timing
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    if origin is not None and origin != own_origin:
        return False
    return bool(sent_token) and sent_token == session_token


def bytes_equality(method, origin, own_origin, sent_token, session_token):
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    if origin is not None and origin != own_origin:
        return False
    return bool(sent_token) and sent_token.encode() == session_token.encode()


def inequality(method, origin, own_origin, sent_token, session_token):
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    if origin is not None and origin != own_origin:
        return False
    if not sent_token or sent_token != session_token:
        return False
    return True


def compare_digest_on_str(method, origin, own_origin, sent_token, session_token):  # TypeError on non-ASCII
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    if origin is not None and origin != own_origin:
        return False
    return bool(sent_token) and secrets.compare_digest(sent_token, session_token)


def no_safe_methods(method, origin, own_origin, sent_token, session_token):
    if origin is not None and origin != own_origin:
        return False
    return bool(sent_token) and sent_token == session_token


def origin_only(method, origin, own_origin, sent_token, session_token):
    return method in ("GET", "HEAD", "OPTIONS") or origin is None or origin == own_origin


def token_only(method, origin, own_origin, sent_token, session_token):
    return method in ("GET", "HEAD", "OPTIONS") or (bool(sent_token) and sent_token == session_token)


def plain_equality(method, origin, own_origin, sent_token, session_token):  # "" == "" lets an empty token in
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    return (origin is None or origin == own_origin) and sent_token == session_token


def prefix_origin(method, origin, own_origin, sent_token, session_token):
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    return (origin is None or origin.startswith(own_origin)) and bool(sent_token) and sent_token == session_token


def null_is_no_origin(method, origin, own_origin, sent_token, session_token):
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    return origin in (None, "null", own_origin) and bool(sent_token) and sent_token == session_token


def origin_required(method, origin, own_origin, sent_token, session_token):
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    return origin == own_origin and bool(sent_token) and sent_token == session_token


def substring_token(method, origin, own_origin, sent_token, session_token):
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    return (origin is None or origin == own_origin) and bool(sent_token) and sent_token in session_token


def case_blind_token(method, origin, own_origin, sent_token, session_token):
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    return (origin is None or origin == own_origin) and bool(sent_token) and sent_token.lower() == session_token.lower()


def literal_origin(method, origin, own_origin, sent_token, session_token):
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    return origin in (None, "http://127.0.0.1:8000") and bool(sent_token) and sent_token == session_token


def only_get_is_safe(method, origin, own_origin, sent_token, session_token):
    if method == "GET":
        return True
    return (origin is None or origin == own_origin) and bool(sent_token) and sent_token == session_token


def reason_or_none(method, origin, own_origin, sent_token, session_token):
    return None if csrf_solution(method, origin, own_origin, sent_token, session_token) else "refused"


def test_q2_csrf_allows():
    def stub(method, origin, own_origin, sent_token, session_token):
        raise NotImplementedError

    assert q2.evaluate(stub).status == NOT_ATTEMPTED
    assert q2.evaluate(csrf_solution).status == CORRECT
    assert q2.evaluate(with_hmac).status == CORRECT
    for wrong in (
        no_safe_methods,
        origin_only,
        token_only,
        plain_equality,
        prefix_origin,
        null_is_no_origin,
        origin_required,
        substring_token,
        case_blind_token,
        literal_origin,
        only_get_is_safe,
        reason_or_none,
        equality,
        bytes_equality,
        inequality,
        compare_digest_on_str,
        lambda *args: True,
        lambda *args: False,
    ):
        assert q2.evaluate(wrong).status == INCORRECT, wrong.__name__
    assert "Origin" in q2.evaluate(origin_required).message
    for timing_leak in (equality, bytes_equality, inequality):
        assert "compare_digest" in q2.evaluate(timing_leak).message, timing_leak.__name__
    assert "bytes" in q2.evaluate(compare_digest_on_str).message


def rotate(store, old_session_id, user_id):
    store.delete(old_session_id)
    session_id, _ = store.create(user_id)
    return session_id


def keeps_the_old(store, old_session_id, user_id):
    session_id, _ = store.create(user_id)
    return session_id


def reuses_a_known_id(store, old_session_id, user_id):
    if store.get(old_session_id) is not None:
        return old_session_id
    return store.create(user_id)[0]


def ends_everyone(store, old_session_id, user_id):
    store.clear()
    return store.create(user_id)[0]


def always_user_one(store, old_session_id, user_id):
    store.delete(old_session_id)
    return store.create(1)[0]


def returns_the_tuple(store, old_session_id, user_id):
    store.delete(old_session_id)
    return store.create(user_id)


def deletes_the_new(store, old_session_id, user_id):
    session_id, _ = store.create(user_id)
    store.delete(old_session_id or session_id)
    return session_id


def writing(make_id, ttl: bool = True):
    """log_in writing the session by hand, its id from `make_id()`."""

    def log_in(store, old_session_id, user_id):
        store.delete(old_session_id)
        session_id = make_id()
        key = store.key(session_id)
        store.redis.hset(
            key,
            mapping={
                "user_id": user_id,
                "csrf_token": secrets.token_urlsafe(32),
                "ends_at": time.time() + store.absolute,
            },
        )
        if ttl:
            store.redis.expire(key, store.idle)
        return session_id

    return log_in


COUNTER = itertools.count(1000)
WEAK_IDS = {
    "a counter": lambda: str(next(COUNTER)),
    "the clock": lambda: str(time.time()),
    "the clock in ns": lambda: str(time.time_ns()),
    "uuid1": lambda: str(uuid.uuid1()),
    "random.random": lambda: str(random.random()),
    "random bits from random": lambda: f"{random.getrandbits(256):064x}",
    "a hash of the clock": lambda: hashlib.sha256(str(time.time()).encode()).hexdigest(),
}


@pytest.mark.parametrize(
    "wrong", [keeps_the_old, reuses_a_known_id, ends_everyone, always_user_one, returns_the_tuple, deletes_the_new]
)
def test_q3_wrong_rotations(wrong):
    assert q3.evaluate(wrong).status == INCORRECT


@pytest.mark.parametrize("kind", WEAK_IDS)
def test_q3_a_guessable_session_id_is_incorrect(kind):
    result = q3.evaluate(writing(WEAK_IDS[kind]))
    assert result.status == INCORRECT and ("guess" in result.message or "random" in result.message), result.message


def test_q3_a_session_without_expiry_is_incorrect():
    result = q3.evaluate(writing(lambda: secrets.token_urlsafe(32), ttl=False))
    assert result.status == INCORRECT and "expire" in result.message


def test_q3_a_random_id_written_by_hand_with_its_timeout_is_correct():
    assert q3.evaluate(writing(lambda: secrets.token_urlsafe(32))).status == CORRECT
    assert q3.evaluate(writing(lambda: str(uuid.uuid4()))).status == CORRECT  # 122 random bits


def test_q3_log_in():
    def stub(store, old_session_id, user_id):
        raise NotImplementedError

    assert q3.evaluate(stub).status == NOT_ATTEMPTED
    assert q3.evaluate(rotate).status == CORRECT
    assert "session fixation" in q3.evaluate(reuses_a_known_id).message
    assert "deleted" in q3.evaluate(keeps_the_old).message
