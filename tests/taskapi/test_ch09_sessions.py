"""Chapter 09: session-cookie login beside API keys, 401 vs 403, cookie flags, rotation, logout, expiry and CSRF."""

import os
import socket
import statistics
import threading
import time
from http.cookies import SimpleCookie

import pytest

from course_lib.notebook.server import serve
from course_lib.services.settings import Settings, get_settings
from course_lib.taskapi import app_for
from course_lib.taskapi.cookie_auth import CSRF_PROBLEM
from course_lib.taskapi.password_login import dummy_hash
from course_lib.web.problems import PROBLEM_JSON
from tests.taskapi.conftest import chapters_from, public_task_chapters

PASSWORD = "violet harbor lantern 42"
ADA = {"email": "ada@example.org", "password": PASSWORD}
EVIL = {"Origin": "https://evil.example"}
CROSS_SITE = {**EVIL, "Sec-Fetch-Site": "cross-site"}  # what a browser sends with another site's form or fetch
PLAIN_HTTP = Settings(session_cookie_secure=False)


def sign_up(api, name: str) -> dict[str, str]:
    created = api.post("/users", json={"name": name, "email": f"{name.lower()}@example.org", "password": PASSWORD})
    assert created.status_code == 201, created.text
    return {"X-API-Key": created.json()["api_key"]}


