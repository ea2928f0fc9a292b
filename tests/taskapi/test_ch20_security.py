"""Chapter 20: rate limits (429 + Retry-After + RateLimit fields, allowed again after it; failed logins per account
and per address, a spoofed X-Forwarded-For ignored), CORS from the allow-list only, security headers, no traceback in
any answer, redacted logs, and every 429 in the OpenAPI."""

import json
import logging
import time

import httpx
import pytest

from course_lib.notebook.server import LOGS, serve
from course_lib.services.settings import get_settings
from course_lib.taskapi import app_for
from course_lib.taskapi.api_keys import sign_up
from course_lib.web.problems import PROBLEM_JSON
from course_lib.web.redaction import RedactingFilter
from course_lib.web.security_headers import SECURITY_HEADERS
from tests.taskapi.conftest import chapters_from

FRONT = "https://app.example.org"
PASSWORD = "violet harbor lantern 42"


def served(chapter: int, name: str = "test-ch20", **settings):
    """The chapter's API served with `settings` changed (short windows, an allowed origin)."""
    return serve(app_for(chapter, get_settings().model_copy(update=settings)), name=name)


@pytest.mark.parametrize("chapter", chapters_from(20))
def test_every_answer_says_its_quota_and_what_is_left(chapter, database):
    api = served(chapter)
    answer = api.get("/health")
    assert answer.headers["ratelimit-policy"] == '"requests";q=3000;w=60'
    assert answer.headers["ratelimit"].startswith('"requests";r=2999;t=')


