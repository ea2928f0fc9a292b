"""Mutants of the task API: the latest app with one rule broken, to prove that a test suite can tell.

    app = mutant_app("if_match_ignored")      # the latest API, except that If-Match no longer protects a write
    MUTANTS["if_match_ignored"].breaks        # what a client would see go wrong, in one sentence
    board = Switchboard(); board.active = "if_match_ignored"   # every mutant in one app, one switched on at a time

Each mutant is built the way a chapter changes the API: one more `Chapter` on top of the latest one, whose
`swap_seams` wraps a seam (task access, conditions, the task list) around the seam it replaces. Nothing shared is
edited, and the mutant app is as fresh as `latest()`: a database of its own. A suite that passes on `real_app()` and
fails on every mutant here checks ownership, preconditions and paging; one that a mutant survives does not.
"""

# No `from __future__ import annotations`: FastAPI reads the wrappers' Depends(original) at run time, and
# `original` is a closure variable a string annotation could not name.

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import Depends, Request

from course_lib.services.settings import Settings
from course_lib.taskapi import chapter_modules
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import TaskAPI
from course_lib.taskapi.records import Task, TaskQuery
from course_lib.taskapi.seams import Conditions, Dependency, Seams, TaskAccess, TaskLister
from course_lib.taskapi.storage import TaskRepository


class _Delegate:
    """Everything the wrapped object does, except what a subclass overrides."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


# --- task access (chapter 15: a caller sees only their own tasks) ----------------------------------------------


class ReadsAnyTask(_Delegate):
    """The ownership check of one task removed: GET /tasks/{id} answers another user's task."""

    def scope(self, query: TaskQuery) -> TaskQuery:
        return self.inner.scope(query)

    def check(self, task: Task) -> None:
        """Nothing refused."""


class ListsEveryonesTasks(_Delegate):
    """A list no longer narrowed to the caller: GET /tasks shows every user's tasks."""

    def scope(self, query: TaskQuery) -> TaskQuery:
        return query

    def check(self, task: Task) -> None:
        self.inner.check(task)


Active = Callable[[], bool]  # is the mutant on? (always, or while a switchboard says so)


def wrap_access(original: Dependency[TaskAccess], mutate: Callable[[TaskAccess], TaskAccess], active: Active):
    """The task access seam, its answer wrapped by `mutate` while `active()`."""

    async def mutant_access(access: Annotated[TaskAccess, Depends(original)]) -> TaskAccess:
        return mutate(access) if active() else access

    return mutant_access


# --- conditions (chapter 10: If-Match guards every write) ------------------------------------------------------


class IfMatchIgnored(_Delegate):
    """ETags still sent, but a write never checks If-Match: no 428, no 412, the last write wins."""

    def tag(self, task: Task) -> None:
        self.inner.tag(task)

    def check(self, task: Task) -> None:
        """Nothing checked."""


class IfMatchOnlyRequired(_Delegate):
    """If-Match must be present (428 without it), but its value is never compared: a stale ETag still writes."""

    def __init__(self, inner: Conditions, if_match: str | None) -> None:
        super().__init__(inner)
        self.if_match = if_match

    def tag(self, task: Task) -> None:
        self.inner.tag(task)

    def check(self, task: Task) -> None:
        if self.if_match is None:
            self.inner.check(task)  # the real check answers 428 for a missing header


def wrap_conditions(original: Dependency[Conditions], mutate: Callable[..., Conditions], active: Active):
    """The conditions seam, its answer wrapped by `mutate(conditions, if_match)` while `active()`."""

    async def mutant_conditions(request: Request, conditions: Annotated[Conditions, Depends(original)]) -> Conditions:
        return mutate(conditions, request.headers.get("if-match")) if active() else conditions

    return mutant_conditions


# --- the task list (chapters 06 and 14: pages) -------------------------------------------------------------------


class LimitOneShort(_Delegate):
    """The query under a page asks for one row fewer than the pager says (LIMIT n - 1)."""

    def list(self, query: TaskQuery = TaskQuery()) -> list[Task]:
        if query.limit is not None:
            query = replace(query, limit=max(query.limit - 1, 0))
        return self.inner.list(query)


