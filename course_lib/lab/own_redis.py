"""A Redis of one's own that can be stopped and started again with its data: a redis-server on a free port (RDB
saved at stop, loaded at start), or fakeredis's TCP server in a thread of this process (its data kept in memory).

For checks of what an app does while its Redis is down and after it returns: only a server you started yourself
may be stopped (REDIS_URL's is shared with everything else that runs).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import redis
from fakeredis import FakeServer, TcpFakeServer

from course_lib.lab import children
from course_lib.lab.children import HOST, free_port
from course_lib.lab.fake_redis_tcp import KeepConnection

START_TIMEOUT = 10.0  # seconds a redis-server may take to answer PING


class OwnRedis:
    """`kind` "redis-server" (the binary at `binary`) or "fakeredis"; start(), stop() keeping the data, start()
    again on the same port, close() for good."""

    def __init__(self, kind: str = "fakeredis", binary: str | None = None) -> None:
        if kind not in ("fakeredis", "redis-server"):
            raise ValueError(f"kind {kind!r}: fakeredis or redis-server")
        self.kind, self.binary, self.port = kind, binary or shutil.which("redis-server"), free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="course-own-redis-"))
        self._process: subprocess.Popen | None = None
        self._tcp: TcpFakeServer | None = None
        self._thread: threading.Thread | None = None
        self._data: FakeServer | None = None  # fakeredis: the FakeServer whose data outlives a stop

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    @property
    def describe(self) -> str:
        return "redis-server of its own" if self.kind == "redis-server" else "fakeredis TCP server of its own"

    @property
    def running(self) -> bool:
        return self._tcp is not None or (self._process is not None and self._process.poll() is None)

    def start(self) -> OwnRedis:
        """Serve on `port` (the same one after a stop); returns when it answers PING."""
        if self.running:
            return self
        if self.kind == "fakeredis":
            self._tcp = TcpFakeServer((HOST, self.port))
            self._tcp.RequestHandlerClass = KeepConnection
            self._tcp.daemon_threads = True
            if self._data is None:
                self._data = self._tcp.fake_server
            self._tcp.fake_server = self._data  # the data of before the stop
            self._thread = threading.Thread(target=self._tcp.serve_forever, args=(0.05,), daemon=True)
            self._thread.start()
        else:
            if not self.binary:
                raise RuntimeError("no redis-server binary (apt-get install redis-server)")
            folder, port = str(self.folder), str(self.port)
            command = [self.binary, "--port", port, "--bind", HOST, "--dir", folder, "--dbfilename", "dump.rdb",
                       "--save", "", "--appendonly", "no", "--logfile", "redis.log"]  # fmt: skip
            self._process = children.start(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_for_ping()
        return self

    def _wait_for_ping(self) -> None:
        client = redis.Redis(host=HOST, port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline or (self._process is not None and self._process.poll() is not None):
                        raise RuntimeError(f"{self.describe} on port {self.port} did not answer PING") from None
                    time.sleep(0.02)  # polling for readiness, bounded by START_TIMEOUT
        finally:
            client.close()

    def stop(self) -> None:
        """Stop serving, every connection closed; the data stays for the next start()."""
        if self._tcp is not None:
            self._tcp.shutdown()
            self._tcp.server_close()  # each connection's handler sees the shutdown and closes it
            self._tcp = None
        if self._process is not None:
            try:  # SHUTDOWN SAVE: the data is in dump.rdb for the next start
                redis.Redis(host=HOST, port=self.port, socket_timeout=5).shutdown(save=True)
            except redis.ConnectionError:
                pass  # the server closes the connection as it exits
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                pass
            children.stop(self._process)
            self._process = None

    def close(self) -> None:
        """Stop for good and remove its files."""
        self.stop()
        self._data = None
        shutil.rmtree(self.folder, ignore_errors=True)


def own_redis(real: bool) -> OwnRedis:
    """A redis-server of one's own when `real` (REDIS_URL is set: the run judges real services), else fakeredis;
    RuntimeError when `real` and no redis-server binary is installed."""
    if real:
        if not shutil.which("redis-server"):
            raise RuntimeError("REDIS_URL's server is not this suite's to stop, and no redis-server binary is here")
        return OwnRedis("redis-server").start()
    return OwnRedis("fakeredis").start()
