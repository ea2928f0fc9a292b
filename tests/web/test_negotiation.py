import pytest
from fastapi import APIRouter, FastAPI
from fastapi.responses import PlainTextResponse

from course_lib.notebook.server import serve
from course_lib.web.negotiation import CSV, JSON, NegotiationMiddleware, negotiate, parse_accept, quality, to_csv

OFFERED = [JSON, CSV]


@pytest.mark.parametrize(
    "accept, chosen",
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/json", JSON),
        ("text/csv", CSV),
        ("text/*", CSV),
        ("text/csv;q=0.5, application/json;q=0.9", JSON),
        ("text/csv, application/json;q=0.9", CSV),
        ("text/csv;q=0.5, */*;q=0.1", CSV),
        ("application/json;q=0, */*", CSV),
        ("TEXT/CSV", CSV),
        ("image/png", None),
        ("text/html", None),
        ("application/json;q=0", None),
        ("application/json;q=oops", None),
        ("garbage", None),
    ],
)
def test_negotiate_picks_the_best_offered_type(accept, chosen):
    assert negotiate(accept, OFFERED) == chosen


def test_ties_go_to_the_servers_order():
    assert negotiate("text/csv, application/json", OFFERED) == JSON
    assert negotiate("text/csv, application/json", [CSV, JSON]) == CSV


def test_the_most_specific_range_decides_the_weight():
    assert quality("text/*;q=0.3, text/csv;q=0.8, */*;q=0.1", CSV) == 0.8
    assert quality("text/*;q=0.3, */*;q=0.1", CSV) == 0.3
    assert parse_accept("text/csv;q=2") == [("text/csv", 1.0)]


def test_csv_renders_lists_pages_and_objects():
    assert to_csv([{"id": 1, "title": 'a, "b"', "done": False}]) == 'id,title,done\r\n1,"a, ""b""",false\r\n'
    assert to_csv({"items": [{"id": 1}], "total": 1}) == "id\r\n1\r\n"
    assert to_csv({"id": 2, "tags": ["x"], "note": None}) == 'id,tags,note\r\n2,"[""x""]",\r\n'
    assert to_csv([]) == "\r\n"


def _app() -> FastAPI:
    app = FastAPI()
    created = []
    router = APIRouter()

    @app.get("/items")
    def items() -> list[dict]:
        return [{"id": 1, "name": "pen"}]

    @app.post("/items", status_code=201)
    def create() -> dict:
        created.append(1)
        return {"id": len(created)}

    @app.get("/missing")
    def missing():
        return PlainTextResponse("not json", status_code=404)

    @app.get("/text", response_class=PlainTextResponse)
    def text() -> str:
        return "plain"

    @router.get("/inner")
    def inner() -> dict:
        return {"id": 7}

    app.include_router(router, prefix="/sub")
    app.add_middleware(NegotiationMiddleware)
    app.state.created = created
    return app


def test_middleware_serves_json_csv_and_406():
    app = _app()
    api = serve(app)
    default = api.get("/items")
    assert default.headers["content-type"] == JSON and default.json() == [{"id": 1, "name": "pen"}]
    assert default.headers["vary"] == "Accept"
    csv = api.get("/items", headers={"Accept": "text/csv"})
    assert csv.headers["content-type"] == "text/csv; charset=utf-8" and csv.text == "id,name\r\n1,pen\r\n"
    assert int(csv.headers["content-length"]) == len(csv.content)
    refused = api.get("/items", headers={"Accept": "image/png"})
    assert refused.status_code == 406 and refused.json()["acceptable"] == [JSON, CSV]
    assert api.get("/sub/inner", headers={"Accept": "text/csv"}).text == "id\r\n7\r\n"


def test_406_is_decided_before_the_handler_runs():
    app = _app()
    api = serve(app)
    assert api.post("/items", headers={"Accept": "image/png"}).status_code == 406
    assert app.state.created == []


def test_non_json_routes_and_errors_are_left_alone():
    api = serve(_app())
    assert api.get("/text", headers={"Accept": "image/png"}).text == "plain"
    assert api.get("/nowhere", headers={"Accept": "text/csv"}).headers["content-type"] == JSON
    assert api.get("/docs", headers={"Accept": "text/html"}).status_code == 200


def test_a_406_is_problem_details_and_head_mirrors_get():
    from course_lib.notebook.server import serve
    from course_lib.taskapi import app_for

    api = serve(app_for(2), name="test-406")
    get = api.get("/tasks", headers={"Accept": "image/png"})
    head = api.request("HEAD", "/tasks", headers={"Accept": "image/png"})
    assert get.status_code == head.status_code == 406
    assert get.headers["content-type"] == head.headers["content-type"] == "application/problem+json"
    assert get.headers["content-length"] == head.headers["content-length"] == str(len(get.content))
    assert head.content == b"" and get.json()["status"] == 406 and get.json()["title"] == "Not Acceptable"
