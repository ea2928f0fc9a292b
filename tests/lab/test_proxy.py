from fastapi import FastAPI, Request, Response

from course_lib.lab.proxy import ReverseProxy, shared_max_age
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

    @app.get("/data")
    def data(request: Request) -> dict:
        return {"via": request.headers.get("via"), "forwarded_for": request.headers.get("x-forwarded-for")}

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