class BoundaryRepeated(_Delegate):
    """The next page starts at the previous page's last task instead of after it (<= where < belongs)."""

    def list(self, query: TaskQuery = TaskQuery()) -> list[Task]:
        if query.before is not None:
            created_at, task_id = query.before
            query = replace(query, before=(created_at, task_id + 1))
        return self.inner.list(query)


def wrap_tasks(original: Dependency[TaskLister], mutate: Callable[[TaskRepository], Any], active: Active):
    """The task list seam, reading through a repository wrapped by `mutate` while `active()`."""

    async def mutant_task_list(list_page: Annotated[TaskLister, Depends(original)]) -> TaskLister:
        if not active():
            return list_page
        return lambda tasks, query: list_page(mutate(tasks), query)

    return mutant_task_list


# --- the mutants --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutant:
    """One rule of the API broken: its name, what a client would see go wrong, and the seams it swaps."""

    name: str
    breaks: str
    swap_seams: Callable[[Seams, Active], Seams]


MUTANTS = {
    mutant.name: mutant
    for mutant in (
        Mutant(
            "task_readable_by_anyone",
            "the ownership check is removed from reading one task: another user's task is readable by its id",
            lambda seams, on: replace(seams, task_access=wrap_access(seams.task_access, ReadsAnyTask, on)),
        ),
        Mutant(
            "lists_show_everyones_tasks",
            "lists are no longer narrowed to the caller: a user's list shows other users' tasks",
            lambda seams, on: replace(seams, task_access=wrap_access(seams.task_access, ListsEveryonesTasks, on)),
        ),
        Mutant(
            "if_match_ignored",
            "If-Match is ignored: a write with no If-Match, or with an ETag that is no longer current, is applied",
            lambda seams, on: replace(
                seams, conditions=wrap_conditions(seams.conditions, lambda c, _: IfMatchIgnored(c), on)
            ),
        ),
        Mutant(
            "if_match_only_required",
            "If-Match is required but never compared: a write with an old ETag overwrites a newer version",
            lambda seams, on: replace(seams, conditions=wrap_conditions(seams.conditions, IfMatchOnlyRequired, on)),
        ),
        Mutant(
            "page_limit_one_short",
            "each page's query asks for one row fewer than it should (an off-by-one page bound): a page that has "
            "more after it loses its next link, so the rest of the list cannot be reached",
            lambda seams, on: replace(seams, task_list=wrap_tasks(seams.task_list, LimitOneShort, on)),
        ),
        Mutant(
            "next_page_repeats_last",
            "the next page starts at the previous page's last task instead of after it (an off-by-one page "
            "bound): walking the pages returns that task twice",
            lambda seams, on: replace(seams, task_list=wrap_tasks(seams.task_list, BoundaryRepeated, on)),
        ),
    )
}


def latest_chapter() -> Chapter:
    """The CHAPTER of the latest task API module."""
    modules = chapter_modules()
    return modules[max(modules)].CHAPTER


def mutant_app(name: str, settings: Settings | None = None) -> TaskAPI:
    """The latest task API with mutant `name`'s seams swapped on top: a fresh app with a database of its own."""
    mutant = MUTANTS[name]
    return _build(lambda seams: mutant.swap_seams(seams, lambda: True), settings)


class Switchboard:
    """One app holding every mutant, each on only while `active` names it (None: the real API), so a check builds
    one app instead of one per mutant (a build costs about 0.1 s, a served test a few ms more than on its own)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.active: str | None = None
        self.app = _build(self._swap_all, settings)

    def _swap_all(self, seams: Seams) -> Seams:
        for mutant in MUTANTS.values():
            seams = mutant.swap_seams(seams, self._is_on(mutant.name))
        return seams

    def _is_on(self, name: str) -> Active:
        return lambda: self.active == name


def _build(swap_seams: Callable[[Seams], Seams], settings: Settings | None) -> TaskAPI:
    base = latest_chapter()
    # The latest chapter's module name: the app reports the latest version (build_app reads the number from it).
    return build_app(Chapter(base.module, previous=base, swap_seams=swap_seams), settings)


def real_app(settings: Settings | None = None) -> TaskAPI:
    """The latest task API, unbroken (the same as taskapi.latest())."""
    return build_app(latest_chapter(), settings)