def log_in(api, email: str = ADA["email"]) -> dict[str, str]:
    """Log in through the client's cookie jar; the CSRF header its writes need."""
    response = api.post("/session", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def set_cookie(response) -> SimpleCookie:
    parsed = SimpleCookie()
    parsed.load(response.headers["set-cookie"])
    return parsed


@pytest.fixture
def plain_http_api():
    """The chapter's API with a cookie Python's jar sends over http (no Secure, no __Host-), and Ada signed up."""

    def start(chapter: int, **settings):
        api = serve(app_for(chapter, Settings(session_cookie_secure=False, **settings)), name=f"test-http-{chapter}")
        sign_up(api, "Ada")
        return api

    return start


@pytest.mark.parametrize("chapter", chapters_from(9))
def test_login_sets_the_production_cookie(api_at, chapter):
    api = api_at(chapter)
    sign_up(api, "Ada")
    response = api.post("/session", json=ADA)
    assert response.status_code == 201 and response.headers["location"] == "/session"
    assert response.headers["cache-control"] == "no-store"
    morsel = set_cookie(response)["__Host-session"]
    assert morsel["secure"] and morsel["httponly"] and morsel["samesite"].lower() == "lax"
    assert morsel["path"] == "/" and not morsel["domain"]
    assert not morsel["max-age"] and not morsel["expires"]  # non-persistent: the server's timeouts end it
    assert len(morsel.value) >= 43  # 256 random bits
    body = response.json()
    assert body["user"]["email"] == ADA["email"] and body["csrf_token"] and morsel.value not in response.text
    assert "password_hash" not in body["user"]


@pytest.mark.parametrize("chapter", chapters_from(9))
def test_pythons_jar_keeps_a_secure_cookie_off_plain_http_but_the_server_knows_it(api_at, chapter):
    api = api_at(chapter)
    sign_up(api, "Ada")
    session_id = set_cookie(api.post("/session", json=ADA))["__Host-session"].value
    assert api.get("/session").status_code == 401  # the jar has it, and does not send it over http
    by_hand = api.get("/session", headers={"Cookie": f"__Host-session={session_id}"})
    assert by_hand.status_code == 200 and by_hand.json()["user"]["name"] == "Ada"


@pytest.mark.parametrize("chapter", public_task_chapters(9))
def test_401_is_who_are_you_403_is_what_may_you_do_for_cookies_and_keys(plain_http_api, chapter):
    api = plain_http_api(chapter)
    bob_key = sign_up(api, "Bob")
    ada_csrf = log_in(api)
    task = api.post("/tasks", json={"title": "Ada's"}, headers=ada_csrf).json()
    api.client.cookies.clear()
    anonymous = api.patch(f"/tasks/{task['id']}", json={"done": True})
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == 'Session login="/session", ApiKey header="X-API-Key"'
    assert api.patch(f"/tasks/{task['id']}", json={"done": True}, headers=bob_key).status_code == 403
    bob_csrf = log_in(api, "bob@example.org")
    assert api.patch(f"/tasks/{task['id']}", json={"done": True}, headers=bob_csrf).status_code == 403
    assert api.get(f"/tasks/{task['id']}").json()["done"] is False


@pytest.mark.parametrize("chapter", chapters_from(9))
def test_a_task_created_with_the_cookie_belongs_to_the_logged_in_user(plain_http_api, chapter):
    api = plain_http_api(chapter)
    created = api.post("/tasks", json={"title": "mine"}, headers=log_in(api))
    assert created.status_code == 201 and created.json()["owner_id"] == 1
    assert api.get("/session").json()["user"]["id"] == 1


@pytest.fixture
def recommended_password_cost():
    """argon2id at the recommended cost for one test (the suite runs on the minimal one): timing needs the real work."""

    def switch(cost: str) -> None:
        os.environ["PASSWORD_HASH_COST"] = cost
        get_settings.cache_clear()
        dummy_hash.cache_clear()

    before = os.environ.get("PASSWORD_HASH_COST", "recommended")
    switch("recommended")
    yield
    switch(before)


@pytest.mark.parametrize("chapter", chapters_from(9))
def test_unknown_user_and_wrong_password_answer_alike_in_similar_time(
    recommended_password_cost, plain_http_api, chapter
):
    api = plain_http_api(chapter)

    def attempt(email: str, password: str):
        started = time.perf_counter()
        response = api.post("/session", json={"email": email, "password": password})
        return response, time.perf_counter() - started

    unknown = [attempt("nobody@example.org", PASSWORD) for _ in range(3)]
    wrong = [attempt(ADA["email"], "not the password at all") for _ in range(3)]
    for response, _ in unknown + wrong:
        assert response.status_code == 401 and response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["detail"] == "wrong email or password" and "set-cookie" not in response.headers
    assert unknown[0][0].headers.keys() == wrong[0][0].headers.keys()
    # Without the dummy hash an unknown email answers in about 1 ms, a wrong password after a full argon2 verify.
    unknown_time, wrong_time = (statistics.median(t for _, t in runs) for runs in (unknown, wrong))
    assert unknown_time > 0.4 * wrong_time, (unknown_time, wrong_time)


@pytest.mark.parametrize("chapter", chapters_from(9))
def test_login_rotates_the_session_id(plain_http_api, chapter):
    api = plain_http_api(chapter)
    api.client.cookies.set("session", "planted-by-an-attacker")
    first = set_cookie(api.post("/session", json=ADA))["session"].value
    second = set_cookie(api.post("/session", json=ADA))["session"].value
    assert len({"planted-by-an-attacker", first, second}) == 3
    assert api.get("/session", headers={"Cookie": f"session={first}"}).status_code == 401
    assert api.get("/session", headers={"Cookie": f"session={second}"}).status_code == 200


@pytest.mark.parametrize("chapter", chapters_from(9))
def test_logout_ends_the_session_on_the_server(plain_http_api, chapter):
    api = plain_http_api(chapter)
    csrf = log_in(api)
    session_id = api.client.cookies["session"]
    assert api.delete("/session").status_code == 403  # a cookie-authenticated write: the CSRF token is needed
    logout = api.delete("/session", headers=csrf)
    assert logout.status_code == 204 and set_cookie(logout)["session"]["max-age"] == "0"
    replayed = api.post("/tasks", json={"title": "x"}, headers={"Cookie": f"session={session_id}", **csrf})
    assert replayed.status_code == 401 and "ended" in replayed.json()["detail"]
    assert api.delete("/session").status_code == 204  # logging out twice is fine


@pytest.mark.parametrize("chapter", chapters_from(9))
def test_an_unused_session_expires_in_redis(plain_http_api, chapter):
    api = plain_http_api(chapter, session_idle_timeout=1)
    csrf = log_in(api)
    assert api.get("/session").status_code == 200
    time.sleep(1.1)
    assert api.get("/session").status_code == 401
    assert api.post("/tasks", json={"title": "late"}, headers=csrf).status_code == 401


@pytest.mark.parametrize("chapter", chapters_from(9))
def test_every_request_renews_the_idle_timeout_up_to_the_absolute_one(plain_http_api, chapter):
    api = plain_http_api(chapter, session_idle_timeout=600, session_absolute_timeout=3600)
    log_in(api)
    store, session_id = api.server.config.app.context.sessions, api.client.cookies["session"]
    store.redis.expire(store.key(session_id), 5)  # as if the session had sat unused for 595 s
    assert api.get("/session").status_code == 200 and 590 <= store.ttl_of(session_id) <= 600
    store.redis.hset(store.key(session_id), "ends_at", time.time() - 1)  # as if 8 hours had passed
    assert api.get("/session").status_code == 401 and store.ttl_of(session_id) < 0


@pytest.mark.parametrize("chapter", chapters_from(9))
def test_cookie_writes_need_the_csrf_token_and_their_own_origin(plain_http_api, chapter):
    api = plain_http_api(chapter)
    csrf = log_in(api)
    refused = [
        api.post("/tasks", json={"title": "forged"}),
        api.post("/tasks", json={"title": "forged"}, headers={"X-CSRF-Token": "guess"}),
        api.post("/tasks", json={"title": "forged"}, headers={**csrf, **EVIL}),
        api.post("/tasks", json={"title": "forged"}, headers={**csrf, **CROSS_SITE}),
        api.post("/tasks", json={"title": "forged"}, headers={**csrf, "Sec-Fetch-Site": "same-site"}),
        # the API's own origin, but from a browser without Fetch Metadata and not in ALLOWED_ORIGINS
        api.post("/tasks", json={"title": "forged"}, headers={**csrf, "Origin": api.url}),
    ]
    for response in refused:
        assert response.status_code == 403 and response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["type"] == CSRF_PROBLEM
    own_page = {**csrf, "Origin": api.url, "Sec-Fetch-Site": "same-origin"}
    assert api.post("/tasks", json={"title": "mine"}, headers=own_page).status_code == 201
    assert api.get("/tasks", headers=CROSS_SITE).status_code == 200  # reads change nothing
    assert api.get("/tasks").json()[0]["title"] == "mine" and len(api.get("/tasks").json()) == 1


@pytest.mark.parametrize("chapter", chapters_from(9))
def test_allowed_origins_come_from_the_settings_never_from_the_host_header(plain_http_api, chapter):
    api = plain_http_api(chapter, allowed_origins=["https://app.example.org"])
    csrf = log_in(api)
    spoofed = {**csrf, "Host": "evil.example", "Origin": "http://evil.example"}  # Origin matches the Host sent
    assert api.post("/tasks", json={"title": "forged"}, headers=spoofed).status_code == 403
    front_end = {**csrf, "Origin": "https://app.example.org", "Sec-Fetch-Site": "cross-site"}
    assert api.post("/tasks", json={"title": "from the front end"}, headers=front_end).status_code == 201


@pytest.mark.parametrize("chapter", chapters_from(9))
def test_api_key_writes_need_no_csrf_token(plain_http_api, chapter):
    api = plain_http_api(chapter)
    bob = sign_up(api, "Bob")
    assert api.post("/tasks", json={"title": "script"}, headers={**bob, **CROSS_SITE}).status_code == 201


@pytest.mark.parametrize("chapter", chapters_from(9))
def test_a_dead_cookie_falls_back_to_the_api_key(plain_http_api, chapter):
    api = plain_http_api(chapter)
    bob = sign_up(api, "Bob")
    created = api.post("/tasks", json={"title": "t"}, headers={"Cookie": "session=gone", **bob})
    assert created.status_code == 201 and created.json()["owner_id"] == 2


@pytest.mark.parametrize("chapter", chapters_from(9))
def test_a_login_from_another_origin_is_refused(plain_http_api, chapter):
    api = plain_http_api(chapter)
    for sent_by in (EVIL, CROSS_SITE, {"Sec-Fetch-Site": "same-site"}):
        response = api.post("/session", json=ADA, headers=sent_by)
        assert response.status_code == 403 and response.json()["type"] == CSRF_PROBLEM
        assert "set-cookie" not in response.headers
    assert api.post("/session", json=ADA, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 201


@pytest.mark.parametrize("chapter", chapters_from(9))
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "ada@example.org"},
        {**ADA, "remember": True},
        {**ADA, "password": "x" * 129},
        {"email": "", "password": PASSWORD},
        {"email": 7, "password": PASSWORD},
    ],
)
def test_bad_login_bodies_are_422(plain_http_api, chapter, body):
    response = plain_http_api(chapter).post("/session", json=body)
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM_JSON


