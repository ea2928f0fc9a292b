"""Swagger UI and ReDoc served by the app itself: no CDN, and relative URLs so they work behind a path prefix."""

from __future__ import annotations

import html
import json
import posixpath
from functools import cache
from importlib.resources import files
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_oauth2_redirect_html, swagger_ui_default_parameters
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
ASSETS_URL = "/docs-assets"
# fastapi-offline ships the files FastAPI's default pages fetch from a CDN: Swagger UI 5 and ReDoc 2.
ASSETS = files("fastapi_offline") / "static"
# The pages may load from this app only (the policy also stops anything a script would fetch from elsewhere).
# Inline: the page's config script, Swagger UI's and ReDoc's styles; blob: ReDoc's search worker.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)

SWAGGER_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - Swagger UI</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="{assets}/favicon.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script>
const config = {config};
// OAuth2 providers need an absolute redirect URL; resolving it here keeps the page free of host and prefix.
config.oauth2RedirectUrl = new URL(config.oauth2RedirectUrl, window.location.href).href;
const ui = SwaggerUIBundle(config);
{init_oauth}
</script>
</body>
</html>
"""

REDOC_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - ReDoc</title>
<link rel="icon" type="image/png" href="{assets}/favicon.png">
<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<noscript>ReDoc needs JavaScript.</noscript>
<redoc spec-url="{spec}"></redoc>
<script src="{assets}/redoc.standalone.js"></script>
</body>
</html>
"""


def relative(page: str, target: str) -> str:
    """The URL reference from the page at path `page` to path `target` that a browser resolves under any prefix."""
    return posixpath.relpath(target, posixpath.dirname(page))


def _script_json(value: Any) -> str:
    # JSON inside <script>: escape what could close the tag or start markup.
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def openapi_url(app: FastAPI) -> str:
    """Where the app serves its OpenAPI document, which both pages load (an app without one has no docs pages)."""
    if app.openapi_url is None:
        raise ValueError("the docs pages need the app's OpenAPI document, and its openapi_url is None")
    return app.openapi_url


def oauth2_redirect_url(app: FastAPI) -> str:
    """Where Swagger UI's OAuth2 login returns: FastAPI's setting, /docs/oauth2-redirect by default."""
    return app.swagger_ui_oauth2_redirect_url or f"{DOCS_URL}/oauth2-redirect"


def swagger_page(app: FastAPI, docs_url: str = DOCS_URL) -> str:
    """The Swagger UI page for `app`, served at `docs_url`."""
    config = {
        **swagger_ui_default_parameters,
        "validatorUrl": None,  # the default validator badge loads an image from the internet
        **(app.swagger_ui_parameters or {}),
        "url": relative(docs_url, openapi_url(app)),
        "oauth2RedirectUrl": relative(docs_url, oauth2_redirect_url(app)),
    }
    init_oauth = f"ui.initOAuth({_script_json(app.swagger_ui_init_oauth)});" if app.swagger_ui_init_oauth else ""
    return SWAGGER_PAGE.format(
        title=html.escape(app.title),
        assets=relative(docs_url, ASSETS_URL),
        config=_script_json(config),
        init_oauth=init_oauth,
    )


# ReDoc's sidebar footer shows Redocly's logo from their CDN: served from here, the script shows an inline one instead,
# so the page asks no other host (a blocked request would still be an error in the browser's console).
REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
INLINE_LOGO = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='16' height='16'%3E"
    "%3Crect width='16' height='16' rx='3' fill='%23c33'/%3E%3C/svg%3E"
)


@cache
def redoc_script() -> bytes:
    """fastapi-offline's ReDoc bundle, its one CDN reference (the footer logo) made an inline image."""
    return (ASSETS / "redoc.standalone.js").read_bytes().replace(REDOC_CDN_LOGO.encode(), INLINE_LOGO.encode())


def redoc_page(app: FastAPI, redoc_url: str = REDOC_URL) -> str:
    """The ReDoc page for `app`, served at `redoc_url`."""
    return REDOC_PAGE.format(
        title=html.escape(app.title),
        assets=relative(redoc_url, ASSETS_URL),
        spec=html.escape(relative(redoc_url, openapi_url(app))),
    )


def install_offline_docs(app: FastAPI) -> None:
    """Serve /docs, /redoc, the Swagger OAuth2 redirect page and their assets from this app."""
    if app.docs_url or app.redoc_url:
        raise ValueError("the app already serves CDN docs: create it with FastAPI(docs_url=None, redoc_url=None)")
    if not app.openapi_url:
        raise ValueError("the app has no OpenAPI schema (openapi_url=None): there is nothing to document")

    @app.get(f"{ASSETS_URL}/redoc.standalone.js", include_in_schema=False)
    def redoc_bundle() -> Response:  # before the mount, which would serve the file as it is
        return Response(
            redoc_script(), media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"}
        )

    app.mount(ASSETS_URL, StaticFiles(directory=str(ASSETS)), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(swagger_page(app), headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})

    @app.get(oauth2_redirect_url(app), include_in_schema=False)
    def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    def redoc() -> HTMLResponse:
        return HTMLResponse(redoc_page(app), headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})
