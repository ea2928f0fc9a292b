"""Chapter 06 — tasks and users move to SQL; every task list pages, sorts and filters (offset pagination)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Query, Request, Response

from course_lib.services.settings import Settings
from course_lib.taskapi import ch05_api_design
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import TaskAPI
from course_lib.taskapi.records import SORT_KEYS, Task, TaskQuery
from course_lib.taskapi.schemas import NO_NUL, not_null
from course_lib.taskapi.seams import Seams, TaskLister
from course_lib.taskapi.sql_storage import SqlStorage
from course_lib.taskapi.storage import TaskRepository
from course_lib.web.pagination import PageDep, declared_url, pagination_headers, sort_dependency

SortDep = Annotated[tuple[str, ...], Depends(sort_dependency(SORT_KEYS))]
# None: the filter was left out (a query string cannot say null, so the OpenAPI does not offer it).
DoneFilter = Annotated[
    bool | None, Query(description="Only done (true) or open (false) tasks.", json_schema_extra=not_null)
]
TextFilter = Annotated[
    str | None,
    Query(
        max_length=200,
        pattern=NO_NUL,  # PostgreSQL cannot compare text with U+0000 in it: 422, never a 500
        json_schema_extra=not_null,
        description="Only tasks whose title or description contains this text, ignoring case.",
    ),
]


def swap_seams(seams: Seams) -> Seams:
    """Data moves to a SQL database, and a list answers one page at a time."""
    return replace(seams, storage=SqlStorage.for_settings, task_list=offset_pages)


def offset_pages(
    request: Request, response: Response, page: PageDep, sort: SortDep, done: DoneFilter = None, text: TextFilter = None
) -> TaskLister:
    """?page=&limit= (1..100), ?sort= from a whitelist, ?done= and ?text= filters, for any task list."""

    def list_page(tasks: TaskRepository, query: TaskQuery) -> list[Task]:
        """One page of the tasks matching `query`, with X-Total-Count and Link headers."""
        query = replace(query, done=done, text=text, sort=sort)
        total = tasks.count(query)
        response.headers.update(pagination_headers(declared_url(request), page, total))
        if page.offset >= total:  # past the end: nothing to fetch (and no OFFSET too large for the database)
            return []
        return tasks.list(replace(query, offset=page.offset, limit=page.limit))

    return list_page


CHAPTER = Chapter(__name__, previous=ch05_api_design.CHAPTER, swap_seams=swap_seams)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 05's API on a SQL database of its own, with task lists paginated, sorted and filtered."""
    return build_app(CHAPTER, settings)
