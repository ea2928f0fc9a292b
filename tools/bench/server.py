"""In-kernel server: serve() start to first 200, and a same-name restart, vs a bare uvicorn.Server of a hello app."""

from __future__ import annotations

import socket
import threading

import httpx
import uvicorn

from tools.bench.apps import hello_app, task_api
from tools.bench.core import Context, Goal, benchmark, measured, timed

_TLS = httpx.create_ssl_context()


class BareServer:
    """The baseline: uvicorn.Server in a thread on a socket of our own, waited for, then asked once."""

    def __init__(self, app) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.bind(("127.0.0.1", 0))
        self.server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        while not self.server.started:
            self.thread.join(0.005)
        port = self.sock.getsockname()[1]
        with httpx.Client(verify=_TLS) as client:  # a client as cheap as the course's (a shared TLS context)
            assert client.get(f"http://127.0.0.1:{port}/hello").status_code == 200

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)
        self.sock.close()


def _bare_start_stop(app) -> float:
    server = None

    def start() -> None:
        nonlocal server
        server = BareServer(app)

    seconds = timed(start, 1)[0]
    assert server is not None
    server.stop()
    return seconds


@benchmark("server start", "server start → first 200", "same-name restart → first 200")
def server_start(context: Context):
    """serve(latest app) until GET /health answers 200; serving the same name again (stop + start)."""
    from course_lib.notebook.server import serve, stop

    repeats = max(3, context.repeats * (1 if context.quick else 2))
    hello = hello_app()
    bare = [_bare_start_stop(hello) for _ in range(repeats)]

    def course_start() -> None:
        assert serve(task_api_app, name="bench-start").get("/health").status_code == 200

    starts, restarts = [], []
    for _ in range(repeats):
        task_api_app = task_api()  # built outside the timing: the app is the learner's cell, serve() is ours
        starts += timed(course_start, 1)
        restarts += timed(course_start, 1)  # same name: stops the running one first
        stop("bench-start")

    bare_restart = []
    for _ in range(repeats):
        servers = [BareServer(hello)]

        def restart(servers=servers) -> None:
            servers[0].stop()
            servers.append(BareServer(hello))

        bare_restart += timed(restart, 1)
        servers[-1].stop()
    yield measured(
        "server start → first 200",
        starts,
        bare,
        unit="s",
        baseline_name="bare uvicorn.Server, hello app",
        goal=Goal("<=", 2.0),
    )
    yield measured(
        "same-name restart → first 200",
        restarts,
        bare_restart,
        unit="s",
        baseline_name="bare stop + start",
        goal=Goal("<=", 2.0),
    )
