from fastapi import FastAPI

from course_lib.notebook.server import serve
from course_lib.web.http_methods import MethodsMiddleware, allow_header


def app_with_two_routes_on_one_path() -> FastAPI:
    app = FastAPI()
    app.add_middleware(MethodsMiddleware)

    @app.get("/items/{item_id}")
    def read(item_id: int):
        return {"id": item_id}

    @app.delete("/items/{item_id}", status_code=204)
    def delete(item_id: int):
        return None

    return app


def test_allow_is_the_union_over_routes_on_the_path():
    api = serve(app_with_two_routes_on_one_path())
    response = api.request("PATCH", "/items/1")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, DELETE, OPTIONS"
    assert api.request("OPTIONS", "/items/1").headers["allow"] == "GET, HEAD, DELETE, OPTIONS"


def test_options_on_an_unknown_path_is_404():
    api = serve(app_with_two_routes_on_one_path())
    assert api.request("OPTIONS", "/nothing").status_code == 404


def test_a_cors_preflight_is_answered_like_any_options_and_granted_nothing():
    api = serve(app_with_two_routes_on_one_path())
    preflight = api.request(
        "OPTIONS",
        "/items/1",
        headers={
            "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "content-type",
            "Origin": "http://example.test",
        },
    )
    plain = api.request("OPTIONS", "/items/1")
    assert preflight.status_code == plain.status_code == 204  # Allow lists OPTIONS, and OPTIONS is answered
    assert preflight.headers["allow"] == plain.headers["allow"] == "GET, HEAD, DELETE, OPTIONS"
    assert not [name for name in preflight.headers if name.startswith("access-control-")]  # no origin is granted
    assert (
        api.request(
            "OPTIONS", "/nothing", headers={"Access-Control-Request-Method": "GET", "Origin": "http://example.test"}
        ).status_code
        == 404
    )


def test_a_cors_middleware_outside_answers_the_preflights_it_grants():
    from fastapi.middleware.cors import CORSMiddleware

    app = app_with_two_routes_on_one_path()
    app.add_middleware(CORSMiddleware, allow_origins=["http://example.test"], allow_methods=["GET", "DELETE"])
    api = serve(app)
    granted = api.request(
        "OPTIONS", "/items/1", headers={"Access-Control-Request-Method": "DELETE", "Origin": "http://example.test"}
    )
    assert granted.status_code == 200 and granted.headers["access-control-allow-origin"] == "http://example.test"


def test_allow_order_is_stable():
    assert allow_header({"OPTIONS", "DELETE", "GET", "HEAD"}) == "GET, HEAD, DELETE, OPTIONS"
