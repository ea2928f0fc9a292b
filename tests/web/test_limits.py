import pytest
from fastapi import FastAPI, Form, Request
from pydantic import BaseModel

from course_lib.notebook.server import serve
from course_lib.web.limits import BodySizeLimitMiddleware, install_limits, is_json
from course_lib.web.problems import PROBLEM_JSON, install_problem_details

LIMIT = 1000


class Note(BaseModel):
    text: str


def small_app() -> FastAPI:
    app = FastAPI()

    @app.post("/notes", status_code=201)
    def create(note: Note) -> dict:
        return {"length": len(note.text)}

    @app.post("/login")
    def login(username: str = Form()) -> dict:
        return {"user": username}

    @app.post("/raw")
    async def raw(request: Request) -> dict:
        return {"bytes": len(await request.body())}

    @app.post("/ping")
    def ping() -> dict:
        return {"pong": True}

    install_problem_details(app)
    return install_limits(app, max_bytes=LIMIT)


@pytest.fixture
def api():
    return serve(small_app(), name="test-limits")


def chunks(total: int, size: int = 100):
    """A body without Content-Length: httpx sends a generator with Transfer-Encoding: chunked."""
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


def test_body_at_the_limit_passes(api):
    text = "a" * (LIMIT - len('{"text": ""}'))
    assert api.post("/notes", json={"text": text}).status_code == 201


def test_declared_body_over_the_limit_is_413_problem(api):
    response = api.post("/notes", json={"text": "a" * LIMIT})
    assert response.status_code == 413 and response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["status"] == 413 and response.json()["max_bytes"] == LIMIT


def test_streamed_body_over_the_limit_is_413(api):
    response = api.post("/raw", content=chunks(LIMIT * 3), headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["status"] == 413
    small = api.post("/raw", content=chunks(LIMIT // 2), headers={"content-type": "application/json"})
    assert small.json() == {"bytes": LIMIT // 2}


@pytest.mark.anyio
async def test_limit_holds_where_no_handler_catches_it():
    sent = []

    async def reads_everything(scope, receive, send):
        while (await receive()).get("more_body"):
            pass

    async def receive():
        return {"type": "http.request", "body": b"x" * 600, "more_body": True}

    async def send(message):
        sent.append(message)

    middleware = BodySizeLimitMiddleware(reads_everything, max_bytes=LIMIT)
    await middleware({"type": "http", "method": "POST", "path": "/", "headers": []}, receive, send)
    assert sent[0]["status"] == 413


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded"])
def test_wrong_content_type_is_415_with_accept(api, content_type):
    response = api.post("/notes", content=b'{"text": "a"}', headers={"content-type": content_type})
    assert response.status_code == 415 and response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["accept"] == "application/json"
    assert response.json()["status"] == 415


def test_missing_content_type_with_a_body_is_415(api):
    assert api.post("/notes", content=b'{"text": "a"}').status_code == 415


def test_json_family_and_parameters_are_accepted(api):
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        assert api.post("/notes", content=b'{"text": "a"}', headers={"content-type": content_type}).status_code == 201


def test_form_routes_want_forms(api):
    assert api.post("/login", data={"username": "ada"}).json() == {"user": "ada"}
    assert api.post("/login", json={"username": "ada"}).status_code == 415


def test_routes_without_a_declared_body_are_not_checked(api):
    assert api.post("/raw", content=b"anything", headers={"content-type": "text/plain"}).status_code == 200
    assert api.post("/ping").status_code == 200


def test_is_json():
    assert is_json("application/json") and is_json("application/problem+json")
    assert not is_json("text/json+x") and not is_json(None)


def test_routes_of_an_included_router_are_checked_too():
    from fastapi import APIRouter

    app = FastAPI()
    router = APIRouter(prefix="/v2")

    @router.post("/notes", status_code=201)
    def create(note: Note) -> dict:
        return {"length": len(note.text)}

    app.include_router(router)
    install_problem_details(app)
    api = serve(install_limits(app, max_bytes=LIMIT), name="test-limits-router")
    assert api.post("/v2/notes", json={"text": "a"}).status_code == 201
    assert api.post("/v2/notes", content=b'{"text": "a"}', headers={"content-type": "text/plain"}).status_code == 415
