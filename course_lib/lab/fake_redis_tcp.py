"""fakeredis' TcpFakeServer, fit for RQ and Celery workers: a Redis on 127.0.0.1 served from a thread of this process.

fakeredis 2.40's request handler departs from Redis twice: it closes the connection after any error reply (an unknown
command, NOSCRIPT before redis-py's EVAL fallback, an error inside MULTI), so a client loses a transaction half-way;
and it writes CLIENT INFO's addresses as Python tuples, whose space breaks redis-py's parser (RQ's worker asks at
start). This handler replies with the error and keeps the connection, and writes addresses as host:port, as
redis-server does. Chapter 22's workers and the acceptance suite's own Redis (own_redis.py) both use it.
"""

from __future__ import annotations

import select
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from fakeredis import TcpFakeServer
from fakeredis._clients._tcp_server import _POLL_INTERVAL, TCPFakeRequestHandler
from redis.exceptions import ResponseError

HOST = "127.0.0.1"


class KeepConnection(TCPFakeRequestHandler):
    """TcpFakeServer's handler, but an error reply keeps the connection and CLIENT INFO parses."""

    def setup(self) -> None:
        super().setup()
        info = self.current_client.get_socket()._client_info
        for name in ("addr", "laddr"):
            if isinstance(info.get(name), tuple):
                info[name] = "{}:{}".format(*info[name][:2])

    def handle(self) -> None:
        while not self.server._shutdown_event.is_set():
            try:
                if self.current_client.can_read():
                    self.writer.dump(self.current_client.read_response())
                    continue
                data = self.rfile.readline()
                if data == b"":  # nothing yet, or the peer closed: select() tells which (as fakeredis does)
                    readable, _, _ = select.select([self.connection], [], [], _POLL_INTERVAL)
                    if not readable:
                        continue
                    data = self.rfile.readline()
                    if data == b"":
                        break
                self.current_client.get_socket().sendall(data)
            except ResponseError as error:
                self.writer.dump(error)
            except (ConnectionError, OSError):
                break
            except Exception as error:  # what fakeredis does with anything else: reply, then close
                self.writer.dump(error)
                break


def tcp_server(port: int = 0) -> TcpFakeServer:
    """A TcpFakeServer on 127.0.0.1 with the handler above, not yet serving."""
    server = TcpFakeServer((HOST, port), server_type="redis")
    server.RequestHandlerClass = KeepConnection
    # A connection's thread may sit in a blocking command (BLPOP) for minutes: closing must not wait for it.
    server.daemon_threads, server.block_on_close = True, False
    return server


@contextmanager
def serve() -> Iterator[str]:
    """A TcpFakeServer on a free port of 127.0.0.1 for the `with` block; its redis:// URL."""
    server = tcp_server()
    thread = threading.Thread(target=server.serve_forever, name="fake-redis-tcp", daemon=True)
    thread.start()
    try:
        yield f"redis://{HOST}:{server.server_address[1]}/0"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


_SHARED: list[str] = []
_SHARED_LOCK = threading.Lock()


def shared_url() -> str:
    """One TcpFakeServer for this process's life (its thread dies with the process): clients that cache connections,
    as Celery's app does, keep working when a notebook is run again."""
    with _SHARED_LOCK:
        if not _SHARED:
            server = tcp_server()
            threading.Thread(target=server.serve_forever, name="fake-redis-tcp", daemon=True).start()
            _SHARED.append(f"redis://{HOST}:{server.server_address[1]}/0")
        return _SHARED[0]
