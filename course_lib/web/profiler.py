"""?profile=1: one request run under pyinstrument, its report answered instead — for an admin, when the setting is on.

A profile shows the server's code paths and timings to whoever reads it, and every profiled request costs the
sampling: it is for the operator, never for any caller. So the middleware exists only when PROFILING is set (off by
default), and profiles only a request that `is_admin` accepts; any other ?profile=1 is served as if it were absent.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from pyinstrument import Profiler


def add_profiler(app: FastAPI, enabled: bool, is_admin: Callable[[Request], bool]) -> None:
    """Profile a request that carries ?profile=1 when `enabled` and `is_admin(request)`; serve the rest as usual."""
    if not enabled:
        return

    @app.middleware("http")
    async def profile(request: Request, call_next):
        """?profile=1 from an admin: run the request under pyinstrument and answer its report as text instead."""
        if request.query_params.get("profile") != "1" or not is_admin(request):
            return await call_next(request)
        with Profiler(interval=0.001, async_mode="enabled") as profiler:
            await call_next(request)
        report = profiler.output_text(unicode=True, color=False, show_all=False)
        return PlainTextResponse(report, headers={"Cache-Control": "no-store"})


def bearer_is(key: str) -> Callable[[Request], bool]:
    """An admin check for an app without users: the request sends `Authorization: Bearer <key>`."""
    expected = f"Bearer {key}".encode()
    return lambda request: hmac.compare_digest(request.headers.get("authorization", "").encode(), expected)
