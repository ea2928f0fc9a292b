"""A server process for the load benchmarks: `python -m tools.bench.target hello|taskapi CPU` prints its port.

It pins itself to CPU (the load generator takes another), binds 127.0.0.1 on a free port with IPPROTO_TCP (so
asyncio sets TCP_NODELAY: without it every keep-alive response waits ~40 ms), and ends with its parent.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import sys

import uvicorn

from tools.bench.apps import APPS


def die_with_parent() -> None:
    """Ask Linux to SIGTERM this process when its parent dies (PR_SET_PDEATHSIG), so no server outlives a run."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except OSError:
        pass


def main(kind: str, cpu: int | None) -> None:
    die_with_parent()
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(APPS[kind](), log_config=None, access_log=False, lifespan="auto")
    server = uvicorn.Server(config)
    print(sock.getsockname()[1], flush=True)
    server.run(sockets=[sock])


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] != "-" else None)
