"""Requests straight into an ASGI app, one at a time, timed: no network and no client library in the measurement."""

from __future__ import annotations

import time

WARM_UP = 30  # requests before a measurement: caches filled, code paths compiled


async def asgi_call(app, method: str, path: str, headers: dict[str, str]) -> int:
    """One request straight into the ASGI app; returns its status (the body is read and dropped)."""
    status = 0
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *((k.lower().encode(), v.encode()) for k, v in headers.items())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def warm(app, path: str, headers: dict[str, str], times: int = WARM_UP) -> None:
    """`times` GETs of `path` first; RuntimeError when it does not answer 200."""
    status = 0
    for _ in range(times):
        status = await asgi_call(app, "GET", path, headers)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")


async def one_sample(app, path: str, headers: dict[str, str], requests: int) -> tuple[float, float]:
    """Microseconds per request over `requests` sequential GETs of `path`: wall-clock time, and CPU time of the
    process (worker threads included: under load, CPU is what limits requests per second)."""
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(requests):
        await asgi_call(app, "GET", path, headers)
    return (time.perf_counter() - started) / requests * 1e6, (time.process_time() - cpu) / requests * 1e6
