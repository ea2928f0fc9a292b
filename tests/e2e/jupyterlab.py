"""Start JupyterLab the way `make lab` does — loopback, a token, the course's settings — in throwaway folders."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a first-time learner: an empty HOME and Jupyter folders, no service URLs."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("JUPYTER", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local/share/jupyter"),
        JUPYTER_RUNTIME_DIR=str(home / ".local/share/jupyter/runtime"),
        IPYTHONDIR=str(home / ".ipython"),
        COURSE_PROGRESS_FILE=str(home / "progress.json"),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@dataclass
class JupyterLab:
    """A running Jupyter server: its URL, token and process."""

    url: str
    token: str
    process: subprocess.Popen
    log: Path

    def get(self, path: str, **kwargs) -> httpx.Response:
        """GET `path` (relative to the server root, base URL included) with the token."""
        headers = {"Authorization": f"token {self.token}", **kwargs.pop("headers", {})}
        return httpx.get(self.url + path, headers=headers, timeout=30.0, **kwargs)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_lab(root_dir: Path, home: Path, base_url: str = "/", env: dict[str, str] | None = None) -> JupyterLab:
    """Start `jupyter lab` on a free loopback port with a random token, serving `root_dir`; wait until it answers."""
    port, token = free_port(), secrets.token_hex(24)
    log = home / "jupyterlab.log"
    home.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--no-browser",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        f"--ServerApp.base_url={base_url}",
        "--ServerApp.port_retries=0",
    ]
    if os.geteuid() == 0:  # CI containers run as root; Jupyter refuses that unless told
        command.append("--allow-root")
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env or isolated_env(home), stdout=out, stderr=subprocess.STDOUT, cwd=root_dir
        )
    lab = JupyterLab(url=f"http://127.0.0.1:{port}{base_url.rstrip('/')}", token=token, process=process, log=log)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if lab.get("/api/status").status_code == 200:
                return lab
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            lab.stop()
            raise RuntimeError(f"jupyter lab did not answer within {START_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
