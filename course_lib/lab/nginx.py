"""nginx as the load balancer on loopback: its own config and prefix folder, round-robin over the replicas."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from course_lib.services.settings import Settings, get_settings

TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def find_nginx(settings: Settings | None = None) -> str | None:
    """settings.nginx_bin (NGINX_BIN), else nginx on PATH (or in /usr/sbin), else None."""
    settings = settings or get_settings()
    return settings.nginx_bin or shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


PROXY_HEADERS = """\
            proxy_set_header Host $http_host;               # the host the client asked for
            proxy_set_header X-Forwarded-For $remote_addr;  # the peer nginx saw, never a list a client wrote
            proxy_set_header X-Forwarded-Proto $scheme;     # http or https, as the client connected"""
# A shared cache in front of the replicas: what Cache-Control lets a shared cache keep (public, max-age) is answered
# by nginx without a replica. A request with credentials neither reads nor fills it (RFC 9111 §3.5), whatever the
# answer says: one user's data must never reach another.
CACHE_PATH = "    proxy_cache_path cache levels=1:2 keys_zone=api:1m max_size=16m inactive=10m use_temp_path=off;\n"
CACHE = """
            proxy_cache api;
            proxy_cache_bypass $http_authorization $http_x_api_key $http_cookie;
            proxy_no_cache $http_authorization $http_x_api_key $http_cookie;
            add_header X-Cache-Status $upstream_cache_status always;  # MISS, HIT, BYPASS, EXPIRED ..."""


def nginx_config(
    upstreams: list[str], port: int, prefix: Path, upstream: str | None = None, cache: bool = False
) -> str:
    """A whole nginx.conf: listen on 127.0.0.1:`port`, round-robin over `upstreams` (host:port) with keep-alive.

    Paths are relative to `prefix` (nginx -p): the config names no folder of this machine. `upstream` replaces the
    generated `upstream api { ... }` block (an exercise writes its own); `cache` puts a shared cache in front.
    """
    if not upstreams and upstream is None:
        raise ValueError("nginx needs at least one upstream")
    servers = "\n".join(f"        server {address};" for address in upstreams)
    temp = "\n".join(f"    {name}_temp_path {name};" for name in TEMP_PATHS)
    default = f"""\
    upstream api {{
        # round-robin (the default): each new request goes to the next server in turn
{servers}
        keepalive 32;  # reuse connections to the replicas instead of a TCP handshake per request
        keepalive_timeout 4s;  # close an idle one before uvicorn does (5 s): reusing one it closed is a failure
    }}"""
    return f"""\
# Written by course_lib.lab.nginx: every path is relative to the prefix folder (nginx -p), so nothing leaves it.
worker_processes 1;  # one core's worth: on a small machine the replicas need the rest
pid nginx.pid;
error_log error.log warn;

events {{
    worker_connections 1024;
}}

http {{
    access_log off;
{temp}
{CACHE_PATH if cache else ""}
{upstream or default}

    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://api;
            proxy_http_version 1.1;          # keep-alive to the upstreams needs HTTP/1.1 ...
            proxy_set_header Connection "";  # ... and no "Connection: close" passed on
{PROXY_HEADERS}{CACHE if cache else ""}
        }}
    }}
}}
"""


def write_config(
    upstreams: list[str], port: int, prefix: Path, upstream: str | None = None, cache: bool = False
) -> Path:
    """Write nginx.conf into `prefix` (readable by nginx's workers, which run as nobody when started as root)."""
    prefix.mkdir(parents=True, exist_ok=True)
    prefix.chmod(0o755)
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_config(upstreams, port, prefix, upstream, cache))
    return conf


def nginx_command(binary: str, conf: Path, prefix: Path) -> list[str]:
    """nginx in the foreground (so it is our child and dies with us), with our config and prefix."""
    return [binary, "-c", str(conf), "-p", str(prefix), "-g", "daemon off;"]


def check_config(binary: str, conf: Path, prefix: Path) -> None:
    """`nginx -t`: RuntimeError with nginx's own message when the config is wrong."""
    checked = subprocess.run(
        [binary, "-t", "-q", "-c", str(conf), "-p", str(prefix)], capture_output=True, text=True, timeout=30
    )
    if checked.returncode != 0:
        raise RuntimeError(f"nginx refused the config: {checked.stderr.strip()}")
