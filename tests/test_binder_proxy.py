"""Binder parity: the in-kernel API's Swagger UI is reachable through the Jupyter server (jupyter-server-proxy)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urljoin

import pytest
from e2e.jupyterlab import JupyterLab, isolated_env, start_lab

PREFIX = "/user/learner/"  # what JupyterHub (and so Binder) sets as JUPYTERHUB_SERVICE_PREFIX and base_url
API_SCRIPT = """
import json, sys
from course_lib.notebook.server import serve
from course_lib.taskapi import latest

api = serve(latest())
print(json.dumps({"port": api.port, "docs_url": api.docs_url, "repr": repr(api), "html": api._repr_html_()}),
      flush=True)
sys.stdin.read()  # serve until the test closes stdin
"""


@pytest.fixture(scope="module")
def hub_lab(tmp_path_factory) -> Iterator[JupyterLab]:
    """A Jupyter server as JupyterHub runs it: under the user's prefix, with the course's proxy extension."""
    home = tmp_path_factory.mktemp("home")
    lab = start_lab(tmp_path_factory.mktemp("root"), home, base_url=PREFIX)
    yield lab
    lab.stop()


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[dict]:
    """The task API started by the course server in a process that sees JUPYTERHUB_SERVICE_PREFIX, as a kernel would."""
    env = isolated_env(tmp_path_factory.mktemp("api-home"), JUPYTERHUB_SERVICE_PREFIX=PREFIX)
    process = subprocess.Popen(
        [sys.executable, "-c", API_SCRIPT],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    if not line:
        process.kill()
        pytest.fail(f"the API process did not start: {process.communicate(timeout=10)[1][-3000:]}")
    yield json.loads(line)
    process.stdin.close()
    process.wait(15)


def test_the_printed_link_points_through_the_proxy(api):
    assert api["docs_url"] == f"{PREFIX}proxy/{api['port']}/docs"
    assert api["docs_url"] in api["repr"]
    assert f'href="{api["docs_url"]}"' in api["html"]


def test_swagger_ui_through_the_proxy_loads_the_proxied_openapi(hub_lab, api):
    docs = hub_lab.get(f"/proxy/{api['port']}/docs")
    assert docs.status_code == 200, docs.text[:500]
    assert "swagger-ui" in docs.text
    # The page names its schema and assets relative to itself, so the browser resolves them under the proxy's path.
    config = json.loads(re.search(r"const config = (\{.*?\});", docs.text).group(1))
    docs_url = f"{PREFIX}proxy/{api['port']}/docs"
    openapi_url = urljoin(docs_url, config["url"])
    assert openapi_url == f"{PREFIX}proxy/{api['port']}/openapi.json"
    for asset in re.findall(r'(?:src|href)="([^"]+)"', docs.text):
        assert hub_lab.get(urljoin(docs_url, asset).removeprefix(PREFIX.rstrip("/"))).status_code == 200, asset

    openapi = hub_lab.get(openapi_url.removeprefix(PREFIX.rstrip("/")))
    assert openapi.status_code == 200, openapi.text[:500]
    schema = openapi.json()
    assert schema["openapi"].startswith("3.") and "/health" in schema["paths"]
    assert schema["servers"][0]["url"] == f"{PREFIX}proxy/{api['port']}", "Swagger's Try it out goes through the proxy"


def test_the_api_answers_through_the_proxy(hub_lab, api):
    health = hub_lab.get(f"/proxy/{api['port']}/health")
    assert health.status_code == 200, health.text[:500]


def test_the_proxy_needs_the_jupyter_token(hub_lab, api):
    anonymous = hub_lab.get(f"/proxy/{api['port']}/openapi.json", headers={"Authorization": ""}, follow_redirects=False)
    assert anonymous.status_code in (302, 403)
