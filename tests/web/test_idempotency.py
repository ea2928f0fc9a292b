import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi import FastAPI, HTTPException

from course_lib.notebook.server import serve
from course_lib.services.cache import redis_client
from course_lib.web.idempotency import (
    CLAIM_TTL,
    IN_FLIGHT,
    INVALID,
    KEY_TTL,
    MISSING,
    REUSED,
    IdempotencyMiddleware,
    IdempotencyStore,
    InvalidKey,
    client_of,
    fingerprint,
    parse_key,
)

WAIT = 10  # seconds: a bound on waits for events that should happen at once, never a sleep


@pytest.fixture
def store():
    made = IdempotencyStore(redis_client())
    yield made
    made.clear()


def test_parse_key_accepts_the_drafts_quoted_string_and_a_bare_token():
    assert parse_key('"8e03978e-40d5-43e8-bc93-6894a57f9324"') == "8e03978e-40d5-43e8-bc93-6894a57f9324"
    assert parse_key(' abc ') == "abc"
    assert parse_key('"a\\"b"') == 'a"b'
    for bad in ('""', "", "x" * 256, "clé"):
        with pytest.raises(InvalidKey):
            parse_key(bad)


def test_the_client_is_its_api_key_hash_or_its_address():
    with_key = {"headers": [(b"x-api-key", b"secret")], "client": ("10.0.0.1", 5000)}
    assert client_of(with_key).startswith("key-") and "secret" not in client_of(with_key)
    assert client_of({"headers": [], "client": ("10.0.0.1", 5000)}) == "addr-10.0.0.1"
    assert client_of({"headers": []}) == "addr-unknown"


def test_fingerprint_compares_json_by_content():
    base = fingerprint("POST", "/tasks", b"", b'{"a": 1, "b": 2}')
    assert fingerprint("POST", "/tasks", b"", b'{"b":2,"a":1}') == base
    assert fingerprint("POST", "/tasks", b"", b'{"a": 2, "b": 2}') != base
    assert fingerprint("POST", "/other", b"", b'{"a": 1, "b": 2}') != base
    assert fingerprint("POST", "/tasks", b"x=1", b'{"a": 1, "b": 2}') != base
    assert fingerprint("POST", "/tasks", b"", b"not json") != base


def test_store_claims_once_then_replays(store):
    assert store.claim("c", "k", "f1").outcome == "claimed"
    assert 0 < store.ttl("c", "k") <= CLAIM_TTL
    assert store.claim("c", "k", "f1").outcome == "in_flight"
    assert store.claim("c", "k", "f2").outcome == "mismatch"
    assert store.claim("other-client", "k", "f2").outcome == "claimed"
    store.complete("c", "k", "f1", {"status": 201, "headers": [], "body": ""})
    assert CLAIM_TTL < store.ttl("c", "k") <= KEY_TTL
    done = store.claim("c", "k", "f1")
    assert done.outcome == "done" and done.response["status"] == 201
    assert store.claim("c", "k", "f2").outcome == "mismatch"
    store.release("c", "k")
    assert store.claim("c", "k", "f2").outcome == "claimed"


def test_stores_of_two_apps_never_share_keys(store):
    other = IdempotencyStore(redis_client())
    assert store.claim("c", "k", "f").outcome == "claimed"
    assert other.claim("c", "k", "g").outcome == "claimed"
    assert store.clear() == 1 and other.ttl("c", "k") > 0
    other.clear()


