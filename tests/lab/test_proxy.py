import socket

import pytest
from fastapi import FastAPI, Request, Response

from course_lib.lab.proxy import ReverseProxy, hop_by_hop, may_share_with_credentials, shared_max_age
from course_lib.notebook.server import serve


def test_shared_max_age_reads_cache_control():
    assert shared_max_age("public, max-age=60") == 60
    assert shared_max_age("max-age=60, s-maxage=10") == 10
    assert shared_max_age("private, max-age=60") is None
    assert shared_max_age("no-cache") is None
    assert shared_max_age("no-store") is None
    assert shared_max_age(None) is None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _origin() -> FastAPI:
    app = FastAPI()
    app.state.hits = 0

    @app.get("/static")
    def static(request: Request) -> Response:
        request.app.state.hits += 1
        return Response(f"v{request.app.state.hits}", headers={"Cache-Control": "public, max-age=60"})

    @app.get("/mine")
    def mine(request: Request) -> Response:
        # a careless origin: one user's data marked max-age without `private`
        request.app.state.hits += 1
        who = request.headers.get("authorization") or request.headers.get("x-api-key") or "anonymous"
        return Response(f"data of {who}", headers={"Cache-Control": "max-age=60"})

    @app.get("/shared")
    def shared(request: Request) -> Response:
        request.app.state.hits += 1
        return Response(f"v{request.app.state.hits}", headers={"Cache-Control": "public, max-age=60"})

    @app.get("/data")
    def data(request: Request) -> dict:
        return {"via": request.headers.get("via"), "forwarded_for": request.headers.get("x-forwarded-for")}

    @app.get("/headers")
    def headers(request: Request) -> Response:
        return Response(headers={"Connection": "x-secret", "X-Secret": "origin-hop", "X-Kept": "yes"})

    @app.get("/received")
    def received(request: Request) -> dict:
        return dict(request.headers)

    @app.post("/echo", status_code=201)
    async def echo(request: Request) -> dict:
        return {"body": (await request.body()).decode()}

    return app


def test_the_proxy_forwards_requests_and_says_so():
    origin = serve(_origin(), name="origin")
    proxy = serve(ReverseProxy(origin.url), name="proxy")
    seen = proxy.get("/data")
    assert seen.json() == {"via": "1.1 course-proxy", "forwarded_for": "127.0.0.1"}
    assert seen.headers["via"] == "1.1 course-proxy" and seen.headers["x-cache"] == "MISS"
    posted = proxy.post("/echo", content=b"hello")
    assert posted.status_code == 201 and posted.json() == {"body": "hello"}
    assert proxy.get("/nowhere").status_code == 404


def test_the_proxy_reuses_a_fresh_response_until_it_expires():
    origin_app = _origin()
    origin = serve(origin_app, name="origin")
    clock = Clock()
    reverse = ReverseProxy(origin.url, clock=clock)
    proxy = serve(reverse, name="proxy")
    first, second = proxy.get("/static"), proxy.get("/static")
    assert (first.text, second.text) == ("v1", "v1")
    assert second.headers["x-cache"] == "HIT" and second.headers["age"] == "0"
    clock.now += 59
    assert proxy.get("/static").headers["age"] == "59"
    clock.now += 1
    expired = proxy.get("/static")
    assert expired.text == "v2" and expired.headers["x-cache"] == "MISS"
    assert origin_app.state.hits == 2 and reverse.forwarded == 2
    assert proxy.request("HEAD", "/static").content == b""


def test_a_proxy_without_cache_always_forwards():
    origin_app = _origin()
    origin = serve(origin_app, name="origin")
    proxy = serve(ReverseProxy(origin.url, cache=False), name="proxy")
    assert [proxy.get("/static").text for _ in range(2)] == ["v1", "v2"]


def test_hop_by_hop_fields_include_those_connection_names():
    assert hop_by_hop([("Connection", "close, X-Trace"), ("X-Trace", "1")]) >= {"connection", "x-trace", "te"}
    assert "host" not in hop_by_hop([]) and "content-length" not in hop_by_hop([]) and "trailer" not in hop_by_hop([])


