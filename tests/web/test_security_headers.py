"""Security header fields on every answer, a route's own value kept, HTML with only the framing rule."""

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.testclient import TestClient

from course_lib.web.security_headers import HTML_POLICY, SECURITY_HEADERS, SecurityHeadersMiddleware


def client() -> TestClient:
    app = FastAPI()

    @app.get("/json")
    def json() -> dict:
        return {}

    @app.get("/page", response_class=HTMLResponse)
    def page() -> str:
        return "<script>1</script>"

    @app.get("/own")
    def own() -> JSONResponse:
        return JSONResponse({}, headers={"Referrer-Policy": "same-origin"})

    @app.get("/missing")
    def missing() -> None:
        raise HTTPException(404)

    app.add_middleware(SecurityHeadersMiddleware)
    return TestClient(app)


def test_every_answer_carries_the_fields_errors_too():
    api = client()
    for path in ("/json", "/missing", "/nowhere"):
        answer = api.get(path)
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers[name] == value, (path, name)


def test_html_gets_only_the_framing_rule_and_a_routes_own_value_is_kept():
    api = client()
    assert api.get("/page").headers["content-security-policy"] == HTML_POLICY
    assert api.get("/page").headers["x-content-type-options"] == "nosniff"
    assert api.get("/own").headers["referrer-policy"] == "same-origin"
