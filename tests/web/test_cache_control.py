from fastapi import FastAPI, Response

from course_lib.notebook.server import serve
from course_lib.web.cache_control import NEVER_STORED, CacheControlMiddleware, CacheRule, cache_control_for


def test_writes_and_errors_are_never_stored():
    assert cache_control_for("POST", "/tasks", 201) == "no-store"
    assert cache_control_for("GET", "/tasks/9", 404) == "no-store"


def test_reads_follow_the_first_matching_rule():
    assert cache_control_for("GET", "/health", 200) == "no-store"
    assert cache_control_for("GET", "/tasks", 200) == "no-cache"
    assert cache_control_for("HEAD", "/tasks", 200) == "no-cache"
    assert cache_control_for("GET", "/x", 200, rules=()) == "no-store"


def test_middleware_adds_the_header_unless_the_handler_set_one():
    app = FastAPI()
    rules = [CacheRule("/static", "public, max-age=60"), CacheRule("/", "no-cache")]

    @app.get("/static/a")
    def static() -> dict:
        return {}

    @app.get("/own")
    def own() -> Response:
        return Response("x", headers={"Cache-Control": "max-age=5"})

    app.add_middleware(CacheControlMiddleware, rules=lambda: rules)
    api = serve(app)
    assert api.get("/static/a").headers["cache-control"] == "public, max-age=60"
    assert api.get("/own").headers["cache-control"] == "max-age=5"
    assert api.post("/static/a").headers["cache-control"] == "no-store"


def test_a_secret_is_kept_by_no_cache_not_even_an_http_1_0_one():
    app = FastAPI()

    @app.get("/secret")
    def secret() -> Response:
        return Response("s3cret", headers=NEVER_STORED)

    app.add_middleware(CacheControlMiddleware)
    answer = serve(app).get("/secret")
    assert (answer.headers["cache-control"], answer.headers["pragma"]) == ("no-store", "no-cache")