def test_hop_by_hop_fields_stop_at_the_proxy_and_host_names_the_origin():
    origin = serve(_origin(), name="origin")
    proxy = serve(ReverseProxy(origin.url), name="proxy")
    seen = proxy.get(
        "/received",
        headers={"Connection": "x-trace", "X-Trace": "1", "Keep-Alive": "timeout=5", "X-Kept": "end-to-end"},
    ).json()
    assert "x-trace" not in seen and "keep-alive" not in seen and seen["x-kept"] == "end-to-end"
    assert seen["host"] == f"127.0.0.1:{origin.port}"
    answer = proxy.get("/headers")
    assert "x-secret" not in answer.headers and answer.headers["x-kept"] == "yes"


def test_an_unreachable_origin_is_a_502_not_a_500():
    with socket.socket() as closed:  # bound, never listening: every connection is refused
        closed.bind(("127.0.0.1", 0))
        proxy = serve(ReverseProxy(f"http://127.0.0.1:{closed.getsockname()[1]}"), name="proxy")
        answer = proxy.get("/tasks")
    assert answer.status_code == 502 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["title"] == "Bad Gateway" and "ConnectError" in answer.json()["detail"]
    assert proxy.request("HEAD", "/tasks").status_code == 502


def test_an_origin_that_never_answers_is_a_504():
    with socket.socket() as silent:  # listening, never reading: the connection opens, no answer comes
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        proxy = serve(ReverseProxy(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.2), name="proxy")
        answer = proxy.get("/tasks")
    assert answer.status_code == 504 and answer.json()["title"] == "Gateway Timeout"


def test_may_share_with_credentials_only_when_the_answer_says_so():
    assert may_share_with_credentials("public, max-age=60") and may_share_with_credentials("s-maxage=5")
    assert may_share_with_credentials("max-age=5, must-revalidate")
    assert not may_share_with_credentials("max-age=60") and not may_share_with_credentials(None)


@pytest.mark.parametrize(
    "credentials", [{"Authorization": "Bearer ada"}, {"X-API-Key": "ada-key"}, {"Cookie": "session=ada"}]
)
def test_a_response_to_a_request_with_credentials_is_never_served_to_another(credentials):
    origin_app = _origin()
    origin = serve(origin_app, name="origin")
    proxy = serve(ReverseProxy(origin.url), name="proxy")
    first = proxy.get("/mine", headers=credentials)
    bob = {name: value.replace("ada", "bob") for name, value in credentials.items()}
    assert proxy.get("/mine", headers=bob).text == "data of " + (
        bob.get("Authorization") or bob.get("X-API-Key") or "anonymous"
    )
    anonymous = proxy.get("/mine")
    assert first.headers["x-cache"] == "MISS" and anonymous.headers["x-cache"] == "MISS"
    assert anonymous.text == "data of anonymous"
    assert proxy.get("/mine", headers=credentials).headers["x-cache"] == "MISS"  # nor reused for the same user
    assert origin_app.state.hits == 4


def test_an_anonymous_answer_is_not_reused_for_a_request_with_credentials_unless_public():
    origin_app = _origin()
    origin = serve(origin_app, name="origin")
    proxy = serve(ReverseProxy(origin.url), name="proxy")
    assert proxy.get("/mine").headers["x-cache"] == "MISS" and proxy.get("/mine").headers["x-cache"] == "HIT"
    assert proxy.get("/mine", headers={"Authorization": "Bearer ada"}).text == "data of Bearer ada"
    assert proxy.get("/shared", headers={"X-API-Key": "k"}).headers["x-cache"] == "MISS"
    assert proxy.get("/shared", headers={"X-API-Key": "other"}).headers["x-cache"] == "HIT"  # public: it says so
    assert proxy.get("/shared").headers["x-cache"] == "HIT"


def test_forwarding_headers_a_client_sends_are_replaced_by_what_the_proxy_saw():
    origin = serve(_origin(), name="origin")
    proxy = serve(ReverseProxy(origin.url), name="proxy")
    # (X-Forwarded-For and -Proto from a loopback client are applied by serve()'s uvicorn before the proxy runs:
    # tests/lab/test_nginx.py sends them to the proxy in a process of its own, which trusts no one)
    seen = proxy.get(
        "/received", headers={"Forwarded": "for=6.6.6.6", "X-Forwarded-Host": "evil.example", "X-Real-IP": "6.6.6.6"}
    ).json()
    assert "forwarded" not in seen and "x-real-ip" not in seen
    assert seen["x-forwarded-proto"] == "http" and seen["x-forwarded-host"] == f"127.0.0.1:{proxy.port}"
