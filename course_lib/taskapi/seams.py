"""The seams of the task API: the parts a chapter may swap without touching a route.

| seam | what it decides | first filled by |
|---|---|---|
| storage | where data lives (a factory of Storage) | chapter 01 (memory), 06 (SQL) |
| current_user | who is calling: a dependency giving the User (None: nobody has to say) | 01 (nobody), 05 (key) |
|  | from chapter 05 login_schemes.logged_in_by(schemes...), tried in order | 09 (session, key), 15 (bearer, …) |
| credentials_at_signup | what POST /users hands the new user to prove who it is next time | 01 (nothing), 05 (key) |
| task_list | which tasks one list request returns (and the headers saying where the rest are) | 01 (all), 06 (pages) |
| task_models, user_models | what goes over the wire | 01, 05, 07 (closed), 08 (validated) |
| conditions | conditional requests: tag a task's representation, check a write's precondition | 01 (none), 10 |
| task_access | which tasks a caller may see at all: a list's scope, one task's visibility | 01 (all), 15 (own) |

A chapter swaps a seam with `dataclasses.replace(seams, current_user=...)` in its `swap_seams`; the routers read them
when the app is built, so FastAPI sees the real dependencies and documents them in the OpenAPI.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

from course_lib.services.settings import Settings
from course_lib.taskapi.records import Task, TaskQuery, User
from course_lib.taskapi.schemas import TASK_MODELS, USER_MODELS, TaskModels, UserModels
from course_lib.taskapi.storage import MemoryStorage, Storage, TaskRepository, UnitOfWork

TaskLister = Callable[[TaskRepository, TaskQuery], list[Task]]
T = TypeVar("T")
Dependency = Callable[..., T | Awaitable[T]]  # a FastAPI dependency giving a T: plain or async, parameters injected


def nobody() -> None:
    """Who is calling, before the API asks: nobody in particular (chapter 05 replaces this)."""
    return None


def no_credentials(uow: UnitOfWork, user: User) -> dict[str, Any]:
    """Nothing extra for a new user (chapter 05 hands out an API key here)."""
    return {}


def all_tasks() -> TaskLister:
    """Every matching task, oldest first (chapter 06 replaces this with pages)."""
    return lambda tasks, query: tasks.list(replace(query, sort=("id",)))


class Conditions(Protocol):
    """Conditional requests on one task: tag() its representation (ETag), check() a write's precondition."""

    def tag(self, task: Task) -> None: ...
    def check(self, task: Task) -> None: ...


class Unconditional:
    """No validators and no preconditions: every write applies (chapter 10 replaces this)."""

    def tag(self, task: Task) -> None:
        """Nothing to add to the response."""

    def check(self, task: Task) -> None:
        """Nothing to check: the last write wins."""


def unconditional() -> Conditions:
    """The conditions of a request before the API has validators."""
    return Unconditional()


class TaskAccess(Protocol):
    """Which tasks a caller may see: scope() narrows a list, check() refuses one task (writes: the route decides)."""

    def scope(self, query: TaskQuery) -> TaskQuery: ...
    def check(self, task: Task) -> None: ...


class EveryoneReads:
    """Every task is visible to everyone; only its owner may change it (chapter 15 makes tasks private)."""

    def scope(self, query: TaskQuery) -> TaskQuery:
        """The list as asked."""
        return query

    def check(self, task: Task) -> None:
        """Nothing to refuse: reading is open."""


def everyone_reads() -> TaskAccess:
    """The task access of a request before tasks are private."""
    return EveryoneReads()


def memory_storage(settings: Settings) -> Storage:
    """Data in this process's memory."""
    return MemoryStorage()


@dataclass(frozen=True)
class Seams:
    """The swappable parts of the task API, with the defaults of its first chapters."""

    storage: Callable[[Settings], Storage] = memory_storage
    current_user: Callable[..., User | None] = nobody  # not async: routes/availability.py calls it outside FastAPI
    credentials_at_signup: Callable[[UnitOfWork, User], dict[str, Any]] = no_credentials
    task_list: Dependency[TaskLister] = all_tasks
    conditions: Dependency[Conditions] = unconditional
    task_access: Dependency[TaskAccess] = everyone_reads
    task_models: TaskModels = TASK_MODELS
    user_models: UserModels = USER_MODELS
