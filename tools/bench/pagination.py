"""Pagination: the first page vs a page 100k rows deep, by offset and by cursor (chapter 14's keyset)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from tools.bench.core import Context, Figure, Goal, benchmark, measured, timed

DEPTH = 100_000
LIMIT = 20
SORT = ("-created_at",)  # the list's default order: newest first, id breaks ties


def page_times(database, repeats: int) -> dict[str, list[float]]:
    """Seconds to read the first page and the page DEPTH rows deep, by OFFSET and by keyset, on DEPTH + LIMIT rows."""
    from course_lib.taskapi.records import TaskQuery
    from course_lib.taskapi.sql_repositories import SqlTasks
    from course_lib.taskapi.sql_seed import insert_tasks
    from course_lib.taskapi.sql_storage import CHAPTER_06
    from course_lib.taskapi.sql_tables import create_tables

    create_tables(database.engine)
    start = datetime(2026, 1, 1, tzinfo=UTC)  # one creation time per row, a millisecond apart, as real rows have
    rows = ({"title": f"task {n}", "created_at": start + timedelta(milliseconds=n)} for n in range(DEPTH + LIMIT))
    for _ in insert_tasks(database.engine, rows, 10_000):
        pass
    with Session(database.engine) as session:
        tasks = SqlTasks(session, CHAPTER_06)
        last_above = tasks.list(TaskQuery(sort=SORT, offset=DEPTH - 1, limit=1))[0]
        keyset = (last_above.created_at, last_above.id)  # what a cursor for the deep page carries

        def page(**where):
            return lambda: len(tasks.list(TaskQuery(sort=SORT, limit=LIMIT, **where))) == LIMIT or 1 / 0

        page(offset=DEPTH)()  # warm the page cache, so neither side pays the first read from disk
        return {
            "offset first": timed(page(), repeats),
            "offset deep": timed(page(offset=DEPTH), repeats),
            "cursor first": timed(page(), repeats),
            "cursor deep": timed(page(before=keyset), repeats),
        }


def cursor_figure(database_name: str, times: dict[str, list[float]]) -> Figure:
    return measured(
        f"cursor page {DEPTH // 1000}k deep ({database_name})",
        [s * 1000 for s in times["cursor deep"]],
        [s * 1000 for s in times["cursor first"]],
        unit="ms",
        baseline_name="its first page",
        goal=Goal("<=", 2.0),
        note="keyset: WHERE (created_at, id) < the cursor's, read from the index",
    )


def offset_figure(database_name: str, times: dict[str, list[float]]) -> Figure:
    return measured(
        f"offset page {DEPTH // 1000}k deep ({database_name})",
        [s * 1000 for s in times["offset deep"]],
        [s * 1000 for s in times["offset first"]],
        unit="ms",
        baseline_name="first page",
        note="offset reads and skips every row before the page; shown beside the cursor's goal",
    )


@benchmark("pagination", f"offset page {DEPTH // 1000}k deep (SQLite)", f"cursor page {DEPTH // 1000}k deep (SQLite)")
def pagination_sqlite(context: Context):
    """Offset pagination on an embedded SQLite file of DEPTH + LIMIT tasks."""
    from course_lib.services.db import isolated_database
    from course_lib.services.settings import Settings

    database = isolated_database(Settings(database_url=None))
    try:
        times = page_times(database, max(3, context.repeats))
    finally:
        database.drop()
    yield offset_figure("SQLite", times)
    yield cursor_figure("SQLite", times)


@benchmark(
    "pagination (PostgreSQL)",
    f"offset page {DEPTH // 1000}k deep (PostgreSQL)",
    f"cursor page {DEPTH // 1000}k deep (PostgreSQL)",
)
def pagination_postgresql(context: Context):
    """The same on PostgreSQL, in a schema of its own, when DATABASE_URL names one."""
    from course_lib.services.db import isolated_database
    from course_lib.services.settings import Settings

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        for kind in ("offset", "cursor"):
            yield Figure.skip(f"{kind} page {DEPTH // 1000}k deep (PostgreSQL)", "DATABASE_URL names no PostgreSQL")
        return
    database = isolated_database(Settings(database_url=url))
    try:
        times = page_times(database, max(3, context.repeats))
    finally:
        database.drop()
    yield offset_figure("PostgreSQL", times)
    yield cursor_figure("PostgreSQL", times)
