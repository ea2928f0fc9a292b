import socket
import threading
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI, Request

from course_lib.notebook import server
from course_lib.notebook.server import ServerStartError, serve, serving


def hello_app() -> FastAPI:
    app = FastAPI()

    @app.get("/hello")
    def hello():
        return {"hello": "world"}

    @app.get("/fail")
    def fail():
        raise RuntimeError("boom inside the handler")

    return app


def test_serve_answers_on_a_loopback_port():
    api = serve(hello_app())
    assert api.url.startswith("http://127.0.0.1:") and api.port > 0
    assert api.get("/hello").json() == {"hello": "world"}


def test_serving_again_under_the_same_name_replaces_the_old_server():
    first = serve(hello_app(), name="same")
    second = serve(hello_app(), name="same")
    assert not first.running and second.running
    assert server.running_servers() == {"same": second}
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", first.port), timeout=1).close()


def test_stop_frees_the_port_and_is_idempotent():
    api = serve(hello_app())
    api.stop()
    api.stop()
    assert not api.running and "api" not in server.running_servers()
    again = serve(hello_app(), port=api.port)
    assert again.get("/hello").status_code == 200


def test_a_busy_port_raises_at_once_with_the_reason():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(ServerStartError, match="cannot listen on 127.0.0.1"):
            serve(hello_app(), port=taken.getsockname()[1])


def test_a_failing_startup_raises_instead_of_hanging():
    @asynccontextmanager
    async def lifespan(app):
        raise RuntimeError("database unreachable")
        yield

    with pytest.raises(ServerStartError, match="did not start"):
        serve(FastAPI(lifespan=lifespan))


def test_server_errors_go_to_the_log_not_to_stdout(capsys):
    api = serve(hello_app())
    assert api.get("/fail").status_code == 500
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert any("boom inside the handler" in line for line in api.logs(wait_for="boom inside"))


def test_the_client_keeps_its_headers_and_cookies_after_a_server_error():
    app = hello_app()

    @app.get("/whoami")
    def whoami(request: Request) -> dict:
        return {"key": request.headers.get("x-api-key"), "cookie": request.cookies.get("c")}

    api = serve(app)
    api.client.headers["X-API-Key"] = "tk_ada"
    api.client.cookies.set("c", "1")
    assert api.get("/fail").status_code == 500  # the client is replaced: uvicorn closed the connection
    assert api.get("/whoami").json() == {"key": "tk_ada", "cookie": "1"}


def test_serving_context_stops_on_exit():
    with serving(hello_app()) as api:
        assert api.get("/hello").status_code == 200
    assert not api.running


def test_stop_everything():
    serve(hello_app(), name="a")
    serve(hello_app(), name="b")
    server.stop()
    assert server.running_servers() == {}
    assert threading.active_count() < 50


def test_link_is_direct_locally(monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    api = serve(hello_app())
    assert api.docs_url == f"http://127.0.0.1:{api.port}/docs"
    assert api.docs_url in api._repr_html_()


def test_link_goes_through_the_jupyter_proxy_on_binder(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/learner/")
    api = serve(hello_app())
    assert api.docs_url == f"/user/learner/proxy/{api.port}/docs"
    # jupyter-server-proxy strips its prefix and names it in X-Forwarded-Prefix (tests/test_binder_proxy.py: for real)
    docs = api.get("/docs", headers={"X-Forwarded-Prefix": f"/user/learner/proxy/{api.port}"}).text
    assert f"/user/learner/proxy/{api.port}/openapi.json" in docs


def test_requests_from_the_kernel_see_no_proxy_prefix(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/learner/")
    app = FastAPI()

    @app.get("/where")
    def where(request: Request):
        return {"url": str(request.url), "root_path": request.scope["root_path"]}

    api = serve(app)
    assert api.get("/where").json() == {"url": f"http://127.0.0.1:{api.port}/where", "root_path": ""}
    prefix = f"/user/learner/proxy/{api.port}"
    proxied = api.get("/where", headers={"X-Forwarded-Prefix": prefix}).json()
    assert proxied["root_path"] == prefix and proxied["url"].endswith(f"{prefix}/where")
    port = api.port
    for forged in (
        '/a>; rel="x"',
        "//evil.example",
        "/card123",
        f"/../proxy/{port}",
        f"/user/other/proxy/{port}",
        f"/user/learner/proxy/absolute/{port}",
        f"/user/learner/proxy/{port + 1}",
    ):
        sent = api.get("/where", headers={"X-Forwarded-Prefix": forged}).json()
        assert sent == {"url": f"http://127.0.0.1:{api.port}/where", "root_path": ""}, forged


def test_a_client_sent_x_forwarded_for_never_becomes_the_client():
    app = hello_app()

    @app.get("/client")
    def client(request: Request) -> dict:
        return {"host": request.client.host, "scheme": request.url.scheme}

    spoof = {"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https"}
    assert serve(app).get("/client", headers=spoof).json() == {"host": "127.0.0.1", "scheme": "http"}
    # uvicorn's own default, kept for chapter 11's demonstration: believed from loopback, so from any local client
    loopback = serve(app, name="trusts-loopback", trust_loopback_proxies=True)
    assert loopback.get("/client", headers=spoof).json() == {"host": "6.6.6.6", "scheme": "https"}
