import pytest

from course_lib.lab.proxy import ReverseProxy
from course_lib.notebook.server import serve
from tests.taskapi.conftest import chapters_from, public_task_chapters

CSV = {"Accept": "text/csv"}


def writer_headers(api) -> dict[str, str]:
    """Headers that let a client write tasks: an API key once a chapter requires one (POST /users returns it)."""
    created = api.post("/users", json={"name": "Ada", "email": "ada@example.com", "password": "correct-horse-42"})
    if created.status_code != 201:
        return {}
    key = next((value for name, value in created.json().items() if "key" in name and isinstance(value, str)), None)
    return {"X-API-Key": key} if key else {}


def new_task(api, title: str, headers: dict[str, str]) -> dict:
    created = api.post("/tasks", json={"title": title}, headers=headers)
    assert created.status_code == 201, created.text
    return created.json()


@pytest.mark.parametrize("chapter", chapters_from(2))
def test_json_by_default_csv_on_request(api_at, chapter):
    api = api_at(chapter)
    task = new_task(api, 'write, "quoted"', writer_headers(api))
    default = api.get(f"/tasks/{task['id']}")
    assert default.headers["content-type"].startswith("application/json") and default.json()["id"] == task["id"]
    assert "Accept" in default.headers["vary"]
    table = api.get("/tasks", headers=CSV)
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    header, *rows = table.text.splitlines()
    assert {"id", "title"} <= set(header.split(",")) and len(rows) == 1
    assert 'write, ""quoted""' in rows[0]


@pytest.mark.parametrize("chapter", chapters_from(2))
def test_unsupported_media_type_is_406_and_changes_nothing(api_at, chapter):
    api = api_at(chapter)
    headers = writer_headers(api)
    assert api.get("/tasks", headers={"Accept": "image/png"}).status_code == 406
    assert api.post("/tasks", json={"title": "x"}, headers={**headers, "Accept": "image/png"}).status_code == 406
    assert api.get("/tasks", headers=CSV).text.count("\n") == 1  # the header line only: nothing was created


@pytest.mark.parametrize("chapter", chapters_from(2))
def test_every_response_says_how_to_cache_it(api_at, chapter):
    api = api_at(chapter)
    assert api.get("/tasks").headers["cache-control"]
    assert api.get("/health").headers["cache-control"] == "no-store"
    assert api.post("/tasks", json={"title": "x"}, headers=writer_headers(api)).headers["cache-control"] == "no-store"


@pytest.mark.parametrize("chapter", chapters_from(2))
def test_code_on_demand(api_at, chapter):
    api = api_at(chapter)
    script = api.get("/client.js", headers={"Accept": "*/*"})
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert script.headers["cache-control"] == "public, max-age=3600" and "function showTasks" in script.text
    page = api.get("/app")
    assert page.headers["content-type"].startswith("text/html") and 'src="client.js"' in page.text


@pytest.mark.parametrize("chapter", public_task_chapters(2))
def test_a_proxy_in_between_changes_nothing_for_the_client(api_at, chapter):
    api = api_at(chapter)
    new_task(api, "layered", writer_headers(api))
    proxy = serve(ReverseProxy(api.url), name="test-proxy")
    for headers in ({}, CSV):
        direct, through = api.get("/tasks", headers=headers), proxy.get("/tasks", headers=headers)
        assert (through.status_code, through.content) == (direct.status_code, direct.content)
        assert through.headers["content-type"] == direct.headers["content-type"]
    assert through.headers["via"] == "1.1 course-proxy"


@pytest.mark.parametrize("chapter", public_task_chapters(2))
def test_stateless_each_request_stands_alone(api_at, chapter):
    api = api_at(chapter)
    kinds = [api.get("/tasks", headers=h).headers["content-type"].split(";")[0] for h in (CSV, {}, CSV)]
    assert kinds == ["text/csv", "application/json", "text/csv"]
    assert "set-cookie" not in api.get("/tasks").headers


def test_demo_scaffolding_is_gone(api_at):
    api = api_at(2)
    assert api.get("/demo/boom").status_code == 404
    assert not any(path.startswith("/demo") for path in api.get("/openapi.json").json()["paths"])
