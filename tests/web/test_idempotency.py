import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import redis
from fastapi import Depends, FastAPI, Header, HTTPException
from fastapi.responses import JSONResponse

from course_lib.notebook.server import serve
from course_lib.services.cache import redis_client
from course_lib.services.cache_aside import FAIL_FAST
from course_lib.web.idempotency import (
    CLAIM_TTL,
    IN_FLIGHT,
    INVALID,
    KEY_TTL,
    MISSING,
    REUSED,
    UNAVAILABLE,
    IdempotencyMiddleware,
    IdempotencyStore,
    InvalidKey,
    client_of,
    fingerprint,
    holds_secret,
    parse_key,
    stored_outcome,
)

WAIT = 10  # seconds: a bound on waits for events that should happen at once, never a sleep


@pytest.fixture
def store():
    made = IdempotencyStore(redis_client())
    yield made
    made.clear()


def test_parse_key_accepts_the_drafts_quoted_string_and_a_bare_token():
    assert parse_key('"8e03978e-40d5-43e8-bc93-6894a57f9324"') == "8e03978e-40d5-43e8-bc93-6894a57f9324"
    assert parse_key(" abc ") == "abc"
    assert parse_key('"a\\"b"') == 'a"b'
    for bad in ('""', "", "x" * 256, "clé"):
        with pytest.raises(InvalidKey):
            parse_key(bad)


def test_the_client_is_its_principal_else_its_address_with_the_operation():
    scope = {"method": "POST", "path": "/tasks", "headers": [], "client": ("10.0.0.1", 5000)}
    assert client_of(scope, "user-7") == "user-7 POST /tasks"
    assert client_of(scope) == "addr-10.0.0.1 POST /tasks"
    assert client_of({**scope, "client": None}) == "addr-unknown POST /tasks"
    assert client_of({**scope, "method": "PATCH"}, "user-7") != client_of(scope, "user-7")


def test_fingerprint_compares_json_by_content():
    base = fingerprint("POST", "/tasks", b"", b'{"a": 1, "b": 2}')
    assert fingerprint("POST", "/tasks", b"", b'{"b":2,"a":1}') == base
    assert fingerprint("POST", "/tasks", b"", b'{"a": 2, "b": 2}') != base
    assert fingerprint("POST", "/other", b"", b'{"a": 1, "b": 2}') != base
    assert fingerprint("POST", "/tasks", b"x=1", b'{"a": 1, "b": 2}') != base
    assert fingerprint("POST", "/tasks", b"", b"not json") != base


def test_an_answer_holds_a_secret_by_a_header_or_a_member_named_as_the_logs_redact():
    assert holds_secret([(b"set-cookie", b"sid=abc; HttpOnly")], b"{}")
    assert holds_secret([], b'{"id": 7, "api_key": "k-123"}')
    assert holds_secret([], b'{"items": [{"refresh_token": "r"}]}')  # nested
    assert not holds_secret([(b"location", b"/users/7")], b'{"id": 7, "name": "Ada", "api_key": null}')
    assert not holds_secret([], b'{"title": "a password manager"}')  # a value, not a name
    assert not holds_secret([], b"not json")


def test_store_claims_once_then_replays(store):
    claim = store.claim("c", "k", "f1")
    assert claim.outcome == "claimed" and claim.token
    assert 0 < store.ttl("c", "k") <= CLAIM_TTL
    assert store.claim("c", "k", "f1").outcome == "in_flight"
    assert store.claim("c", "k", "f2").outcome == "mismatch"
    assert store.claim("other-client", "k", "f2").outcome == "claimed"
    assert store.complete("c", "k", claim.token, "f1", {"status": 201, "headers": [], "body": ""})
    assert CLAIM_TTL < store.ttl("c", "k") <= KEY_TTL
    done = store.claim("c", "k", "f1")
    assert done.outcome == "done" and done.response["status"] == 201
    assert store.claim("c", "k", "f2").outcome == "mismatch"
    assert not store.release("c", "k", claim.token), "a stored response is not a claim to release"
    assert store.claim("c", "k", "f2").outcome == "mismatch"


