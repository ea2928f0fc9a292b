"""A load balancer in front of replicas: nginx when it is installed, else the course's own proxy, round-robin."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import httpx

import course_lib
from course_lib.lab import children, nginx
from course_lib.lab.children import HOST, free_port, wait_until_up
from course_lib.lab.proxy import ReverseProxy
from course_lib.services.settings import Settings

INSTALL_NGINX = "sudo apt-get install nginx   (Debian/Ubuntu; macOS: brew install nginx; conda: conda install nginx)"


class RoundRobinProxy(ReverseProxy):
    """The course's reverse proxy (no cache) sending each request to the next origin in turn."""

    def __init__(self, origins: list[str], timeout: float = 10.0) -> None:
        if not origins:
            raise ValueError("a load balancer needs at least one origin")
        super().__init__(origins[0], cache=False, timeout=timeout)
        self.origins = [origin.rstrip("/") for origin in origins]
        self._turns = itertools.cycle(self.origins)
        self._clients: dict[str, httpx.AsyncClient] = {}

    def connect(self) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        """A kept-alive client to the next origin, round-robin (the proxy runs in one event loop: its own process)."""
        origin = next(self._turns)
        if origin not in self._clients:
            self._clients[origin] = httpx.AsyncClient(base_url=origin, timeout=self.timeout,
                                                      limits=httpx.Limits(max_keepalive_connections=32))
        return nullcontext(self._clients[origin])


def from_environment() -> RoundRobinProxy:
    """The proxy for `uvicorn --factory`: origins from UPSTREAMS (comma-separated URLs)."""
    return RoundRobinProxy([url for url in os.environ.get("UPSTREAMS", "").split(",") if url])


@dataclass
class Balancer:
    """A running load balancer: which one (nginx or the course's proxy), its URL, and how to stop it."""

    kind: str
    url: str
    upstreams: list[str]
    process: subprocess.Popen = field(repr=False)
    folder: Path = field(repr=False)

    @property
    def config(self) -> str:
        """nginx.conf as written (empty for the course's proxy)."""
        conf = self.folder / "nginx.conf"
        return conf.read_text() if conf.exists() else ""

    def stop(self) -> None:
        """Stop the balancer and remove its folder (config, pid, logs, temp paths)."""
        children.stop(self.process)
        shutil.rmtree(self.folder, ignore_errors=True)


def load_balancer(upstreams: list[str], settings: Settings | None = None, prefer_nginx: bool = True,
                  timeout: float = 30.0) -> Balancer:
    """nginx (where it is missing: the course's proxy) on a free loopback port, round-robin over `upstreams`."""
    folder = Path(tempfile.mkdtemp(prefix="course-balancer-"))
    port = free_port()
    binary = nginx.find_nginx(settings) if prefer_nginx else None
    try:
        if binary:
            hosts = [url.removeprefix("http://").rstrip("/") for url in upstreams]
            conf = nginx.write_config(hosts, port, folder)
            nginx.check_config(binary, conf, folder)
            log = folder / "error.log"
            process = children.start(nginx.nginx_command(binary, conf, folder), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT)
            kind = "nginx"
        else:
            log = folder / "proxy.log"
            root = str(Path(course_lib.__file__).resolve().parents[1])
            env = {**os.environ, "UPSTREAMS": ",".join(upstreams),
                   "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
            with log.open("w") as out:
                process = children.start([sys.executable, "-m", "uvicorn", "--factory",
                                          "course_lib.lab.balancer:from_environment", "--host", HOST, "--port",
                                          str(port), "--no-access-log", "--log-level", "warning"],
                                         env=env, stdout=out, stderr=subprocess.STDOUT, cwd=folder)
            kind = "course proxy"
        balancer = Balancer(kind, f"http://{HOST}:{port}", list(upstreams), process, folder)
        wait_until_up(f"{balancer.url}/health", process, log, timeout)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return children.track(balancer)
