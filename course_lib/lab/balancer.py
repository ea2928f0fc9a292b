"""A load balancer in front of replicas: nginx when it is installed, else the course's own proxy, round-robin."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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
FAIL_TIMEOUT = 10.0  # nginx's default fail_timeout: an origin that failed is left out for this long
# Methods a proxy may send again to another origin after a failure mid-exchange (RFC 9110 §9.2.2); a connection that
# was refused never carried the request, so any method may go to the next origin then.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class RoundRobinProxy(ReverseProxy):
    """The course's reverse proxy (no cache) sending each request to the next origin in turn, as nginx does:
    an origin that fails is left out for FAIL_TIMEOUT seconds and the request goes to the next one."""

    def __init__(
        self,
        origins: list[str],
        timeout: float = 10.0,
        fail_timeout: float = FAIL_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        cache: bool = False,
    ) -> None:
        if not origins:
            raise ValueError("a load balancer needs at least one origin")
        super().__init__(origins[0], cache=cache, timeout=timeout, clock=clock)
        self.origins = [origin.rstrip("/") for origin in origins]
        self.fail_timeout = fail_timeout
        self.down_until: dict[str, float] = {}  # origin → when it may be tried again
        self._next = 0
        self._clients: dict[str, httpx.AsyncClient] = {}

    def turns(self) -> list[str]:
        """This request's origins in the order to try them: the next one that is up (round-robin over those up),
        then the rest; when every one is marked down, all of them in turn (trying beats refusing, as in nginx)."""
        count, now = len(self.origins), self.clock()
        order = [self.origins[(self._next + step) % count] for step in range(count)]
        up = [origin for origin in order if self.down_until.get(origin, 0.0) <= now] or order
        self._next = (self.origins.index(up[0]) + 1) % count
        return up + [origin for origin in order if origin not in up]

    async def exchange(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> httpx.Response:
        """Try the origins in turn: a refused connection, or any failure of an idempotent request, marks the origin
        down for fail_timeout and moves on to the next; the last failure reaches the client (502 or 504)."""
        failure: httpx.TransportError | None = None
        for origin in self.turns():
            try:
                return await self._client(origin).request(method, target, headers=headers, content=body)
            except httpx.TransportError as error:
                self.down_until[origin] = self.clock() + self.fail_timeout
                failure = error
                if not (isinstance(error, httpx.ConnectError) or method in IDEMPOTENT):
                    break  # the origin may have acted on it: sending it again could do it twice
        assert failure is not None
        raise failure

    def _client(self, origin: str) -> httpx.AsyncClient:
        """A kept-alive client to `origin` (the proxy runs in one event loop: its own process)."""
        if origin not in self._clients:
            self._clients[origin] = httpx.AsyncClient(
                base_url=origin, timeout=self.timeout, limits=httpx.Limits(max_keepalive_connections=32)
            )
        return self._clients[origin]

    def connect(self) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        """A kept-alive client to the next origin, round-robin."""
        return nullcontext(self._client(self.turns()[0]))


def from_environment() -> RoundRobinProxy:
    """The proxy for `uvicorn --factory`: origins from UPSTREAMS (comma-separated URLs), a cache if CACHE=1."""
    return RoundRobinProxy(
        [url for url in os.environ.get("UPSTREAMS", "").split(",") if url], cache=os.environ.get("CACHE") == "1"
    )


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


def load_balancer(
    upstreams: list[str],
    settings: Settings | None = None,
    prefer_nginx: bool = True,
    timeout: float = 30.0,
    cache: bool = False,
) -> Balancer:
    """nginx (where it is missing: the course's proxy) on a free loopback port, round-robin over `upstreams`;
    `cache`: a shared cache in front of them (what Cache-Control allows, never for requests with credentials)."""
    folder = Path(tempfile.mkdtemp(prefix="course-balancer-"))
    port = free_port()
    binary = nginx.find_nginx(settings) if prefer_nginx else None
    try:
        if binary:
            hosts = [url.removeprefix("http://").rstrip("/") for url in upstreams]
            conf = nginx.write_config(hosts, port, folder, cache=cache)
            nginx.check_config(binary, conf, folder)
            log = folder / "error.log"
            process = children.start(
                nginx.nginx_command(binary, conf, folder), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
            )
            kind = "nginx"
        else:
            log = folder / "proxy.log"
            root = str(Path(course_lib.__file__).resolve().parents[1])
            env = {
                **os.environ,
                "UPSTREAMS": ",".join(upstreams),
                "CACHE": "1" if cache else "0",
                "TMPDIR": str(folder),  # its temporary files go where stop() removes them
                "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
            }
            with log.open("w") as out:
                process = children.start(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "--factory",
                        "course_lib.lab.balancer:from_environment",
                        "--host",
                        HOST,
                        "--port",
                        str(port),
                        "--no-access-log",
                        "--log-level",
                        "warning",
                        "--no-proxy-headers",
                    ],  # the balancer is the first hop: trust no one
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=folder,
                )
            kind = "course proxy"
        balancer = Balancer(kind, f"http://{HOST}:{port}", list(upstreams), process, folder)
        wait_until_up(f"{balancer.url}/health", process, log, timeout)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return children.track(balancer)