@pytest.mark.parametrize("chapter", chapters_from(20))
def test_over_the_limit_429_with_retry_after_and_fields_then_allowed_again(chapter, database):
    api = served(chapter, rate_limit="4/second")
    answers = [api.get("/health") for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 4 + [429]
    refused = answers[-1]
    assert refused.headers["content-type"] == PROBLEM_JSON and refused.json()["status"] == 429
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["ratelimit-policy"] == '"requests";q=4;w=1'
    assert refused.headers["ratelimit"] == '"requests";r=0;t=1'
    for name, value in SECURITY_HEADERS.items():  # the outer middleware dresses the 429 too
        assert refused.headers[name] == value
    time.sleep(int(refused.headers["retry-after"]))
    assert api.get("/health").status_code == 200


@pytest.mark.parametrize("chapter", chapters_from(20))
def test_a_spoofed_x_forwarded_for_does_not_buy_a_new_quota(chapter, database):
    api = served(chapter, rate_limit="3/minute")
    statuses = [api.get("/health", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]


@pytest.mark.parametrize("chapter", chapters_from(20))
@pytest.mark.parametrize("path", ["/tokens", "/session"])
def test_failed_logins_per_account_then_per_address(chapter, path, database):
    api = served(chapter, login_limit_per_account="3/minute", login_limit_per_address="5/minute")
    sign_up(api, "Ada", password=PASSWORD)
    sign_up(api, "Bob", password=PASSWORD)
    right = {"email": "ada@example.org", "password": PASSWORD}
    assert api.post(path, json=right).status_code in (200, 201)  # a success never counts
    wrong = {"email": "ada@example.org", "password": "not the password at all"}
    assert [api.post(path, json=wrong).status_code for _ in range(4)] == [401, 401, 401, 429]
    locked = api.post(path, json=right)
    assert locked.status_code == 429 and locked.json()["policy"] == "failed-logins-account"
    assert 1 <= int(locked.headers["retry-after"]) <= 60
    assert locked.headers["ratelimit-policy"] == '"failed-logins-account";q=3;w=60'
    bob = {"email": "bob@example.org", "password": PASSWORD}
    assert api.post(path, json=bob).status_code in (200, 201)  # another account logs in
    bad = {**bob, "password": "wrong wrong wrong"}
    assert [api.post(path, json=bad).status_code for _ in range(2)] == [401, 401]  # 4th and 5th from this address
    refused = api.post(path, json=bob)
    assert refused.status_code == 429 and refused.json()["policy"] == "failed-logins-address"


@pytest.mark.parametrize("chapter", chapters_from(20))
def test_the_default_login_limits_leave_a_person_room_to_mistype(chapter, database):
    api = served(chapter)
    sign_up(api, "Ada", password=PASSWORD)
    wrong = {"email": "ada@example.org", "password": "not the password at all"}
    assert {api.post("/tokens", json=wrong).status_code for _ in range(10)} == {401}
    refused = api.post("/tokens", json=wrong)
    # refused for this address only: the account's own ceiling (100) is far off, so its owner elsewhere still logs in
    assert refused.status_code == 429 and refused.json()["policy"] == "failed-logins-account-address"
    assert refused.headers["ratelimit-policy"] == '"failed-logins-account-address";q=10;w=900'


@pytest.mark.parametrize("chapter", chapters_from(20))
def test_cors_answers_the_listed_origins_preflight_and_never_echoes_another(chapter, database):
    api = served(chapter, allowed_origins=[FRONT])
    ask = {"Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "authorization, if-match"}
    preflight = api.client.options("/tasks/1", headers={"Origin": FRONT, **ask})
    assert preflight.status_code == 200  # chapter 01 answered 204 without Access-Control-Allow-Origin
    assert preflight.headers["access-control-allow-origin"] == FRONT
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "ratelimit" not in preflight.headers  # answered before the limiter: a preflight costs no quota
    foreign = api.client.options("/tasks/1", headers={"Origin": "https://evil.example", **ask})
    assert foreign.status_code == 400 and foreign.headers["content-type"] == PROBLEM_JSON
    read = api.get("/health", headers={"Origin": "https://evil.example", "Cookie": "__Host-session=x"})
    assert not [name for name in {**foreign.headers, **read.headers} if name.startswith("access-control-")]
    allowed = api.get("/health", headers={"Origin": FRONT})
    assert allowed.headers["access-control-allow-origin"] == FRONT
    assert "RateLimit" in allowed.headers["access-control-expose-headers"]


@pytest.mark.parametrize("chapter", chapters_from(20))
def test_no_origin_is_allowed_by_default(chapter, database):
    api = served(chapter)
    ask = {"Origin": "https://localhost:3000", "Access-Control-Request-Method": "GET"}
    assert api.client.options("/tasks", headers=ask).status_code == 400


@pytest.mark.parametrize("chapter", chapters_from(20))
def test_security_headers_on_answers_and_errors(chapter, database):
    api = served(chapter)
    for answer in (api.get("/health"), api.get("/tasks/999999"), api.post("/tasks", json={})):
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers[name] == value
    docs = api.get("/docs").headers["content-security-policy"]  # the docs page sets its own (scripts of its own)
    assert "script-src 'self'" in docs and docs != SECURITY_HEADERS["Content-Security-Policy"]


@pytest.mark.parametrize("chapter", chapters_from(20))
def test_a_route_that_raises_answers_500_without_a_traceback(chapter, database):
    app = app_for(chapter, get_settings())

    @app.get("/boom")
    def boom() -> None:
        secret = "postgresql://app:hunter2hunter2@db/tasks"
        raise RuntimeError(f"cannot reach {secret}")

    api = serve(app, name="test-ch20-boom")
    answer = api.get("/boom", headers={"X-Request-ID": "crash-1"})
    assert answer.status_code == 500 and answer.headers["content-type"] == PROBLEM_JSON
    assert answer.json()["status"] == 500
    for name, value in SECURITY_HEADERS.items():  # dressed like every other answer: the app's middleware wraps it
        assert answer.headers.get(name) == value, name
    if chapter >= 21:
        assert answer.headers.get("x-request-id") == "crash-1"
        (line,) = app.context.request_log.for_request("crash-1")  # the access log: an error, its type and stack
        assert line["status"] == 500 and line["level"] == "error" and line["error"] == "RuntimeError"
        assert "boom" in line["stack"] and "hunter2" not in json.dumps(line)
    for leak in ("Traceback", "RuntimeError", "hunter2", 'File "', "boom"):
        assert leak not in answer.text
    assert LOGS.wait_for("cannot reach postgresql://app:[REDACTED]@db/tasks", 5)  # the server log has it, masked
    assert "Traceback" in "\n".join(LOGS.lines) and not [line for line in LOGS.lines if "hunter2" in line]


@pytest.mark.parametrize("chapter", chapters_from(20))
def test_the_server_and_api_loggers_redact(chapter, database):
    app_for(chapter)
    for name in ("uvicorn.error", "uvicorn.access", "course_lib.taskapi"):
        assert any(isinstance(f, RedactingFilter) for f in logging.getLogger(name).filters), name


@pytest.mark.parametrize("chapter", chapters_from(20))
def test_every_operation_documents_its_429_and_fields(chapter):
    schema = app_for(chapter).openapi()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            answer = operation["responses"]["429"]
            assert set(answer["headers"]) == {"Retry-After", "RateLimit", "RateLimit-Policy"}, (method, path)
            assert PROBLEM_JSON in answer["content"]


@pytest.mark.parametrize("chapter", chapters_from(20))
def test_behind_the_courses_proxy_the_limit_counts_the_address_the_proxy_saw(chapter, database):
    """The API trusts forwarding headers from loopback (the proxy's address here); the proxy (nginx when NGINX_BIN or
    PATH has it, else the course's own) writes X-Forwarded-For from what it saw, so a client's spoof is replaced."""
    from course_lib.lab.balancer import load_balancer

    app = app_for(chapter, get_settings().model_copy(update={"rate_limit": "3/minute"}))
    api = serve(app, name="test-ch20-behind", trust_loopback_proxies=True)
    front = load_balancer([api.url])
    try:
        with httpx.Client(base_url=front.url, timeout=30) as client:
            spoofed = [client.get("/health", headers={"X-Forwarded-For": f"203.0.113.{n}"}) for n in range(4)]
        left = [int(answer.headers["ratelimit"].split(";r=")[1].split(";")[0]) for answer in spoofed]
        assert spoofed[-1].status_code == 429  # the proxy's own readiness probe may have spent one unit too
        assert all(a - b == 1 for a, b in zip(left, left[1:]) if b > 0), left  # one count, whatever the header said
        # straight to the API from loopback, the header is believed: that is why only the proxy may reach a replica
        assert api.get("/health", headers={"X-Forwarded-For": "203.0.113.99"}).status_code == 200
    finally:
        front.stop()
