"""nginx as a load balancer: the config it gets, nginx's own check of it, and round-robin on loopback."""

import collections
import shutil
import socket

import httpx
import pytest
from fastapi import FastAPI, Request

from course_lib.lab import children, nginx
from course_lib.lab.balancer import load_balancer
from course_lib.notebook.server import serve
from course_lib.services.settings import Settings
from course_lib.taskapi import ch11_scaling

NGINX = nginx.find_nginx(Settings())
needs_nginx = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx)")


@pytest.fixture
def upstreams():
    """Two chapter-11 apps in the kernel, named replica-1 and replica-2."""
    servers = [
        serve(ch11_scaling.create_app(Settings(instance_name=f"replica-{i}")), name=f"nginx-up{i}") for i in (1, 2)
    ]
    yield [server.url for server in servers]
    for server in servers:
        server.stop()


def test_config_lists_every_upstream_and_keeps_files_under_the_prefix(tmp_path):
    text = nginx.nginx_config(["127.0.0.1:8001", "127.0.0.1:8002"], 9000, tmp_path)
    assert "server 127.0.0.1:8001;" in text and "server 127.0.0.1:8002;" in text
    assert "listen 127.0.0.1:9000;" in text and "keepalive 32;" in text
    assert "keepalive_timeout 4s;" in text  # below uvicorn's 5 s: nginx never reuses a connection uvicorn closed
    assert 'proxy_set_header Connection "";' in text and "proxy_http_version 1.1;" in text
    for line in text.splitlines():  # relative paths: nginx -p puts them under the prefix, the text names no folder
        if line.strip().startswith(("pid ", "error_log ", *(f"{name}_temp_path" for name in nginx.TEMP_PATHS))):
            assert "/" not in line.split("#")[0], line
    assert str(tmp_path) not in text and "/tmp" not in text
    assert text.count("_temp_path") == len(nginx.TEMP_PATHS) and "proxy_cache" not in text


def test_config_sets_forwarded_for_from_the_peer_never_from_the_client(tmp_path):
    text = nginx.nginx_config(["127.0.0.1:8001"], 9000, tmp_path)
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in text
    assert "$proxy_add_x_forwarded_for" not in text  # it appends to whatever list the client sent


def test_a_cached_config_bypasses_requests_with_credentials(tmp_path):
    text = nginx.nginx_config(["127.0.0.1:8001"], 9000, tmp_path, cache=True)
    assert "proxy_cache_path cache " in text and "proxy_cache api;" in text
    for directive in ("proxy_cache_bypass", "proxy_no_cache"):
        line = next(line for line in text.splitlines() if line.strip().startswith(directive))
        assert all(name in line for name in ("$http_authorization", "$http_x_api_key", "$http_cookie")), line


def test_config_without_upstreams_is_refused(tmp_path):
    with pytest.raises(ValueError):
        nginx.nginx_config([], 9000, tmp_path)


def test_find_nginx_prefers_the_setting():
    assert nginx.find_nginx(Settings(nginx_bin="/opt/nginx/sbin/nginx")) == "/opt/nginx/sbin/nginx"


@needs_nginx
def test_nginx_accepts_the_config_and_refuses_a_broken_one(tmp_path):
    nginx.check_config(NGINX, nginx.write_config(["127.0.0.1:8001"], 9000, tmp_path, cache=True), tmp_path)
    conf = nginx.write_config(["127.0.0.1:8001"], 9000, tmp_path)
    nginx.check_config(NGINX, conf, tmp_path)
    conf.write_text(conf.read_text().replace("upstream api {", "upstream api "))
    with pytest.raises(RuntimeError, match="nginx refused"):
        nginx.check_config(NGINX, conf, tmp_path)


@needs_nginx
def test_nginx_takes_turns_over_the_upstreams_and_leaves_nothing_behind(upstreams):
    balancer = load_balancer(upstreams)
    assert balancer.kind == "nginx" and "upstream api" in balancer.config
    with httpx.Client(base_url=balancer.url) as client:
        served = collections.Counter(client.get("/health").headers["x-instance"] for _ in range(10))
    assert served == {"replica-1": 5, "replica-2": 5}
    balancer.stop()
    assert balancer.process.poll() is not None and not balancer.folder.exists()
    assert balancer.process not in children.live()


def test_the_course_proxy_stands_in_for_nginx(upstreams):
    balancer = load_balancer(upstreams, prefer_nginx=False)
    assert balancer.kind == "course proxy" and balancer.config == ""
    with httpx.Client(base_url=balancer.url) as client:
        answers = [client.get("/health") for _ in range(6)]
        visits = [client.post("/visits/in-memory").json()["visits"] for _ in range(4)]
    served = [answer.headers["x-instance"] for answer in answers]
    assert sorted(served) == ["replica-1"] * 3 + ["replica-2"] * 3
    assert all(one != next_one for one, next_one in zip(served, served[1:])), served  # turns, not chance
    assert {answer.headers["via"] for answer in answers} == {"1.1 course-proxy"}
    assert visits == [1, 1, 2, 2]
    balancer.stop()
    assert balancer.process.poll() is not None and not balancer.folder.exists()


