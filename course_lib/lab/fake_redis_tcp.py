"""fakeredis' TcpFakeServer, fit for RQ and Celery workers: a Redis on 127.0.0.1 served from a thread of this process.

fakeredis 2.40's request handler closes the connection after any error reply (an unknown command, NOSCRIPT before
redis-py's EVAL fallback, an error inside MULTI): a client then loses a transaction half-way. This handler replies
with the error and keeps the connection, as redis-server does.
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
    """TcpFakeServer's handler, but an error reply keeps the connection."""

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
            except ConnectionError:
                break
            except Exception as error:  # what fakeredis does with anything else: reply, then close
                self.writer.dump(error)
                break


@contextmanager
def serve() -> Iterator[str]:
    """A TcpFakeServer on a free port of 127.0.0.1 for the `with` block; its redis:// URL."""
    server = TcpFakeServer((HOST, 0), server_type="redis")
    server.RequestHandlerClass = KeepConnection
    # A connection's thread may sit in a blocking command (BLPOP) for minutes: closing must not wait for it.
    server.daemon_threads, server.block_on_close = True, False
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
            server = TcpFakeServer((HOST, 0), server_type="redis")
            server.RequestHandlerClass = KeepConnection
            server.daemon_threads, server.block_on_close = True, False
            threading.Thread(target=server.serve_forever, name="fake-redis-tcp", daemon=True).start()
            _SHARED.append(f"redis://{HOST}:{server.server_address[1]}/0")
        return _SHARED[0]
