"""The contract of a chapter: what it changes in the task API, declared as one value instead of found by reflection.

Each chapter module ends with `CHAPTER = Chapter(__name__, previous=..., swap_seams=..., extend=..., lifespan=...)`;
any other keyword (a misspelt hook) is a TypeError when the module is imported.
- swap_seams(seams) -> Seams: the seams it replaces (seams.py);
- extend(app, seams): what it adds — routers, middleware, exception handlers, resources on `app.context`;
- lifespan(app): an async context manager run while a server serves the app;
- telemetry(context) -> TelemetryConfig: FastAPI's telemetry settings, which FastAPI takes in its constructor only,
  so this hook runs before the app exists (it may set resources on the context, as extend does).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING

from course_lib.taskapi.seams import Seams

if TYPE_CHECKING:
    from fastapi.telemetry import TelemetryConfig

    from course_lib.taskapi.context import AppContext, TaskAPI

SeamSwap = Callable[[Seams], Seams]
Extension = Callable[["TaskAPI", Seams], None]
Lifespan = Callable[["TaskAPI"], AbstractAsyncContextManager[None]]
Telemetry = Callable[["AppContext"], "TelemetryConfig"]


@dataclass(frozen=True)
class Chapter:
    """One chapter's change to the task API: the chapter it builds on and its hooks (each optional)."""

    module: str  # the chapter module's __name__, e.g. course_lib.taskapi.ch02_rest
    _: KW_ONLY  # the hooks by name only
    previous: Chapter | None
    swap_seams: SeamSwap | None = None
    extend: Extension | None = None
    lifespan: Lifespan | None = None
    telemetry: Telemetry | None = None

    @property
    def number(self) -> int:
        """02 for course_lib.taskapi.ch02_rest."""
        return int(self.module.rsplit(".", 1)[-1][2:4])

    def lineage(self) -> list[Chapter]:
        """The chapters from the first one to this one."""
        chain: list[Chapter] = [self]
        while (previous := chain[-1].previous) is not None:
            chain.append(previous)
        return chain[::-1]

    def seams(self) -> Seams:
        """The seams as they stand at the end of this chapter."""
        seams = Seams()
        for chapter in self.lineage():
            if chapter.swap_seams is not None:
                seams = chapter.swap_seams(seams)
        return seams