def test_only_the_holder_of_a_claim_renews_stores_or_releases_it(store):
    claim = store.claim("c", "k", "f")
    assert not store.renew("c", "k", "someone-else") and not store.release("c", "k", "someone-else")
    assert not store.complete("c", "k", "someone-else", "f", {"status": 201, "headers": [], "body": ""})
    assert store.claim("c", "k", "f").outcome == "in_flight"
    assert store.renew("c", "k", claim.token) and store.release("c", "k", claim.token)
    assert store.claim("c", "k", "f").outcome == "claimed"


def test_stores_of_two_apps_never_share_keys_and_two_replicas_do(store):
    other = IdempotencyStore(redis_client())
    assert store.claim("c", "k", "f").outcome == "claimed"
    assert other.claim("c", "k", "g").outcome == "claimed"
    assert store.clear() == 1 and other.ttl("c", "k") > 0
    other.clear()
    replicas = [IdempotencyStore(redis_client(), prefix="idempotency:test-shared:") for _ in range(2)]
    assert replicas[0].claim("c", "k", "f").outcome == "claimed"
    assert replicas[1].claim("c", "k", "f").outcome == "in_flight"
    assert replicas[1].clear() == 1


@pytest.mark.parametrize(
    ("status", "stored"),
    [
        (200, True),
        (201, True),
        (303, True),
        (400, False),
        (401, False),
        (404, False),
        (406, False),
        (415, False),
        (422, False),
        (500, True),
        (502, True),
        (503, False),
        (504, True),
    ],
)
def test_what_is_stored_by_outcome(status, stored):
    assert stored_outcome(status) is stored


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


def api_key_principal(scope) -> str | None:
    """A stand-in for an app's authentication: the X-API-Key header names the caller."""
    for name, value in scope["headers"]:
        if name == b"x-api-key":
            return "key-" + value.decode()
    return None


async def by_api_key(scope) -> str | None:
    return api_key_principal(scope)


def wants_json(accept: str = Header("application/json")) -> None:
    """Refused before the handler runs, as a negotiation or a login is: 406 unless JSON is acceptable."""
    if "json" not in accept and "*/*" not in accept:
        raise HTTPException(406, "only application/json")


def _app(store: IdempotencyStore, **options) -> FastAPI:
    app = FastAPI()
    app.state.created, app.state.gate = [], Gate()

    @app.post("/things", status_code=201, dependencies=[Depends(wants_json)])
    def create(body: dict) -> dict:
        app.state.gate.pass_through()
        if body.get("fail"):
            raise HTTPException(503, "try later")
        app.state.created.append(body)
        if body.get("crash"):
            raise RuntimeError("failed after the commit")
        if body.get("error"):
            return JSONResponse({"detail": "failed after the commit"}, status_code=500)
        return {"id": len(app.state.created), **body}

    @app.patch("/things/{number}")
    def rename(number: int, body: dict) -> dict:
        app.state.created.append({"patched": number, **body})
        return {"patches": len(app.state.created)}

    @app.post("/things/{number}/copies", status_code=201)
    def copy(number: int) -> dict:
        app.state.created.append({"copy of": number})
        return {"copies": len(app.state.created)}

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


def test_keys_are_scoped_per_principal_and_operation(store):
    app = _app(store, principal=by_api_key)
    api = serve(app)
    alice = api.post("/things", json={"n": 1}, headers={**key("k4"), "X-API-Key": "alice"})
    bob = api.post("/things", json={"n": 2}, headers={**key("k4"), "X-API-Key": "bob"})
    assert (alice.status_code, bob.status_code) == (201, 201) and len(app.state.created) == 2
    patched = api.patch("/things/1", json={"n": 1}, headers={**key("k4"), "X-API-Key": "alice"})
    copied = api.post("/things/1/copies", headers={**key("k4"), "X-API-Key": "alice"})
    assert (patched.status_code, copied.status_code) == (200, 201) and len(app.state.created) == 4
    assert "idempotent-replayed" not in patched.headers and "idempotent-replayed" not in copied.headers


def test_without_a_principal_clients_behind_one_address_share_a_key_space(store):
    """The peer address is only a stand-in: behind a NAT or a proxy two clients collide on one key."""
    api = serve(_app(store))
    assert api.post("/things", json={"n": 1}, headers={**key("k4"), "X-API-Key": "alice"}).status_code == 201
    assert api.post("/things", json={"n": 2}, headers={**key("k4"), "X-API-Key": "bob"}).status_code == 422


