"""Chapter 16 — a Redis cache in front of the database: task reads are cache-aside, every write invalidates.

- Reads of one task and of task lists (per user, per query) come from Redis when a copy is there (a hit), else from
  the database, and the copy is kept for `cache_ttl` seconds (a miss);
- a unit of work that writes holds, before its commit, the generations of the task, its owner's lists and the list of
  all tasks, and bumps them after: the next read misses and loads the new version. Routes do nothing: the storage
  seam does it. A write Redis cannot be told about is refused with 503 + Retry-After, before it commits;
- many concurrent misses on one key load it once (a Redis lock, SET NX PX); if Redis fails, reads use the database;
- the ETag is computed from the cached task's version, so a hit answers 304 without touching the tasks table; a list
  page gets an ETag too, from the cached page (each task's id and version, and the total), so its 304 is a hit as well.
"""

import hashlib
from dataclasses import replace
from typing import Annotated, cast

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute

from course_lib.services.settings import Settings
from course_lib.taskapi import ch15_jwt_roles
from course_lib.taskapi.build import build_app
from course_lib.taskapi.cached_storage import CachedStorage, cached
from course_lib.taskapi.ch10_http_caching import FORMATS, SAFE
from course_lib.taskapi.ch12_performance import RETRY_AFTER
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import TaskAPI
from course_lib.taskapi.records import Task, TaskQuery
from course_lib.taskapi.seams import Seams, TaskLister
from course_lib.taskapi.storage import TaskRepository
from course_lib.web.conditional import strong
from course_lib.web.negotiation import representation_of
from course_lib.web.openapi_responses import document_responses, edit_openapi, operations
from course_lib.web.pagination import TOTAL_COUNT_HEADER


def list_etag(tasks: list[Task], total: str | None, media_type: str = "application/json") -> str:
    """The strong ETag of one list page: which tasks at which versions, the total, and the format of the bytes."""
    state = repr(([(task.id, task.version) for task in tasks], total)).encode()
    return strong(f"tasks-{hashlib.sha256(state).hexdigest()[:20]}-{FORMATS.get(media_type, 'json')}")


def tagged(task_list):
    """The previous list seam, its pages tagged with list_etag (chapter 10's middleware then answers 304)."""

    async def tagged_task_list(
        request: Request, response: Response, list_page: Annotated[TaskLister, Depends(task_list)]
    ) -> TaskLister:
        media_type = representation_of(request.headers)

        def tagged_page(tasks: TaskRepository, query: TaskQuery) -> list[Task]:
            found = list_page(tasks, query)
            response.headers["ETag"] = list_etag(found, response.headers.get(TOTAL_COUNT_HEADER), media_type)
            return found

        return tagged_page

    return tagged_task_list


def swap_seams(seams: Seams) -> Seams:
    """The same storage, its task reads cached in Redis; list pages carry an ETag."""
    return replace(seams, storage=cached(seams.storage), task_list=tagged(seams.task_list))


def extend(app: TaskAPI, seams: Seams) -> None:
    """The cache beside the storage, for notebooks and tests to look into (hits, misses, loads); its 503 documented."""
    cache = app.context.cache = cast(CachedStorage, app.context.storage).cache
    app.context.at_stop(cache.clear)  # an app of its own drops its copies at stop (or exit, if never served)
    document_responses(app, cache_unavailable)
    edit_openapi(app, retry_after_on_cache_503)


CACHE_DOWN = "The cache (Redis) is unreachable, so the write could not invalidate it: nothing was written (Retry-After)"


def cache_unavailable(path: str, route: APIRoute) -> dict[int, str]:
    """503 for every route that writes tasks: it is refused when Redis cannot hear of the write."""
    return {503: CACHE_DOWN} if "/tasks" in path and not (route.methods or set()) <= SAFE else {}


def retry_after_on_cache_503(schema: dict) -> None:
    """Each such 503 says when to retry."""
    for operation in operations(schema):
        answer = operation.get("responses", {}).get("503")
        if answer is not None and answer.get("description") == CACHE_DOWN:
            answer.setdefault("headers", RETRY_AFTER)


CHAPTER = Chapter(__name__, previous=ch15_jwt_roles.CHAPTER, swap_seams=swap_seams, extend=extend)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 15's API with task reads cached in Redis and invalidated on every write."""
    return build_app(CHAPTER, settings)
