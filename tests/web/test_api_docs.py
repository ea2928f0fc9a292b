import json
import re
from urllib.parse import urljoin

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from course_lib.taskapi import app_for, latest
from course_lib.web.api_docs import install_offline_docs, relative

PREFIX = "/user/learner/proxy/8123"  # jupyter-server-proxy on Binder: the browser sees the API under this path
CONTENT_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png", ".json": "application/json"}
EXTERNAL = re.compile(r"\b(?:https?:)?//[\w.-]+", re.IGNORECASE)


def docs_app(**settings) -> FastAPI:
    app = FastAPI(title="Demo <API>", docs_url=None, redoc_url=None, **settings)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    install_offline_docs(app)
    return app


def references(page: str) -> list[str]:
    """Every URL the page loads: attributes, and the URLs in Swagger UI's config."""
    found = re.findall(r'(?:src|href|spec-url)="([^"]+)"', page)
    config = re.search(r"const config = (\{.*?\});", page)
    if config:
        settings = json.loads(config.group(1))
        found += [settings["url"], settings["oauth2RedirectUrl"]]
    return found


class PathPrefix:
    """What jupyter-server-proxy does: serve the app only under `prefix`, stripped; anything else is 404."""

    def __init__(self, app, prefix: str) -> None:
        self.app, self.prefix = app, prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not scope["path"].startswith(self.prefix + "/"):
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"outside the proxy prefix"})
            return
        if scope["type"] == "http":
            scope = {**scope, "path": scope["path"].removeprefix(self.prefix), "raw_path": None}
        await self.app(scope, receive, send)


@pytest.fixture
def client():
    return TestClient(docs_app())


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_pages_load_every_asset_from_the_app(client, page):
    response = client.get(page)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assets = [ref for ref in references(response.text) if ref.rsplit(".", 1)[-1] in ("js", "css", "png")]
    assert len(assets) >= 2, response.text
    for ref in assets:
        asset = client.get(urljoin(f"http://testserver{page}", ref))
        assert asset.status_code == 200, ref
        assert CONTENT_TYPES["." + ref.rsplit(".", 1)[-1]] in asset.headers["content-type"], ref
        assert len(asset.content) > 4000, f"{ref} is too small to be the real asset"


def test_swagger_ui_bundle_and_redoc_are_the_real_scripts(client):
    assert b"SwaggerUIBundle" in client.get("/docs-assets/swagger-ui-bundle.js").content
    assert b"Redoc" in client.get("/docs-assets/redoc.standalone.js").content
    assert b".swagger-ui" in client.get("/docs-assets/swagger-ui.css").content


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/docs/oauth2-redirect"])
def test_pages_name_no_other_host(client, page):
    text = client.get(page).text
    assert EXTERNAL.findall(text) == []
    assert not any(ref.startswith("/") for ref in references(text)), "a root-absolute path breaks under a prefix"


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_browser_is_told_to_load_from_this_app_only(client, page):
    # ReDoc's bundle shows a logo from its CDN whatever the page says; the policy keeps the browser from fetching it.
    policy = dict(part.strip().split(" ", 1) for part in client.get(page).headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'self'" and policy["img-src"] == "'self' data:"
    assert all("http" not in sources and "*" not in sources for sources in policy.values())


def test_the_external_url_check_catches_fastapis_cdn_pages():
    cdn = TestClient(FastAPI())
    assert EXTERNAL.findall(cdn.get("/docs").text) and EXTERNAL.findall(cdn.get("/redoc").text)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_every_reference_resolves_under_a_path_prefix(page):
    proxied = TestClient(PathPrefix(docs_app(), PREFIX))
    response = proxied.get(PREFIX + page)
    assert response.status_code == 200
    refs = references(response.text)
    assert any(ref.endswith("openapi.json") for ref in refs)
    for ref in refs:
        url = urljoin(f"http://testserver{PREFIX}{page}", ref)
        assert url.startswith(f"http://testserver{PREFIX}/"), ref
        assert proxied.get(url).status_code == 200, ref


def test_the_prefix_check_rejects_root_absolute_urls():
    proxied = TestClient(PathPrefix(docs_app(), PREFIX))
    assert proxied.get("/openapi.json").status_code == 404
    assert proxied.get(PREFIX + "/openapi.json").status_code == 200


def test_swagger_config_points_at_the_schema_and_the_oauth2_redirect(client):
    config = json.loads(re.search(r"const config = (\{.*?\});", client.get("/docs").text).group(1))
    assert config["url"] == "openapi.json" and config["oauth2RedirectUrl"] == "docs/oauth2-redirect"
    assert config["dom_id"] == "#swagger-ui" and config["validatorUrl"] is None


def test_oauth2_redirect_page_hands_the_token_to_swagger_ui(client):
    response = client.get("/docs/oauth2-redirect")
    assert response.status_code == 200 and "swaggerUIRedirectOauth2" in response.text


def test_app_settings_reach_swagger_ui():
    app = docs_app(
        swagger_ui_parameters={"deepLinking": False},
        swagger_ui_init_oauth={"clientId": "course"},
        swagger_ui_oauth2_redirect_url="/login/done",
    )
    page = TestClient(app).get("/docs").text
    config = json.loads(re.search(r"const config = (\{.*?\});", page).group(1))
    assert config["deepLinking"] is False and config["oauth2RedirectUrl"] == "login/done"
    assert 'ui.initOAuth({"clientId": "course"});' in page
    assert TestClient(app).get("/login/done").status_code == 200


def test_the_title_is_escaped(client):
    assert "<title>Demo &lt;API&gt; - Swagger UI</title>" in client.get("/docs").text


def test_docs_stay_out_of_the_schema(client):
    assert set(client.get("/openapi.json").json()["paths"]) == {"/health"}


@pytest.mark.parametrize("settings", [{}, {"docs_url": None}, {"redoc_url": None}])
def test_an_app_with_cdn_docs_is_refused(settings):
    with pytest.raises(ValueError, match=r"FastAPI\(docs_url=None, redoc_url=None\)"):
        install_offline_docs(FastAPI(**settings))


def test_an_app_without_a_schema_is_refused():
    with pytest.raises(ValueError, match="openapi_url=None"):
        install_offline_docs(FastAPI(docs_url=None, redoc_url=None, openapi_url=None))


@pytest.mark.parametrize(
    ("page", "target", "expected"),
    [
        ("/docs", "/openapi.json", "openapi.json"),
        ("/docs", "/docs/oauth2-redirect", "docs/oauth2-redirect"),
        ("/api/docs", "/openapi.json", "../openapi.json"),
        ("/redoc", "/docs-assets/redoc.standalone.js", "docs-assets/redoc.standalone.js"),
    ],
)
def test_relative(page, target, expected):
    assert relative(page, target) == expected


@pytest.mark.parametrize("make_app", [lambda: app_for(0), latest], ids=["chapter 00", "latest"])
def test_the_task_api_serves_its_docs_offline(make_app):
    client = TestClient(make_app())
    for page in ("/docs", "/redoc"):
        text = client.get(page).text
        assert EXTERNAL.findall(text) == []
        for ref in references(text):
            assert client.get(urljoin(f"http://testserver{page}", ref)).status_code == 200, ref


def test_the_redoc_script_asks_no_cdn_for_its_logo(client):
    script = client.get("/docs-assets/redoc.standalone.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert b"Redoc" in script.content and b"cdn.redoc.ly" not in script.content
    assert b"https://cdn" not in script.content
