"""Chapter 14 — cursor pagination: newest-first lists page by a keyset on (created_at, id), behind a signed cursor.

- GET /tasks (and /users/{id}/tasks) without `page`, in the default order: the page's Link header names
  rel="next" as the same URL with `cursor=<opaque>`; the next page is the rows strictly below the last row's
  (created_at, id) — one row-value comparison that reads the index ix_tasks_created_at_id, however deep.
- The cursor is signed (HMAC-SHA256 with SECRET_KEY), bound to the list it was issued for (path, owner, filters,
  sort) and expires after CURSOR_TTL seconds. A tampered, malformed, expired or foreign cursor, or one sent together
  with `page`, is a 400 problem.
- Chapter 06's offset pages still answer `?page=N`, and every order other than newest-first: their links, the same
  X-Total-Count and the body, a JSON array of tasks, do not change. So clients that follow links keep working.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Query, Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import URL

from course_lib.services.settings import Settings
from course_lib.taskapi import ch13_orm
from course_lib.taskapi.build import build_app
from course_lib.taskapi.ch06_pagination import DoneFilter, SortDep, TextFilter, offset_pages
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import ContextDep, TaskAPI, need
from course_lib.taskapi.records import MAX_ID, Task, TaskQuery, sort_key
from course_lib.taskapi.schemas import not_null
from course_lib.taskapi.seams import Seams, TaskLister
from course_lib.taskapi.storage import TaskRepository
from course_lib.web.cursors import CursorSigner, ExpiredCursor, InvalidCursor
from course_lib.web.openapi_responses import document_responses, uses_dependency
from course_lib.web.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    TOTAL_COUNT_HEADER,
    Page,
    declared_url,
    last_page,
    link_header,
)
from course_lib.web.problems import Problem

KEYSET_ORDER = ["-created_at", "-id"]  # the order ix_tasks_created_at_id serves, read backwards
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

PageNumber = Annotated[
    int | None,
    Query(
        ge=1,
        json_schema_extra=not_null,
        description="Page number, from 1: an offset page (chapter 06). Without "
        "it, the default order (-created_at) pages by cursor and any "
        "other sort by offset from page 1. Not with `cursor` (400).",
    ),
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page, 1..{MAX_LIMIT}.")]
CursorParam = Annotated[
    str | None,
    Query(
        json_schema_extra=not_null,
        description="Where the page starts: copy it from the Link header's "
        'rel="next" URL, never build or edit it. It is valid with the '
        "filters and sort it came with, without `page`, for "
        "CURSOR_TTL seconds; otherwise 400.",
    ),
]


def cursor_position(task: Task) -> list[int]:
    """What a cursor remembers of the last row of a page: its created_at (µs since 1970) and its id."""
    return [(task.created_at - EPOCH) // timedelta(microseconds=1), task.id]


def keyset_of(position: Any) -> tuple[datetime, int]:
    """The (created_at, id) a cursor's position names; InvalidCursor for anything else."""
    if not isinstance(position, list) or len(position) != 2 or any(type(part) is not int for part in position):
        raise InvalidCursor("the cursor's position is not [microseconds, id]")
    micros, task_id = position
    if not 1 <= task_id <= MAX_ID:
        raise InvalidCursor(f"the cursor's id is outside 1..{MAX_ID}")
    try:
        return EPOCH + timedelta(microseconds=micros), task_id
    except OverflowError:
        raise InvalidCursor("the cursor's time is out of range") from None


def list_scope(url: URL, query: TaskQuery) -> str:
    """What a cursor is bound to: the list's path, whose tasks, the filters and the order."""
    return f"{url.path}?owner={query.owner_id}&done={query.done}&text={query.text}&sort={','.join(query.sort)}"


def bad_cursor(error: InvalidCursor) -> Problem:
    """400 problem details for a cursor the server will not follow."""
    kind = "expired-cursor" if isinstance(error, ExpiredCursor) else "invalid-cursor"
    return Problem(400, str(error), type=f"/problems/{kind}")


async def keyset_pages(
    request: Request,
    response: Response,
    context: ContextDep,
    sort: SortDep,
    limit: Limit = DEFAULT_LIMIT,
    page: PageNumber = None,
    cursor: CursorParam = None,
    done: DoneFilter = None,
    text: TextFilter = None,
) -> TaskLister:
    """Newest-first lists page by cursor; ?page= and other orders page by offset, as in chapter 06."""
    signer = need(context.cursors, "cursor signer", 14)

    def list_page(tasks: TaskRepository, query: TaskQuery) -> list[Task]:
        """One page after the cursor's key (or the first page), with X-Total-Count and a Link to the next."""
        query = replace(query, done=done, text=text, sort=tuple(sort_key(sort)))
        if cursor is None and (page is not None or list(query.sort) != KEYSET_ORDER):
            return offset_pages(request, response, Page(page or 1, limit), sort, done, text)(tasks, query)
        if page is not None:
            raise Problem(
                400,
                "send either cursor or page, not both: a cursor already says where the page starts",
                type="/problems/invalid-cursor",
            )
        scope = list_scope(request.url, query)
        try:
            before = None if cursor is None else keyset_of(signer.open(cursor, scope))
        except InvalidCursor as error:
            raise bad_cursor(error) from None
        total = tasks.count(query)
        rows = tasks.list(replace(query, before=before, limit=limit + 1))  # one more row says whether more exist
        found = rows[:limit]
        here = declared_url(request).remove_query_params(["cursor", "page"]).include_query_params(limit=limit)
        links: dict[str, URL] = {"first": here}
        if len(rows) > limit:
            links["next"] = here.include_query_params(cursor=signer.sign(cursor_position(found[-1]), scope))
        links["last"] = here.include_query_params(page=last_page(total, limit))  # by number: a keyset can't jump
        response.headers.update({TOTAL_COUNT_HEADER: str(total), "Link": link_header(links)})
        return found

    return list_page


def swap_seams(seams: Seams) -> Seams:
    """A list reads the page after a cursor instead of counting rows to skip."""
    return replace(seams, task_list=keyset_pages)


def extend(app: TaskAPI, seams: Seams) -> None:
    """A cursor signer with the app's secret key; 400 for a bad cursor in the contract."""
    settings = app.context.settings
    app.context.cursors = CursorSigner(settings.signing_key, ttl=settings.cursor_ttl)
    document_responses(app, cursor_errors)


def cursor_errors(path: str, route: APIRoute) -> dict[int, str]:
    """400 for every list that takes a cursor."""
    if not uses_dependency(route, keyset_pages):
        return {}
    return {400: "The cursor is malformed, tampered with, expired, made for another list, or sent with page"}


CHAPTER = Chapter(__name__, previous=ch13_orm.CHAPTER, swap_seams=swap_seams, extend=extend)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 13's API with newest-first lists paged by signed cursors; offset pages still answer ?page=."""
    return build_app(CHAPTER, settings)