def test_a_503_frees_the_key(store):
    app = _app(store)
    api = serve(app)
    assert api.post("/things", json={"fail": True}, headers=key("k5")).status_code == 503
    again = api.post("/things", json={"fail": True}, headers=key("k5"))
    assert again.status_code == 503 and "idempotent-replayed" not in again.headers


@pytest.mark.parametrize("failure", ["error", "crash"])
def test_a_500_after_the_effect_is_replayed_not_run_again(store, failure):
    app = _app(store)
    api = serve(app)
    first = api.post("/things", json={failure: True}, headers=key(f"k-{failure}"))
    retry = api.post("/things", json={failure: True}, headers=key(f"k-{failure}"))
    assert first.status_code == retry.status_code == 500 and retry.headers["idempotent-replayed"] == "true"
    assert len(app.state.created) == 1


def test_a_refusal_before_the_handler_is_not_stored_so_a_corrected_retry_runs(store):
    app = _app(store)
    api = serve(app)
    refused = api.post("/things", json={"n": 1}, headers={**key("k406"), "Accept": "text/html"})
    assert refused.status_code == 406 and app.state.created == []
    corrected = api.post("/things", json={"n": 1}, headers={**key("k406"), "Accept": "application/json"})
    assert corrected.status_code == 201 and "idempotent-replayed" not in corrected.headers
    assert len(app.state.created) == 1
    invalid = api.post("/things", content=b"not json", headers={**key("k422"), "Content-Type": "application/json"})
    assert invalid.status_code == 422
    assert api.post("/things", json={"n": 2}, headers=key("k422")).status_code == 201, "the same key, now valid"


def test_a_request_slower_than_the_claim_keeps_its_claim(store):
    """The claim is renewed while the request runs: a retry past claim_ttl still finds it in flight."""
    store.claim_ttl = 1.0  # renewed every 0.33 s: a renewal may come 0.67 s late on a busy machine and still hold
    app = _app(store)
    api = serve(app)
    gate = app.state.gate
    gate.hold()
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(httpx.post, f"{api.url}/things", json={"n": 1}, headers=key("slow"), timeout=WAIT)
        assert gate.entered.wait(WAIT)
        time.sleep(3 * store.claim_ttl)  # the claim's own lifetime passing is what is tested, not a server's start
        busy = api.post("/things", json={"n": 1}, headers=key("slow"))
        gate.release.set()
        assert first.result().status_code == 201
    assert busy.status_code == 409 and len(app.state.created) == 1


@pytest.fixture
def silent_redis():
    """A Redis address that accepts connections and never answers, as a stopped (SIGSTOP) redis-server does."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield redis.Redis(host="127.0.0.1", port=listener.getsockname()[1], **FAIL_FAST)


@pytest.mark.parametrize("where", ["silent", "refused"])
def test_an_unreachable_store_is_503_with_retry_after_at_once(silent_redis, where):
    client = silent_redis if where == "silent" else redis.Redis(host="127.0.0.1", port=1, **FAIL_FAST)
    app = _app(IdempotencyStore(client))
    api = serve(app)
    started = time.perf_counter()
    response = api.post("/things", json={"n": 1}, headers=key("down"))
    elapsed = time.perf_counter() - started
    assert response.status_code == 503 and response.headers["retry-after"] == str(UNAVAILABLE.retry_after)
    assert response.headers["content-type"] == "application/problem+json" and response.json()["status"] == 503
    assert elapsed < 3, f"{elapsed:.2f} s: a down store must be answered at once, not after redis-py's retries"
    assert app.state.created == [] and api.post("/things", json={"n": 1}).status_code == 201, "no key: runs"


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
    refusals = (MISSING, INVALID, IN_FLIGHT, REUSED, UNAVAILABLE)
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
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/things",
        "raw_path": b"/things",
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "http_version": "1.1",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 5000),
        "app": app,
        "headers": [(b"content-type", b"application/json"), (b"idempotency-key", b'"early"')],
    }

    async def receive():
        return {"type": "http.request", "body": b'{"n": 1}', "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            print_ = fingerprint("POST", "/things", b"", b'{"n": 1}')
            seen_when_started.append(store.claim(client_of(scope), "early", print_).outcome)

    asyncio.run(app(scope, receive, send))
    assert seen_when_started == ["done"]
