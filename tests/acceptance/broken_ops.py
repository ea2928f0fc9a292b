"""Deliberately broken task APIs for checks 17, 19 and 20 (checks_ops.py): each the finished API with one classic
mistake of running it, for test_mutants.py to prove the check about that mistake fails on it.

Each is a factory `uvicorn --factory` can start (settings → app, None: from the environment), so the checks name it
as `tests.acceptance.broken_ops:<name>`.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from course_lib.services.settings import KNOWN_KEYS, Settings
from course_lib.taskapi import latest

PUBLIC_KEY = sorted(KNOWN_KEYS)[0]  # the key the docs show


def default_secret(settings: Settings | None = None) -> Any:
    """No SECRET_KEY: the key from the docs (the classic `os.getenv("SECRET_KEY", "change-me")`)."""
    if settings is None and not os.environ.get("SECRET_KEY"):
        settings = _unchecked(PUBLIC_KEY)
    return latest(settings)


def any_secret(settings: Settings | None = None) -> Any:
    """Whatever SECRET_KEY says, even a key written in the repository (no check of the key it signs with)."""
    key = os.environ.get("SECRET_KEY")
    if settings is None and key:
        settings = _unchecked(os.environ.pop("SECRET_KEY"))
    return latest(settings)


def _unchecked(key: str) -> Settings:
    """Settings signing with `key`, past the check that refuses it: DEVELOPMENT switched on, the key copied in (a
    copy is not validated); the settings the app reads again elsewhere then start too."""
    os.environ["DEVELOPMENT"] = "1"
    return Settings().model_copy(update={"secret_key": key})


class _Layer:
    """An ASGI layer around the finished app (its attributes, such as .context, pass through)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)


class _TrustsRealIp(_Layer):
    """The client address taken from X-Real-IP whoever sent it (a header nginx passes on as the client wrote it)."""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            claimed = dict(scope["headers"]).get(b"x-real-ip")
            if claimed:
                scope = {**scope, "client": (claimed.decode(errors="replace"), 0)}
        await self.app(scope, receive, send)


def trusts_x_real_ip(settings: Settings | None = None) -> Any:
    return _TrustsRealIp(latest(settings))


class _ExitsOnSigterm(_Layer):
    """At startup, SIGTERM made to exit at once ("clean up and quit"), over the server's graceful shutdown: whatever
    request is in flight is dropped."""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":

            async def startup_then_exit_handler():
                message = await receive()
                if message["type"] == "lifespan.startup":
                    try:
                        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
                    except ValueError:  # not the main thread (the suite's in-process server): nothing to replace
                        pass
                return message

            await self.app(scope, startup_then_exit_handler, send)
            return
        await self.app(scope, receive, send)


def drops_in_flight_on_sigterm(settings: Settings | None = None) -> Any:
    return _ExitsOnSigterm(latest(settings))
