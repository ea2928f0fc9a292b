"""One TLS context per process for every outbound httpx client."""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def client_tls_context() -> ssl.SSLContext:
    """The CA bundle loaded once: httpx builds a new context per client (about 50–60 ms of CPU), even for a client
    that only ever speaks plain HTTP to loopback — the largest part of a server's start when built per app."""
    return httpx.create_ssl_context()
