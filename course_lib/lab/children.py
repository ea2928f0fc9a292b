"""Child processes that die with the kernel: PR_SET_PDEATHSIG on Linux, and a stop at exit everywhere."""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

HOST = "127.0.0.1"
_PR_SET_PDEATHSIG = 1
_LIVE: set[subprocess.Popen] = set()
_RUNNING: list = []  # things with a stop(): replicas, balancers, backends (stopped last-started first)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    # The kernel sends SIGTERM to the child when the process that started it dies, even on SIGKILL (no atexit then).
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def start(command: Sequence[str], **popen) -> subprocess.Popen:
    """Start `command` as a child tied to this process: it is stopped at exit and, on Linux, when this one dies."""
    preexec = _die_with_parent if sys.platform.startswith("linux") else None
    child = subprocess.Popen(list(command), preexec_fn=preexec, **popen)
    _LIVE.add(child)
    return child


def stop(child: subprocess.Popen, timeout: float = 5.0) -> int | None:
    """SIGTERM, wait, then SIGKILL; returns the exit status (idempotent)."""
    _LIVE.discard(child)
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout)
    for stream in (child.stdout, child.stderr, child.stdin):
        if stream:
            stream.close()
    return child.returncode


def live() -> list[subprocess.Popen]:
    """The children started here and not stopped yet."""
    return [child for child in _LIVE if child.poll() is None]


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path | None = None, timeout: float = 60.0) -> None:
    """Poll `url` until it answers; RuntimeError (with the log's tail) when the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text()[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"{url} did not come up: the process exited with {process.returncode}\n{tail}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout:g} s")


def track(thing):
    """Remember `thing` (anything with stop()) so stop_everything() stops it; returns it."""
    _RUNNING.append(thing)
    return thing


def stop_everything(*_) -> None:
    """Stop every tracked thing (last started first), then any child still running: a chapter starts clean."""
    while _RUNNING:
        _RUNNING.pop().stop()
    for child in list(_LIVE):
        stop(child, timeout=2.0)


atexit.register(stop_everything)
