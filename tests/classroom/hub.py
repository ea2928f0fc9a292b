"""A JupyterHub on loopback (deploy/jupyterhub/jupyterhub_config.py) and a learner's session driven through it."""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlparse

import httpx
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy/jupyterhub/jupyterhub_config.py"
CHP_BIN = ROOT / "build/configurable-http-proxy/node_modules/.bin/configurable-http-proxy"
START_TIMEOUT = 60.0
CELL_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, what: str) -> None:
    """Poll `predicate` until it is true; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} (after {timeout:.0f} s)")
        time.sleep(0.1)


@dataclass
class Hub:
    """A running hub: its public URL, the test service's token, the processes it started."""

    url: str
    token: str
    state: Path
    process: subprocess.Popen
    log: Path

    def api(self, method: str, path: str, token: str | None = None, **kwargs) -> httpx.Response:
        """Call the hub's REST API (/hub/api/...) as the test service, or as the owner of `token`."""
        headers = {"Authorization": f"token {token or self.token}"}
        return httpx.request(method, f"{self.url}/hub/api{path}", headers=headers, timeout=60.0, **kwargs)

    def get(self, path: str, token: str | None, **kwargs) -> httpx.Response:
        """GET a path of the hub's public URL (through the proxy), with a user's token or none."""
        headers = {"Authorization": f"token {token}"} if token else {}
        return httpx.get(f"{self.url}{path}", headers=headers, timeout=60.0, **kwargs)

    def proxy_pid(self) -> int | None:
        path = self.state / "proxy.pid"
        return int(path.read_text()) if path.exists() else None

    def stop(self) -> None:
        """Stop the hub (it stops the learners' servers and its proxy); kill the proxy if it outlived the hub."""
        proxy = self.proxy_pid()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if proxy is not None and alive(proxy):
            os.kill(proxy, signal.SIGTERM)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def start_hub(state: Path) -> Hub:
    """Start JupyterHub with the course's one-machine config on a free loopback port; wait until its API answers."""
    state.mkdir(parents=True, exist_ok=True)
    port, token = free_port(), secrets.token_hex(24)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("JUPYTER", "REDIS_URL", "DATABASE"))}
    env.update(
        COURSE_HUB_STATE=str(state),
        COURSE_HUB_PORT=str(port),
        COURSE_HUB_TEST_TOKEN=token,
        CHP_BIN=str(CHP_BIN),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        TMPDIR=str(state),  # each session's Redis folder lands here, so the test can see it gone
    )
    log = state / "jupyterhub.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(CONFIG)],
            cwd=state,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    hub = Hub(url=f"http://127.0.0.1:{port}", token=token, state=state, process=process, log=log)

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"jupyterhub exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            return hub.api("GET", "/").status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(answers, START_TIMEOUT, f"the hub did not answer:\n{log.read_text()[-3000:]}")
    except BaseException:
        hub.stop()
        raise
    return hub


@dataclass
class Session:
    """One learner on the hub: their name, a token of theirs, and their Jupyter server's API through the hub."""

    hub: Hub
    name: str
    token: str = field(repr=False)

    @property
    def prefix(self) -> str:
        return f"/user/{self.name}/"

    def get(self, path: str, **kwargs) -> httpx.Response:
        """GET `path` under this learner's server prefix, as this learner."""
        return self.hub.get(self.prefix + path.lstrip("/"), self.token, **kwargs)

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        headers = {"Authorization": f"token {self.token}"}
        return httpx.request(
            method, self.hub.url + self.prefix + path.lstrip("/"), headers=headers, timeout=60.0, **kwargs
        )

    def browser(self) -> httpx.Client:
        """A client signed in to the hub through its login form, as a learner's browser is (cookies, not a token)."""
        client = httpx.Client(base_url=self.hub.url, follow_redirects=True, timeout=60.0)
        form = client.get("/hub/login")
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text)
        assert xsrf, form.text[:500]
        signed_in = client.post("/hub/login", data={"username": self.name, "password": "any", "_xsrf": xsrf[1]})
        signed_in.raise_for_status()
        return client

    def git_pull(self, query: dict[str, str]) -> list[dict]:
        """Run nbgitpuller's sync (what its page does once the link opened it); return its events."""
        events = []
        url = f"{self.hub.url}{self.prefix}git-pull/api?{urlencode(query)}"
        with httpx.stream("GET", url, headers={"Authorization": f"token {self.token}"}, timeout=120.0) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line.removeprefix("data: ")))
        return events

    async def open_kernel(self, notebook: str, kernel: str = "backend-course") -> Kernel:
        """Start a kernel for `notebook` (a session, as JupyterLab does when it opens it) and connect to it."""
        response = await asyncio.to_thread(
            self.request,
            "POST",
            "api/sessions",
            json={"path": notebook, "type": "notebook", "name": Path(notebook).name, "kernel": {"name": kernel}},
        )
        response.raise_for_status()
        kernel_id = response.json()["kernel"]["id"]
        ws_url = urlparse(self.hub.url)._replace(scheme="ws").geturl()
        connection = await _connect(f"{ws_url}{self.prefix}api/kernels/{kernel_id}/channels", self.token)
        return Kernel(connection=connection, id=kernel_id)


async def _connect(url: str, token: str) -> WebSocketClientConnection:
    return await websocket_connect(
        HTTPRequest(url, headers={"Authorization": f"token {token}"}), max_message_size=1 << 26
    )


@dataclass
class Kernel:
    """A kernel reached over the Jupyter server's websocket (the JSON protocol JupyterLab speaks)."""

    connection: WebSocketClientConnection
    id: str
    session: str = field(default_factory=lambda: uuid.uuid4().hex)

    async def execute(self, code: str) -> tuple[str, list[dict]]:
        """Run `code`; return the reply's status and the outputs (stream, display data, results, errors)."""
        msg_id = uuid.uuid4().hex
        await self.connection.write_message(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "username": "test",
                        "session": self.session,
                        "msg_type": "execute_request",
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": {
                        "code": code,
                        "silent": False,
                        "store_history": True,
                        "user_expressions": {},
                        "allow_stdin": False,
                        "stop_on_error": True,
                    },
                    "channel": "shell",
                    "buffers": [],
                }
            )
        )
        outputs: list[dict] = []
        status, idle = None, False
        while status is None or not idle:
            raw = await asyncio.wait_for(self.connection.read_message(), CELL_TIMEOUT)
            if raw is None:
                raise ConnectionError("the kernel's websocket closed")
            message = json.loads(raw)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = message["header"]["msg_type"]
            if message["channel"] == "shell" and kind == "execute_reply":
                status = message["content"]["status"]
            elif kind == "status":
                idle = message["content"]["execution_state"] == "idle"
            elif kind in ("stream", "display_data", "execute_result", "error"):
                outputs.append({"output_type": kind, **message["content"]})
        return status, outputs

    def close(self) -> None:
        self.connection.close()
