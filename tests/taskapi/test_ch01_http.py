import pytest

from course_lib.notebook.server import serve
from course_lib.taskapi import app_for, ch01_http
from tests.taskapi.conftest import chapters_from

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize("chapter", chapters_from(1))
def test_head_is_get_without_a_body(api_at, chapter):
    api = api_at(chapter)
    get, head = api.get("/health"), api.request("HEAD", "/health")
    assert head.status_code == get.status_code == 200
    assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]


@pytest.mark.parametrize("chapter", chapters_from(1))
def test_options_lists_allowed_methods(api_at, chapter):
    response = api_at(chapter).request("OPTIONS", "/health")
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("chapter", chapters_from(1))
def test_unsupported_method_is_405_with_allow(api_at, chapter):
    response = api_at(chapter).request("PUT", "/health")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("chapter", chapters_from(1))
def test_an_unknown_method_is_501_and_a_known_one_the_route_lacks_405(api_at, chapter):
    api = api_at(chapter)
    for path in ("/tasks", "/health", "/nowhere"):
        unknown = api.request("FOO", path)
        assert unknown.status_code == 501, (path, unknown.text)
        if chapter >= 8:  # problem+json from chapter 08 on
            assert unknown.headers["content-type"] == "application/problem+json" and unknown.json()["status"] == 501
    for known in ("TRACE", "QUERY"):  # methods the server knows (RFC 9110, the QUERY draft): this resource lacks them
        lacking = api.request(known, "/tasks")
        assert lacking.status_code == 405 and "allow" in lacking.headers, (known, lacking.status_code)


@pytest.mark.parametrize("chapter", chapters_from(1))
def test_a_trailing_slash_is_404_and_never_a_redirect_to_the_host_header(api_at, chapter):
    api = api_at(chapter)
    for path in ("/tasks/", "/health/", "/tasks/?page=2"):
        response = api.get(path, headers={"Host": "evil.example"})
        assert response.status_code == 404 and "location" not in response.headers, (path, response.headers)
        if chapter >= 8:  # problem+json from chapter 08 on
            assert response.headers["content-type"] == "application/problem+json"


def test_task_routes_answer_with_their_status_codes(api_at):
    api = api_at(1)
    created = api.post("/tasks", json={"title": "a"})
    assert created.status_code == 201 and created.headers["location"] == "/tasks/1"
    assert {k: api.get("/tasks/1").json()[k] for k in ("id", "title", "done")} == {"id": 1, "title": "a", "done": False}
    assert api.post("/tasks", json={"title": "a"}).status_code == 201  # a retried POST makes a second task
    assert api.post("/tasks", content=b"{", headers=JSON).status_code == 400
    assert api.post("/tasks", json={"title": ["not", "a", "string"]}).status_code == 422
    assert api.delete("/tasks/1").status_code == 204
    assert api.delete("/tasks/1").status_code == 404
    assert api.get("/tasks/1").status_code == 404
    assert api.get("/tasks/abc").status_code == 422


def test_demo_routes_cover_the_rest_of_the_table():
    api = serve(ch01_http.status_codes_app(), name="test-demo")
    assert api.post("/demo/rooms", json={"name": "blue"}).status_code == 201
    assert api.post("/demo/rooms", json={"name": "blue"}).status_code == 409
    assert api.post("/demo/reports").status_code == 202
    assert api.get("/demo/admin").status_code == 401
    assert api.get("/demo/admin").headers["www-authenticate"] == "Bearer"
    unknown = api.get("/demo/admin", headers={"Authorization": "Bearer other"})
    assert unknown.status_code == 401 and 'error="invalid_token"' in unknown.headers["www-authenticate"]
    assert api.get("/demo/admin", headers={"Authorization": "Bearer learner-token"}).status_code == 403
    assert api.get("/demo/admin", headers={"Authorization": "Bearer admin-token"}).status_code == 200
    codes = [api.get("/demo/limited").status_code for _ in range(ch01_http.RATE_LIMIT + 1)]
    assert codes == [200] * ch01_http.RATE_LIMIT + [429]
    assert api.get("/demo/boom").status_code == 500


@pytest.mark.parametrize("chapter", chapters_from(1))
def test_the_demo_routes_are_not_part_of_the_task_api(chapter):
    spec = app_for(chapter).openapi()
    assert not [path for path in spec["paths"] if path.startswith("/demo")]
