"""The one-line start of every chapter: stop old servers, reset state, say which backends are live."""

from __future__ import annotations

from collections.abc import Callable

from course_lib.notebook import server
from course_lib.services.settings import Settings, get_settings, use_kernel_key

JOBS = 17  # from this chapter on the API runs background jobs: the backends line says who runs them
_RESETS: list[Callable[[Settings], None]] = []


def on_reset(reset: Callable[[Settings], None]) -> Callable[[Settings], None]:
    """Register a function that clears some state (a database, a cache) when a chapter starts."""
    if reset not in _RESETS:
        _RESETS.append(reset)
    return reset


def start_chapter(number: int, title: str) -> None:
    """Stop every server of this kernel, clear registered state, print the chapter and its backends."""
    server.stop()
    use_kernel_key()  # a kernel is a machine of your own: a random key for it, none to configure
    get_settings.cache_clear()
    settings = get_settings()
    for reset in _RESETS:
        reset(settings)
    print(f"Chapter {number:02d} — {title}")
    print(settings.describe(jobs=number >= JOBS))