class Gate:
    """A handler that can be held inside, to catch a request in flight without sleeping."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()
        self.release.set()

    def hold(self) -> None:
        self.release.clear()

    def pass_through(self) -> None:
        self.entered.set()
        assert self.release.wait(WAIT)


def _app(store: IdempotencyStore, **options) -> FastAPI:
    app = FastAPI()
    app.state.created, app.state.gate = [], Gate()

    @app.post("/things", status_code=201)
    def create(body: dict) -> dict:
        app.state.gate.pass_through()
        if body.get("fail"):
            raise HTTPException(503, "try later")
        app.state.created.append(body)
        return {"id": len(app.state.created), **body}

    @app.patch("/things/{number}")
    def rename(number: int, body: dict) -> dict:
        app.state.created.append({"patched": number, **body})
        return {"patches": len(app.state.created)}

    @app.get("/things")
    def things() -> list:
        return app.state.created

    app.add_middleware(IdempotencyMiddleware, store=store, **options)
    return app


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": f'"{value}"'}


def test_without_a_key_every_post_runs(store):
    app = _app(store)
    api = serve(app)
    assert [api.post("/things", json={"n": 1}).json()["id"] for _ in range(2)] == [1, 2]


def test_a_retry_after_completion_replays_the_original_response(store):
    app = _app(store)
    api = serve(app)
    first = api.post("/things", json={"n": 1}, headers=key("k1"))
    retry = api.post("/things", json={"n": 1}, headers=key("k1"))
    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content and retry.headers["idempotent-replayed"] == "true"
    assert retry.headers["content-type"] == first.headers["content-type"]
    assert len(app.state.created) == 1
    assert api.get("/things", headers=key("k1")).status_code == 200  # only POST is affected


def test_a_retry_while_the_first_is_in_flight_gets_409(store):
    app = _app(store)
    api = serve(app)
    gate = app.state.gate
    gate.hold()
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(httpx.post, f"{api.url}/things", json={"n": 1}, headers=key("k2"), timeout=WAIT)
        assert gate.entered.wait(WAIT)
        busy = api.post("/things", json={"n": 1}, headers=key("k2"))
        gate.release.set()
        assert first.result().status_code == 201
    assert busy.status_code == 409 and busy.headers["content-type"] == "application/problem+json"
    assert busy.json()["status"] == 409 and "outstanding" in busy.json()["title"]
    assert api.post("/things", json={"n": 1}, headers=key("k2")).headers["idempotent-replayed"] == "true"
    assert len(app.state.created) == 1


def test_the_same_key_with_another_payload_gets_422(store):
    api = serve(_app(store))
    assert api.post("/things", json={"n": 1}, headers=key("k3")).status_code == 201
    reused = api.post("/things", json={"n": 2}, headers=key("k3"))
    assert reused.status_code == 422 and reused.json()["title"] == "Idempotency-Key is already used"


def test_keys_are_scoped_per_client(store):
    app = _app(store)
    api = serve(app)
    alice = api.post("/things", json={"n": 1}, headers={**key("k4"), "X-API-Key": "alice"})
    bob = api.post("/things", json={"n": 2}, headers={**key("k4"), "X-API-Key": "bob"})
    assert (alice.status_code, bob.status_code) == (201, 201) and len(app.state.created) == 2


def test_a_server_error_frees_the_key(store):
    app = _app(store)
    api = serve(app)
    assert api.post("/things", json={"fail": True}, headers=key("k5")).status_code == 503
    again = api.post("/things", json={"fail": True}, headers=key("k5"))
    assert again.status_code == 503 and "idempotent-replayed" not in again.headers


def test_an_invalid_key_is_400(store):
    api = serve(_app(store))
    response = api.post("/things", json={}, headers={"Idempotency-Key": '""'})
    assert response.status_code == 400 and response.json()["status"] == 400
    assert response.json()["type"] == INVALID.type


def test_a_patch_with_a_key_runs_once_too(store):
    app = _app(store)
    api = serve(app)
    first = api.patch("/things/1", json={"name": "a"}, headers=key("p1"))
    retry = api.patch("/things/1", json={"name": "a"}, headers=key("p1"))
    assert retry.content == first.content and retry.headers["idempotent-replayed"] == "true"
    assert len(app.state.created) == 1


def test_a_required_key_that_is_missing_is_400_and_nothing_runs(store):
    app = _app(store, required=True)
    api = serve(app)
    missing = api.post("/things", json={"n": 1})
    assert missing.status_code == 400 and missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["type"] == MISSING.type and missing.json()["title"] == "Idempotency-Key is missing"
    assert missing.headers["link"].endswith('rel="describedby"')
    assert app.state.created == []
    assert api.post("/things", json={"n": 1}, headers=key("k6")).status_code == 201
    assert api.get("/things").status_code == 200, "only the methods it covers need a key"


def test_an_optional_key_that_is_missing_lets_the_request_run(store):
    app = _app(store)
    assert serve(app).post("/things", json={"n": 1}).status_code == 201 and len(app.state.created) == 1


def test_each_refusal_has_its_own_problem_type():
    refusals = (MISSING, INVALID, IN_FLIGHT, REUSED)
    assert len({refusal.type for refusal in refusals}) == len(refusals)
    assert len({(refusal.status, refusal.title) for refusal in refusals}) == len(refusals)


def test_twenty_concurrent_posts_with_one_key_create_one_thing(store):
    app = _app(store)
    api = serve(app)

    def post(_):
        with httpx.Client(base_url=api.url, timeout=WAIT) as client:
            return client.post("/things", json={"n": 1}, headers=key("k20")).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(post, range(20)))
    assert len(app.state.created) == 1
    assert set(statuses) <= {201, 409} and 201 in statuses


def test_the_response_is_stored_before_the_client_sees_its_first_byte(store):
    """A client that loses the connection right after the status line must find the response stored on retry."""
    import asyncio

    app = _app(store)
    seen_when_started = []
    scope = {"type": "http", "method": "POST", "path": "/things", "raw_path": b"/things", "query_string": b"",
             "root_path": "", "scheme": "http", "http_version": "1.1", "server": ("127.0.0.1", 80),
             "client": ("127.0.0.1", 5000), "app": app,
             "headers": [(b"content-type", b"application/json"), (b"idempotency-key", b'"early"')]}

    async def receive():
        return {"type": "http.request", "body": b'{"n": 1}', "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            print_ = fingerprint("POST", "/things", b"", b'{"n": 1}')
            seen_when_started.append(store.claim(client_of(scope), "early", print_).outcome)

    asyncio.run(app(scope, receive, send))
    assert seen_when_started == ["done"]