def test_a_balancer_that_cannot_start_says_why(upstreams, tmp_path):
    fake = tmp_path / "nginx"
    fake.write_text("#!/bin/sh\necho 'nginx: [emerg] no' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(RuntimeError, match="emerg"):
        load_balancer(upstreams, Settings(nginx_bin=str(fake)))
    assert shutil.which(str(fake))


def _whoami() -> FastAPI:
    """An upstream that says who it thinks the client is: uvicorn takes it from X-Forwarded-For of a trusted peer."""
    app = FastAPI()

    @app.get("/health")
    def health() -> dict:
        return {"ok": True}

    @app.get("/whoami")
    def whoami(request: Request) -> dict:
        return {
            "client": request.client.host,
            "scheme": request.url.scheme,
            "forwarded_for": request.headers.getlist("x-forwarded-for"),
        }

    return app


@pytest.fixture
def whoami():
    server = serve(_whoami(), name="nginx-whoami")  # trusts 127.0.0.1 (uvicorn's default): the balancer
    yield server.url
    server.stop()


SPOOFS = [
    {"X-Forwarded-For": "6.6.6.6"},
    {"X-Forwarded-For": "6.6.6.6, 7.7.7.7"},
    {"X-Forwarded-For": "6.6.6.6", "Forwarded": "for=6.6.6.6", "X-Forwarded-Proto": "https"},
]


@pytest.mark.parametrize("prefer_nginx", [pytest.param(True, marks=needs_nginx), False], ids=["nginx", "course-proxy"])
def test_a_client_sent_x_forwarded_for_never_becomes_the_client(whoami, prefer_nginx):
    balancer = load_balancer([whoami], prefer_nginx=prefer_nginx)
    try:
        with httpx.Client(base_url=balancer.url) as client:
            for spoof in SPOOFS:
                seen = client.get("/whoami", headers=spoof).json()
                assert seen == {"client": "127.0.0.1", "scheme": "http", "forwarded_for": ["127.0.0.1"]}, spoof
    finally:
        balancer.stop()


@needs_nginx
def test_nginx_caches_what_is_public_and_never_a_request_with_credentials(upstreams):
    balancer = load_balancer(upstreams, cache=True)
    try:
        with httpx.Client(base_url=balancer.url) as client:
            script = [client.get("/client.js") for _ in range(4)]
            keyed = [client.get("/client.js", headers={"X-API-Key": "k"}) for _ in range(2)]
            health = [client.get("/health") for _ in range(2)]
    finally:
        balancer.stop()
    assert [answer.headers["x-cache-status"] for answer in script] == ["MISS", "HIT", "HIT", "HIT"]
    assert len({answer.headers["x-instance"] for answer in script}) == 1  # one replica served them all
    assert [answer.headers["x-cache-status"] for answer in keyed] == ["BYPASS", "BYPASS"]
    assert [answer.headers["x-cache-status"] for answer in health] == ["MISS", "MISS"]  # no-store


def test_the_course_proxy_skips_a_dead_upstream_and_marks_it_down(upstreams):
    with socket.socket() as closed:  # bound, never listening: every connection is refused, like a stopped replica
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"
        balancer = load_balancer([upstreams[0], dead, upstreams[1]], prefer_nginx=False)
        try:
            with httpx.Client(base_url=balancer.url) as client:
                answers = [client.get("/health") for _ in range(6)] + [
                    client.post("/visits/in-redis") for _ in range(3)
                ]
        finally:
            balancer.stop()
    assert [answer.status_code for answer in answers] == [200] * 6 + [200] * 3
    served = [answer.headers["x-instance"] for answer in answers]
    assert sorted(served) == ["replica-1"] * 4 + ["replica-2"] * 5 or sorted(served) == (
        ["replica-1"] * 5 + ["replica-2"] * 4
    ), served


@needs_nginx
def test_nginx_passes_a_failed_connection_to_the_next_upstream():
    servers = [
        serve(ch11_scaling.create_app(Settings(instance_name=f"replica-{i}")), name=f"nginx-lose{i}") for i in (1, 2, 3)
    ]
    balancer = load_balancer([server.url for server in servers])
    try:
        with httpx.Client(base_url=balancer.url) as client:
            assert {client.get("/health").headers["x-instance"] for _ in range(3)} == {
                "replica-1",
                "replica-2",
                "replica-3",
            }
            servers[2].stop()
            answers = [client.get("/health") for _ in range(6)]
    finally:
        balancer.stop()
        for server in servers:
            server.stop()
    assert {(answer.status_code, answer.headers["x-instance"]) for answer in answers} == {
        (200, "replica-1"),
        (200, "replica-2"),
    }


def test_the_course_proxy_caches_by_the_same_rules_where_nginx_is_missing(upstreams):
    balancer = load_balancer(upstreams, prefer_nginx=False, cache=True)
    try:
        with httpx.Client(base_url=balancer.url) as client:
            script = [client.get("/client.js") for _ in range(3)]
            keyed = [client.get("/client.js", headers={"X-API-Key": "k"}) for _ in range(2)]
            health = [client.get("/health") for _ in range(2)]
    finally:
        balancer.stop()
    assert [answer.headers["x-cache"] for answer in script] == ["MISS", "HIT", "HIT"]
    assert [answer.headers["x-cache"] for answer in keyed] == ["HIT", "HIT"]  # public: it says any cache may
    assert [answer.headers["x-cache"] for answer in health] == ["MISS", "MISS"]  # no-store
