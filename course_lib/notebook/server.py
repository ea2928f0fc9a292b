"""Run an ASGI app with uvicorn on a free loopback port, in a background thread of this kernel."""

from __future__ import annotations

import asyncio
import atexit
import collections
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn

from course_lib.services.tls import client_tls_context

HOST = "127.0.0.1"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


CLIENT_TIMEOUT = 30.0  # seconds


class ServerStartError(RuntimeError):
    """The app could not start; the message says why."""


class _LogBuffer(logging.Handler):
    """Keeps uvicorn's recent log lines so they never land in a notebook cell."""

    def __init__(self, size: int = 500) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: collections.deque[str] = collections.deque(maxlen=size)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self.changed:
            self.lines.append(self.format(record))
            self.changed.notify_all()

    def wait_for(self, text: str, timeout: float) -> bool:
        """Block until a line containing `text` is logged (True) or `timeout` seconds pass (False)."""
        with self.changed:
            return self.changed.wait_for(lambda: any(text in line for line in self.lines), timeout)


LOGS = _LogBuffer()


def _capture_uvicorn_logs() -> None:
    # Output from a background thread lands in whichever cell runs at that moment, so uvicorn must never print.
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [LOGS]
        logger.propagate = False
        logger.setLevel(logging.INFO)


class _Server(uvicorn.Server):
    """uvicorn's Server, stopped as soon as it is asked: uvicorn polls for `should_exit` every 0.1 s and then waits
    0.1 s more for open connections, which made stopping cost more than starting (a test suite stops thousands)."""

    _loop: asyncio.AbstractEventLoop | None = None
    _wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            try:  # the same 0.1 s tick as uvicorn's (it refreshes the Date header), cut short by stop()
                await asyncio.wait_for(self._wake.wait(), 0.1)
            except TimeoutError:
                pass

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.server_state.connections or self.server_state.tasks:
            await super().shutdown(sockets)  # uvicorn's graceful path: let open connections finish
            return
        for server in self.servers:
            server.close()
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()

    def ask_to_exit(self) -> None:
        """Set should_exit and wake the main loop, from any thread."""
        self.should_exit = True
        if self._loop is not None and self._wake is not None and not self._loop.is_closed():
            try:
                self._loop.call_soon_threadsafe(self._wake.set)
            except RuntimeError:  # the loop closed between the check and the call
                pass


@dataclass
class RunningServer:
    """A live server: its URL, a client bound to it, and how to stop it."""

    name: str
    url: str
    port: int
    server: _Server = field(repr=False)
    thread: threading.Thread = field(repr=False)
    sock: socket.socket = field(repr=False)
    _client: httpx.Client | None = field(default=None, repr=False)

    @property
    def docs_url(self) -> str:
        """The Swagger UI link a browser can open: direct locally, through jupyter-server-proxy on Binder."""
        return public_url(self.port, "/docs")

    @property
    def client(self) -> httpx.Client:
        """An httpx client whose base URL is this server (relative paths: client.get('/health'))."""
        if self._client is None or self._client.is_closed:
            # Generous: a kernel on a busy laptop (or CI running many servers) can take seconds to answer.
            self._client = httpx.Client(base_url=self.url, timeout=CLIENT_TIMEOUT, verify=client_tls_context())
        return self._client

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        """Send one request to this server."""
        response = self.client.request(method, path, **kwargs)
        if response.status_code >= 500 and self._client is not None:
            # uvicorn closes the connection after an unhandled exception; reusing it would race that close. The
            # new client keeps what was set on the old one (a key in its headers, its auth, its cookies).
            old = self._client
            old.close()
            self._client = httpx.Client(
                base_url=self.url,
                timeout=CLIENT_TIMEOUT,
                verify=client_tls_context(),
                headers=old.headers,
                auth=old.auth,
                cookies=old.cookies,
            )
        return response

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    @property
    def running(self) -> bool:
        return self.thread.is_alive()

    def logs(self, wait_for: str | None = None, timeout: float = 5.0) -> list[str]:
        """uvicorn's captured log lines, tracebacks of 500s included; first wait until `wait_for` appears.

        uvicorn logs an unhandled exception just after the 500 has gone out, so a client can be faster than the log.
        """
        if wait_for:
            LOGS.wait_for(wait_for, timeout)
        return list(LOGS.lines)

    def stop(self) -> None:
        """Stop the server and free its port; safe to call twice."""
        if self._client is not None:
            self._client.close()
        self.server.ask_to_exit()
        self.thread.join(STOP_TIMEOUT)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(STOP_TIMEOUT)
        self.sock.close()
        if _RUNNING.get(self.name) is self:
            del _RUNNING[self.name]

    def __repr__(self) -> str:
        return f"<{self.name} at {self.url} — docs: {self.docs_url}>"

    def _repr_html_(self) -> str:
        return (
            f"<b>{self.name}</b> running at <code>{self.url}</code> — "
            f'<a href="{self.docs_url}" target="_blank">open the API docs (Swagger UI)</a>'
        )


