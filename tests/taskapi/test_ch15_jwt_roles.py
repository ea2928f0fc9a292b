"""Chapter 15: JWT access tokens, rotating refresh tokens, private tasks (404), admin roles by claim vs by lookup."""

import secrets
import socket
import time

import fakeredis
import pytest

from course_lib.lab.forged_tokens import claims, forged, signed
from course_lib.notebook.server import serve
from course_lib.services.settings import Settings
from course_lib.taskapi import app_for, ch15_jwt_roles
from course_lib.taskapi.api_keys import sign_up
from course_lib.web.problems import PROBLEM_JSON
from course_lib.web.tokens import TokenConfig, issue, key_id
from tests.taskapi.conftest import chapters_from

PASSWORD = "violet harbor lantern 42"


def log_in(api, email: str, password: str = PASSWORD):
    return api.post("/tokens", json={"email": email, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}".strip()}


def tokens_of(api, name: str) -> dict:
    """Sign `name` up and log in: the token pair."""
    sign_up(api, name)
    response = log_in(api, f"{name.lower()}@example.org")
    assert response.status_code == 200, response.text
    return response.json()


def make_admin(api, user_id: int) -> None:
    """What an operator does once, on the server: no API route can make the first admin."""
    storage = api.server.config.app.context.storage
    with storage.unit_of_work() as uow:
        uow.users.set_role(user_id, "admin")
        uow.commit()


@pytest.mark.parametrize("chapter", chapters_from(15))
def test_login_answers_a_token_pair_that_is_never_cached(api_at, chapter):
    api = api_at(chapter)
    pair = tokens_of(api, "Ada")
    assert pair["token_type"] == "Bearer" and pair["expires_in"] == 300 and pair["refresh_token"].startswith("rt_")
    assert log_in(api, "ada@example.org").headers["cache-control"] == "no-store"
    me = api.get("/tasks", headers=bearer(pair["access_token"]))
    assert me.status_code == 200 and me.json() == []


@pytest.mark.parametrize("chapter", chapters_from(15))
def test_unknown_email_and_wrong_password_answer_alike(api_at, chapter):
    api = api_at(chapter)
    sign_up(api, "Ada")
    unknown, wrong = log_in(api, "nobody@example.org"), log_in(api, "ada@example.org", "wrong password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["detail"] == wrong.json()["detail"]
    nul = log_in(api, "ada\x00@example.org")  # PostgreSQL cannot compare a NUL: schemathesis found a 500 there
    assert nul.status_code == 401 and nul.json()["detail"] == wrong.json()["detail"], nul.text


@pytest.mark.parametrize("chapter", chapters_from(15))
def test_every_forged_or_broken_token_is_401_invalid_token_never_500(api_at, chapter):
    api = api_at(chapter)
    pair = tokens_of(api, "Ada")
    config = api.server.config.app.context.tokens
    bad = {**forged(config, 1), "empty": "", "subject not a user id": signed(config, claims(config, "ada"))}
    assert api.get("/tasks", headers=bearer(pair["access_token"])).status_code == 200  # the good one works
    for name, token in bad.items():
        response = api.get("/tasks", headers=bearer(token))
        assert response.status_code == 401, (name, response.text)
        assert response.headers["content-type"] == PROBLEM_JSON, name
        assert 'error="invalid_token"' in response.headers["www-authenticate"], name


@pytest.mark.parametrize("chapter", chapters_from(15))
def test_a_token_for_a_deleted_user_or_an_unknown_id_is_401(api_at, chapter):
    api = api_at(chapter)
    tokens_of(api, "Ada")
    token = issue(api.server.config.app.context.tokens, 999, role="admin")
    assert api.get("/tasks", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize("chapter", chapters_from(15))
def test_refresh_rotates_and_a_reused_token_revokes_the_family(api_at, chapter):
    api = api_at(chapter)
    first = tokens_of(api, "Ada")
    second = api.post("/tokens/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200 and second.json()["refresh_token"] != first["refresh_token"]
    assert api.get("/tasks", headers=bearer(second.json()["access_token"])).status_code == 200
    reused = api.post("/tokens/refresh", json={"refresh_token": first["refresh_token"]})  # a thief's copy
    assert reused.status_code == 401 and reused.json()["reused"] is True
    latest = api.post("/tokens/refresh", json={"refresh_token": second.json()["refresh_token"]})
    assert latest.status_code == 401  # the whole family is gone: the owner must log in again
    other_login = log_in(api, "ada@example.org").json()  # another family is untouched by that
    assert api.post("/tokens/refresh", json={"refresh_token": other_login["refresh_token"]}).status_code == 200


@pytest.mark.parametrize("chapter", chapters_from(15))
def test_logout_revokes_refresh_but_the_access_token_lives_until_exp_a_session_dies_at_once(plain_http_api, chapter):
    api = plain_http_api(chapter)
    pair = tokens_of(api, "Ada")
    assert api.post("/tokens/revoke", json={"refresh_token": pair["refresh_token"]}).status_code == 204
    assert api.post("/tokens/revoke", json={"refresh_token": "rt_unknown"}).status_code == 204
    assert api.post("/tokens/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401
    assert api.get("/tasks", headers=bearer(pair["access_token"])).status_code == 200  # stateless: still valid
    login = api.post("/session", json={"email": "ada@example.org", "password": PASSWORD})
    csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
    assert api.get("/tasks").status_code == 200
    assert api.delete("/session", headers=csrf).status_code == 204
    assert api.get("/tasks").status_code == 401  # the server forgot the session: the cookie is worthless at once


@pytest.fixture
def plain_http_api():
    """An API whose session cookie works over plain HTTP, so the test client sends it back."""

    def start(chapter: int):
        api = serve(app_for(chapter, Settings(session_cookie_secure=False)), name=f"test-ch{chapter}-plain")
        api.client.headers["If-Match"] = "*"
        return api

    return start


@pytest.mark.parametrize("chapter", chapters_from(15))
def test_nobody_is_one_401_offering_every_scheme_in_the_order_they_are_tried(api_at, chapter):
    api = api_at(chapter)
    api.client.auth = None
    refused = api.post("/tasks", json={"title": "t"})
    assert refused.status_code == 401 and refused.headers["content-type"] == PROBLEM_JSON
    assert refused.headers["www-authenticate"] == (
        'Bearer realm="task-api", Session login="/session", ApiKey header="X-API-Key"'
    )  # RFC 9110 §11.6.1: several
    assert refused.json()["detail"] == (
        "send Authorization: Bearer <token> from POST /tokens, or log in at "
        "POST /session, or send your API key in the X-API-Key header"
    )


@pytest.mark.parametrize("chapter", chapters_from(15))
def test_a_valid_token_wins_over_a_cookie_and_a_cookie_over_a_key(plain_http_api, chapter):
    api = plain_http_api(chapter)
    ada_key, bob_key = sign_up(api, "Ada"), sign_up(api, "Bob")
    bob_token = log_in(api, "bob@example.org").json()["access_token"]
    ada_csrf = {
        "X-CSRF-Token": api.post("/session", json={"email": "ada@example.org", "password": PASSWORD}).json()[
            "csrf_token"
        ]
    }  # Ada's session cookie is in the client's jar
    by_token = api.post("/tasks", json={"title": "t"}, headers={**bearer(bob_token), **ada_key})
    assert by_token.status_code == 201 and by_token.json()["owner_id"] == 2  # no CSRF check: the cookie is unread
    assert api.post("/tasks", json={"title": "t"}, headers=bob_key).status_code == 403  # the cookie, without CSRF
    by_cookie = api.post("/tasks", json={"title": "t"}, headers={**bob_key, **ada_csrf})
    assert by_cookie.status_code == 201 and by_cookie.json()["owner_id"] == 1
    forged = api.post("/tasks", json={"title": "t"}, headers={**bearer("not.a.token"), **ada_csrf, **bob_key})
    assert forged.status_code == 401 and 'error="invalid_token"' in forged.headers["www-authenticate"]


@pytest.mark.parametrize("chapter", chapters_from(15))
def test_admin_routes_are_401_for_nobody_403_for_members_200_for_admins(api_at, chapter):
    api = api_at(chapter)
    ada, bob = tokens_of(api, "Ada"), tokens_of(api, "Bob")
    make_admin(api, 1)
    ada = log_in(api, "ada@example.org").json()  # a new token carries the new role
    routes = [
        ("GET", "/admin/users", None),
        ("GET", "/admin/stats", None),
        ("PUT", "/admin/users/2/role", {"role": "member"}),
    ]
    for method, path, body in routes:
        assert api.request(method, path, json=body).status_code == 401, path
        member = api.request(method, path, json=body, headers=bearer(bob["access_token"]))
        assert member.status_code == 403 and member.headers["content-type"] == PROBLEM_JSON, path
        assert api.request(method, path, json=body, headers=bearer(ada["access_token"])).status_code == 200, path
    roles = {user["name"]: user["role"] for user in api.get("/admin/users", headers=bearer(ada["access_token"])).json()}
    assert roles == {"Ada": "admin", "Bob": "member"}


@pytest.mark.parametrize("chapter", chapters_from(15))
def test_a_demotion_counts_at_once_by_lookup_but_not_by_claim_until_a_new_token(api_at, chapter):
    api = api_at(chapter)
    tokens_of(api, "Ada")
    make_admin(api, 1)
    ada = log_in(api, "ada@example.org").json()
    root = tokens_of(api, "Root")
    make_admin(api, 2)
    root = log_in(api, "root@example.org").json()
    demoted = api.put("/admin/users/1/role", json={"role": "member"}, headers=bearer(root["access_token"]))
    assert demoted.status_code == 200 and demoted.json()["role"] == "member"
    assert api.get("/admin/users", headers=bearer(ada["access_token"])).status_code == 403  # looked up: at once
    assert api.get("/admin/stats", headers=bearer(ada["access_token"])).status_code == 200  # the claim: stale
    refreshed = api.post("/tokens/refresh", json={"refresh_token": ada["refresh_token"]}).json()
    assert api.get("/admin/stats", headers=bearer(refreshed["access_token"])).status_code == 403


@pytest.mark.parametrize("chapter", chapters_from(15))
def test_another_users_task_is_404_exactly_like_a_missing_one_on_every_route(api_at, chapter):
    api = api_at(chapter)
    ada, bob = sign_up(api, "Ada"), sign_up(api, "Bob")
    task = api.post("/tasks", json={"title": "Ada's"}, headers=ada).json()
    routes = [
        ("GET", "", None),
        ("HEAD", "", None),
        ("PUT", "", {"title": "mine now"}),
        ("PATCH", "", {"done": True}),
        ("DELETE", "", None),
        ("POST", "/complete", None),
    ]
    for method, suffix, body in routes:
        theirs = api.request(method, f"/tasks/{task['id']}{suffix}", json=body, headers=bob)
        missing = api.request(method, f"/tasks/999{suffix}", json=body, headers=bob)
        assert theirs.status_code == missing.status_code == 404, (method, suffix)
        if method != "HEAD":
            shape = {key: value for key, value in theirs.json().items() if key not in ("detail", "instance")}
            assert shape == {key: value for key, value in missing.json().items() if key not in ("detail", "instance")}
            assert theirs.json()["detail"] == missing.json()["detail"].replace("999", str(task["id"]))
    assert api.get(f"/tasks/{task['id']}", headers=ada).json()["title"] == "Ada's"  # nothing changed
    assert api.get("/tasks", headers=bob).json() == [] and len(api.get("/tasks", headers=ada).json()) == 1
    assert api.get("/users/1/tasks", headers=bob).status_code == 403
    api.client.auth = None  # no key at all (conftest's client would read as the last writer)
    assert api.get("/tasks").status_code == 401 and api.get(f"/tasks/{task['id']}").status_code == 401


@pytest.mark.parametrize("chapter", chapters_from(15))
def test_openapi_shows_the_bearer_scheme_before_the_api_key(chapter):
    spec = app_for(chapter).openapi()
    schemes = spec["components"]["securitySchemes"]
    assert list(schemes) == ["HTTPBearer", "APIKeyHeader"]  # in the order the API tries them
    assert {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}.items() <= schemes["HTTPBearer"].items()
    assert {"/tokens", "/tokens/refresh", "/tokens/revoke", "/admin/users", "/admin/stats"} <= set(spec["paths"])
    assert {"401", "403"} <= set(spec["paths"]["/admin/users"]["get"]["responses"])


@pytest.mark.parametrize("chapter", chapters_from(15))
def test_a_token_response_is_200_with_nothing_to_locate(api_at, chapter):
    """RFC 6749 §5.1: the token endpoint answers 200; a 201 would have to name a resource a client can GET."""
    api = api_at(chapter)
    sign_up(api, "Ada")
    login = log_in(api, "ada@example.org")
    refreshed = api.post("/tokens/refresh", json={"refresh_token": login.json()["refresh_token"]})
    for response in (login, refreshed):
        assert response.status_code == 200 and "location" not in response.headers
        assert response.headers["cache-control"] == "no-store"
    paths = app_for(chapter).openapi()["paths"]
    for path in ("/tokens", "/tokens/refresh"):
        assert "200" in paths[path]["post"]["responses"] and "201" not in paths[path]["post"]["responses"], path


@pytest.mark.parametrize("chapter", chapters_from(15))
def test_every_401_of_the_token_routes_says_how_to_authenticate(api_at, chapter):
    """RFC 9110 §15.5.2: every 401 MUST carry WWW-Authenticate: wrong password, dead refresh token, lost user."""
    api = api_at(chapter)
    pair = tokens_of(api, "Ada")
    ghost = api.server.config.app.context.refresh_tokens.start(999)  # a family whose user was deleted since
    spent = pair["refresh_token"]
    api.post("/tokens/refresh", json={"refresh_token": spent})
    answers = {
        "wrong password": log_in(api, "ada@example.org", "not it"),
        "unknown refresh token": api.post("/tokens/refresh", json={"refresh_token": "rt_unknown"}),
        "reused refresh token": api.post("/tokens/refresh", json={"refresh_token": spent}),
        "deleted user": api.post("/tokens/refresh", json={"refresh_token": ghost}),
        "bad access token": api.get("/tasks", headers=bearer("not.a.token")),
    }
    for name, response in answers.items():
        assert response.status_code == 401, (name, response.text)
        assert response.headers["www-authenticate"].startswith("Bearer"), name
        assert response.headers["content-type"] == PROBLEM_JSON, name
    assert answers["deleted user"].json()["detail"] == "this user no longer exists"
    assert api.post("/tokens/refresh", json={"refresh_token": ghost}).status_code == 401  # its family is revoked


def dead_redis_clients():
    """A fakeredis server that is down, and a port that accepts connections and never answers (a stopped Redis)."""
    down = fakeredis.FakeServer()
    down.connected = False
    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    port = silent.getsockname()[1]
    hung = ch15_jwt_roles.refresh_redis(Settings(redis_url=f"redis://127.0.0.1:{port}/0"))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as closed:
        closed.bind(("127.0.0.1", 0))
        refused = ch15_jwt_roles.refresh_redis(Settings(redis_url=f"redis://127.0.0.1:{closed.getsockname()[1]}/0"))
    return {
        "fakeredis down": fakeredis.FakeRedis(server=down, decode_responses=True),
        "a hung Redis": hung,
        "a closed port": refused,
    }, silent


@pytest.mark.parametrize("chapter", chapters_from(15))
def test_redis_down_is_a_quick_503_with_retry_after_never_a_500(api_at, chapter):
    api = api_at(chapter)
    pair = tokens_of(api, "Ada")
    store = api.server.config.app.context.refresh_tokens
    working, (clients, silent) = store.redis, dead_redis_clients()
    try:
        for name, client in clients.items():
            store.redis = client
            for path, body in [
                ("/tokens", {"email": "ada@example.org", "password": PASSWORD}),
                ("/tokens/refresh", {"refresh_token": pair["refresh_token"]}),
                ("/tokens/revoke", {"refresh_token": pair["refresh_token"]}),
            ]:
                started = time.perf_counter()
                response = api.post(path, json=body)
                took = time.perf_counter() - started
                assert response.status_code == 503, (name, path, response.text)
                assert response.headers["content-type"] == PROBLEM_JSON and int(response.headers["retry-after"]) > 0
                assert took < 4, (name, path, took)  # 2 × 0.5 s of socket timeout, not redis-py's ~5 s of retries
    finally:
        store.redis = working
        silent.close()
    assert api.post("/tokens/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 200  # back


def test_the_503_of_the_token_routes_is_in_the_contract():
    paths = app_for(15).openapi()["paths"]
    for path in ("/tokens", "/tokens/refresh", "/tokens/revoke"):
        assert "Retry-After" in paths[path]["post"]["responses"]["503"]["headers"], path


@pytest.mark.parametrize("chapter", chapters_from(15))
def test_a_token_signed_with_the_previous_key_verifies_after_a_rotation(chapter):
    """Key rotation: the kid names the key; the previous key verifies until dropped, an unknown kid is 401."""
    old, new = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    before = serve(app_for(chapter, Settings(secret_key=old)), name=f"test-ch{chapter}-old-key")
    yesterday = tokens_of(before, "Ada")["access_token"]
    before.stop()
    for previous, expected in (([old], 200), ([], 401)):
        after = serve(
            app_for(chapter, Settings(secret_key=new, previous_secret_keys=previous)), name=f"test-ch{chapter}-new-key"
        )
        sign_up(after, "Ada")
        response = after.get("/tasks", headers=bearer(yesterday))
        assert response.status_code == expected, (previous, response.text)
        if expected == 401:
            assert "kid names no key" in response.headers["www-authenticate"]
        fresh = TokenConfig(key=new).keys()
        assert set(fresh) <= set(after.server.config.app.context.tokens.keys())  # it signs with the new one
        after.stop()


def test_the_key_set_comes_from_secret_key_and_previous_secret_keys(monkeypatch):
    current, previous = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    monkeypatch.setenv("SECRET_KEY", current)
    monkeypatch.setenv("PREVIOUS_SECRET_KEYS", f'["{previous}"]')
    config = app_for(15, Settings()).context.tokens
    assert config.key == current and config.previous_keys == (previous,)
    assert set(config.keys()) == {key_id(current), key_id(previous)}
