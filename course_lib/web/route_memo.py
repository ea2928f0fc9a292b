"""Answers about an app's routes, remembered per request path until the app's routes change."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")
PATHS_REMEMBERED = 1024  # answers per app, all questions together; the least recently asked go first
ATTRIBUTE = "_remembered_route_answers"  # kept on the app itself: a global table would keep every app alive


def remembered(app, question: str, key: Hashable, answer: Callable[[], T]) -> T:
    """answer() for `question` about `key` (a path, a method and path, …) on `app`, computed once per version of its
    routes: walking every route on every request was a tenth of a request's time. Apps that do not count their route
    changes (FastAPI's routers do) are asked every time."""
    version = getattr(getattr(app, "router", app), "_get_routes_version", None)
    if version is None:
        return answer()
    full_key = (question, version(), key)
    answers = vars(app).setdefault(ATTRIBUTE, OrderedDict())
    if full_key in answers:
        answers.move_to_end(full_key)
        return answers[full_key]
    result = answers[full_key] = answer()
    if len(answers) > PATHS_REMEMBERED:
        answers.popitem(last=False)
    return result