@pytest.mark.parametrize("chapter", chapters_from(9))
def test_openapi_documents_the_session_and_keeps_the_api_key(chapter):
    spec = app_for(chapter).openapi()
    assert {"post", "get", "delete"} <= set(spec["paths"]["/session"])
    assert {"401", "403"} <= set(spec["paths"]["/session"]["post"]["responses"])
    schemes = spec["components"]["securitySchemes"].values()
    assert {"type": "apiKey", "in": "header", "name": "X-API-Key"} in [
        {key: scheme.get(key) for key in ("type", "in", "name")} for scheme in schemes
    ]


@pytest.fixture
def silent_redis():
    """A TCP server that accepts connections and never answers: a Redis stopped with SIGSTOP."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


@pytest.mark.parametrize("chapter", chapters_from(9))
@pytest.mark.parametrize("down", ["refused", "silent"])
def test_a_session_store_that_is_down_is_a_503_with_retry_after_within_seconds(silent_redis, chapter, down):
    dead = f"redis://127.0.0.1:{closed_port()}/0" if down == "refused" else silent_redis
    api = serve(app_for(chapter, Settings(session_cookie_secure=False, redis_url=dead)), name=f"test-down-{chapter}")
    assert api.post("/users", json={"name": "Ada", "email": ADA["email"], "password": PASSWORD}).status_code == 201
    for method, path, body in (
        ("POST", "/session", ADA),
        ("GET", "/session", None),
        ("DELETE", "/session", None),
        ("POST", "/tasks", {"title": "t"}),
    ):
        started = time.perf_counter()
        response = api.request(method, path, json=body, headers={"Cookie": "session=some-id"})
        elapsed = time.perf_counter() - started
        assert response.status_code == 503, (method, path, response.text)
        assert response.headers["content-type"] == PROBLEM_JSON and int(response.headers["retry-after"]) > 0
        assert "session store" in response.json()["detail"]
        assert elapsed < 4, (method, path, elapsed)  # redis-py's defaults took 5 s and more, then a 500


def make_admin(api, user_id: int) -> None:
    """What an operator does once, on the server: no API route can make the first admin."""
    with api.server.config.app.context.storage.unit_of_work() as uow:
        uow.users.set_role(user_id, "admin")
        uow.commit()


@pytest.mark.parametrize("chapter", chapters_from(15))
def test_a_role_change_ends_every_session_of_that_user(plain_http_api, chapter):
    api = plain_http_api(chapter)
    sign_up(api, "Bob")
    make_admin(api, 1)
    ada_csrf, ada_cookie = log_in(api), api.client.cookies["session"]
    bob_cookies = []
    for _ in range(2):  # two browsers
        api.client.cookies.clear()
        log_in(api, "bob@example.org")
        bob_cookies.append(api.client.cookies["session"])
    api.client.cookies.clear()
    promoted = api.put(
        "/admin/users/2/role", json={"role": "admin"}, headers={"Cookie": f"session={ada_cookie}", **ada_csrf}
    )
    assert promoted.status_code == 200, promoted.text
    for cookie in bob_cookies:  # a privilege change: Bob's next session, made at login, gets a new id (OWASP)
        assert api.get("/session", headers={"Cookie": f"session={cookie}"}).status_code == 401
    assert api.get("/session", headers={"Cookie": f"session={ada_cookie}"}).status_code == 200
    log_in(api, "bob@example.org")
    assert api.get("/session").json()["user"]["role"] == "admin"
