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


def nginx_config(upstreams: list[str], port: int, prefix: Path, upstream: str | None = None) -> str:
    """A whole nginx.conf: listen on 127.0.0.1:`port`, round-robin over `upstreams` (host:port) with keep-alive.

    `upstream` replaces the generated `upstream api { ... }` block (an exercise writes its own).
    """
    if not upstreams and upstream is None:
        raise ValueError("nginx needs at least one upstream")
    servers = "\n".join(f"        server {address};" for address in upstreams)
    temp = "\n".join(f"    {name}_temp_path {prefix / name};" for name in TEMP_PATHS)
    default = f"""\
    upstream api {{
        # round-robin (the default): each new request goes to the next server in turn
{servers}
        keepalive 32;  # reuse connections to the replicas instead of a TCP handshake per request
    }}"""
    return f"""\
# Written by course_lib.lab.nginx: everything nginx writes stays under {prefix}.
worker_processes 1;  # one core's worth: on a small machine the replicas need the rest
pid {prefix / 'nginx.pid'};
error_log {prefix / 'error.log'} warn;

events {{
    worker_connections 1024;
}}

http {{
    access_log off;
{temp}

{upstream or default}

    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://api;
            proxy_http_version 1.1;          # keep-alive to the upstreams needs HTTP/1.1 ...
            proxy_set_header Connection "";  # ... and no "Connection: close" passed on
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


def write_config(upstreams: list[str], port: int, prefix: Path, upstream: str | None = None) -> Path:
    """Write nginx.conf into `prefix` (readable by nginx's workers, which run as nobody when started as root)."""
    prefix.mkdir(parents=True, exist_ok=True)
    prefix.chmod(0o755)
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_config(upstreams, port, prefix, upstream))
    return conf


def nginx_command(binary: str, conf: Path, prefix: Path) -> list[str]:
    """nginx in the foreground (so it is our child and dies with us), with our config and prefix."""
    return [binary, "-c", str(conf), "-p", str(prefix), "-g", "daemon off;"]


def check_config(binary: str, conf: Path, prefix: Path) -> None:
    """`nginx -t`: RuntimeError with nginx's own message when the config is wrong."""
    checked = subprocess.run([binary, "-t", "-q", "-c", str(conf), "-p", str(prefix)], capture_output=True,
                             text=True, timeout=30)
    if checked.returncode != 0:
        raise RuntimeError(f"nginx refused the config: {checked.stderr.strip()}")
