"""The task API, one module per chapter that changes it: chNN_topic.create_app(settings=None).

The rule: a chapter's change is additive and local. Routers are written once per resource (routes/tasks.py,
routes/users.py) in their production form; what later chapters change goes through named seams (seams.py): where
data lives, who is calling, which tasks a list returns, what goes over the wire. A chapter module declares
`CHAPTER = Chapter(__name__, previous=..., ...)` (chapter.py) with its hooks:
- `swap_seams(seams)` swaps seams (e.g. chapter 05: the current user comes from an API key),
- `extend(app, seams)` adds routers, middleware (`app.add_middleware`), handlers and resources on `app.context`,
- `lifespan(app)` may hold resources while a server runs.
It never removes or re-registers what an earlier chapter added. build.py composes the chapters into a TaskAPI with
one typed context (context.py); every request gets one unit of work (deps.py), and the database keeps the
invariants (sql_tables.py). `python -m course_lib.taskapi describe [NN]` prints what each chapter added (describe.py).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from types import ModuleType

from course_lib.services.settings import Settings
from course_lib.taskapi.context import TaskAPI

_MODULE = re.compile(r"^ch(\d\d)_\w+$")


def chapter_modules() -> dict[int, ModuleType]:
    """Every chapter module of the task API, by chapter number."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        match = _MODULE.match(info.name)
        if match:
            found[int(match.group(1))] = importlib.import_module(f"{__name__}.{info.name}")
    return dict(sorted(found.items()))


def app_factory(chapter: int) -> Callable[[Settings | None], TaskAPI]:
    """The create_app of the task API as it stands at the end of `chapter`."""
    modules = {number: module for number, module in chapter_modules().items() if number <= chapter}
    if not modules:
        raise LookupError(f"no task API module exists for chapter {chapter} or earlier")
    return modules[max(modules)].create_app


def app_for(chapter: int, settings: Settings | None = None) -> TaskAPI:
    """A fresh task API as it stands at the end of `chapter`."""
    return app_factory(chapter)(settings)


def latest(settings: Settings | None = None) -> TaskAPI:
    """A fresh task API as it stands at the end of the course."""
    return app_for(max(chapter_modules()), settings)


__all__ = ["app_factory", "app_for", "chapter_modules", "latest"]