_RUNNING: dict[str, RunningServer] = {}
_LOCK = threading.Lock()


def proxy_prefix() -> str | None:
    """The Jupyter server's base path when running under JupyterHub/Binder, else None."""
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
    return prefix.rstrip("/") + "/" if prefix else None


def public_url(port: int, path: str = "/") -> str:
    """A URL for `path` on `port` that works in the learner's browser."""
    prefix = proxy_prefix()
    if prefix:
        return f"{prefix}proxy/{port}{path}"
    return f"http://{HOST}:{port}{path}"


class _ProxiedPrefix:
    """Serve a request that jupyter-server-proxy forwards under the prefix it names; leave direct requests alone.

    The proxy strips `/user/<name>/proxy/<port>` and says so in X-Forwarded-Prefix. Using it as the ASGI root_path
    makes Swagger UI fetch the proxied openapi.json, while requests sent from the kernel see the same app as locally
    (a fixed uvicorn root_path would put the prefix into every URL the app builds, proxied or not). Only the one
    prefix the proxy sends for this server is believed: any client can send the header, and the app writes root_path
    into Link fields and metric labels, so `/a>; rel="x"`, `//evil.example` or a new prefix per request must never
    get there.
    """

    def __init__(self, app, port: int) -> None:
        self.app = app
        self.prefix = f"{proxy_prefix() or '/'}proxy/{port}"  # the server's base URL + proxy/<port>

    def __getattr__(self, name: str):
        return getattr(self.app, name)  # server.config.app.context etc. keep working

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket"):
            prefix = dict(scope["headers"]).get(b"x-forwarded-prefix", b"").decode("latin-1").rstrip("/")
            if prefix == self.prefix:
                scope = {**scope, "root_path": prefix, "path": prefix + scope["path"]}
                if "raw_path" in scope:
                    scope["raw_path"] = prefix.encode("latin-1") + scope["raw_path"]
        await self.app(scope, receive, send)


def _bind(port: int) -> socket.socket:
    # proto=IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections; with proto 0 it does not, and Nagle's
    # algorithm plus delayed ACKs add ~40 ms to every loopback response.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise ServerStartError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from exc
    return sock


def serve(
    app, name: str = "api", port: int = 0, access_log: bool = False, trust_loopback_proxies: bool = False
) -> RunningServer:
    """Start `app` on 127.0.0.1 (a free port unless given), wait until it answers, and return it.

    X-Forwarded-For/-Proto are believed from nobody, unless `trust_loopback_proxies` (uvicorn's own default: from
    127.0.0.1), which chapter 11 uses to show why a replica must be reachable only through its proxy.

    Serving again under the same name first stops the previous server, so re-running a cell restarts cleanly.
    """
    with _LOCK:
        stop(name)
        _capture_uvicorn_logs()
        sock = _bind(port)
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            _ProxiedPrefix(app, port),
            log_config=None,
            access_log=access_log,
            lifespan="auto",
            timeout_graceful_shutdown=2,
            # uvicorn would trust X-Forwarded-For/-Proto from any loopback client; in a kernel every client is one, so
            # any of them could name its own address. Trust none: the course's proxies run as servers of their own.
            proxy_headers=trust_loopback_proxies,
        )
        server = _Server(config)
        thread = threading.Thread(target=_run, args=(server, sock), name=f"uvicorn-{name}", daemon=True)
        thread.start()
        _wait_until_started(server, thread, sock)
        running = RunningServer(
            name=name, url=f"http://{HOST}:{port}", port=port, server=server, thread=thread, sock=sock
        )
        _RUNNING[name] = running
        return running


def _run(server: uvicorn.Server, sock: socket.socket) -> None:
    try:
        server.run(sockets=[sock])
    except SystemExit:  # uvicorn exits on a failed startup; the reason is in LOGS and _wait_until_started reports it
        pass


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread, sock: socket.socket) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive():
            sock.close()
            reason = next(
                (line for line in reversed(LOGS.lines) if line.startswith(("ERROR", "CRITICAL"))),
                "the server thread ended before it started",
            )
            raise ServerStartError(f"the app did not start: {reason}")
        if time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise ServerStartError(f"the app did not start within {START_TIMEOUT:.0f} s")
        thread.join(0.005)


def stop(name: str | None = None) -> None:
    """Stop the server called `name`, or every server when no name is given."""
    names = [name] if name else list(_RUNNING)
    for each in names:
        running = _RUNNING.get(each)
        if running is not None:
            running.stop()


def running_servers() -> dict[str, RunningServer]:
    """The servers this kernel is running, by name."""
    return dict(_RUNNING)


@contextmanager
def serving(app, name: str = "check") -> Iterator[RunningServer]:
    """Serve `app` for the duration of a with-block."""
    running = serve(app, name=name)
    try:
        yield running
    finally:
        running.stop()


atexit.register(stop)
