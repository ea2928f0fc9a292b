import gc
import weakref

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from course_lib.web import route_memo
from course_lib.web.http_methods import MethodsMiddleware, allowed_methods, methods_of_routes
from course_lib.web.route_memo import remembered


def app_with_an_included_router() -> tuple[FastAPI, APIRouter]:
    app = FastAPI()
    app.add_middleware(MethodsMiddleware)
    router = APIRouter()

    @router.get("/items/{item_id}")
    def read(item_id: int):
        return {"id": item_id}

    app.include_router(router)
    return app, router


def scope(path: str) -> dict:
    return {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": [], "query_string": b""}


def test_a_remembered_answer_is_computed_once_per_key():
    app, _ = app_with_an_included_router()
    calls = []
    for _ in range(3):
        remembered(app, "question", "/a", lambda: calls.append("/a") or len(calls))
    remembered(app, "question", "/b", lambda: calls.append("/b"))
    remembered(app, "another question", "/a", lambda: calls.append("other"))
    assert calls == ["/a", "/b", "other"]


def test_allowed_methods_agree_with_asking_every_route():
    app, _ = app_with_an_included_router()
    for path in ("/items/1", "/items/x", "/nothing", "/items/1/more"):
        assert allowed_methods(app, scope(path)) == frozenset(methods_of_routes(app, scope(path)))


def test_a_route_added_later_changes_the_answer_even_inside_an_included_router():
    app, router = app_with_an_included_router()
    client = TestClient(app)
    assert client.options("/items/1").headers["allow"] == "GET, HEAD, OPTIONS"

    @app.delete("/items/{item_id}", status_code=204)
    def delete(item_id: int):
        return None

    assert client.options("/items/1").headers["allow"] == "GET, HEAD, DELETE, OPTIONS"

    @router.put("/items/{item_id}")
    def replace(item_id: int):
        return {"id": item_id}

    assert client.options("/items/1").headers["allow"] == "GET, HEAD, PUT, DELETE, OPTIONS"


def test_only_the_most_recent_paths_are_kept(monkeypatch):
    monkeypatch.setattr(route_memo, "PATHS_REMEMBERED", 3)
    app, _ = app_with_an_included_router()
    for n in range(10):
        allowed_methods(app, scope(f"/items/{n}"))
    answers = vars(app)[route_memo.ATTRIBUTE]
    assert [key[2][1] for key in answers] == ["/items/7", "/items/8", "/items/9"]


def test_an_object_without_a_route_count_is_asked_every_time():
    calls = []

    class Plain:
        pass

    for _ in range(2):
        remembered(Plain(), "question", "/a", lambda: calls.append(1))
    assert len(calls) == 2


def test_remembering_keeps_no_app_alive():
    app, _ = app_with_an_included_router()
    allowed_methods(app, scope("/items/1"))
    alive = weakref.ref(app)
    del app
    gc.collect()
    assert alive() is None
