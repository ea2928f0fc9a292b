"""Pagination: the first page vs a page 100k rows deep, offset (now) and cursor (chapter 14's slot)."""

from __future__ import annotations

import os

from sqlalchemy.orm import Session

from tools.bench.core import Context, Figure, Goal, benchmark, measured, timed

DEPTH = 100_000
LIMIT = 20
SORT = ("-created_at",)  # the list's default order: newest first, id breaks ties


def offset_pages(database, repeats: int) -> tuple[list[float], list[float]]:
    """Seconds to read the first page and the page DEPTH rows deep with OFFSET, on a table of DEPTH + LIMIT rows."""
    from course_lib.taskapi.records import TaskQuery
    from course_lib.taskapi.sql_storage import SqlTasks, create_tables, insert_tasks

    create_tables(database.engine)
    for _ in insert_tasks(database.engine, ({"title": f"task {n}"} for n in range(DEPTH + LIMIT)), 10_000):
        pass
    with Session(database.engine) as session:
        tasks = SqlTasks(session)

        def page(offset: int):
            return lambda: len(tasks.list(TaskQuery(sort=SORT, offset=offset, limit=LIMIT))) == LIMIT or 1 / 0

        page(DEPTH)()  # warm the page cache, so neither side pays the first read from disk
        return timed(page(0), repeats), timed(page(DEPTH), repeats)


def cursor_slot(database_name: str) -> Figure:
    return Figure.skip(f"cursor page {DEPTH // 1000}k deep ({database_name})",
                       "slot: chapter 14's cursor pages are not merged yet", goal=Goal("<=", 2.0),
                       baseline_name="its first page")


def offset_figure(database_name: str, first: list[float], deep: list[float]) -> Figure:
    return measured(f"offset page {DEPTH // 1000}k deep ({database_name})", [s * 1000 for s in deep],
                    [s * 1000 for s in first], unit="ms", baseline_name="first page",
                    note="offset reads and skips every row before the page; shown beside the cursor's goal")


@benchmark("pagination", f"offset page {DEPTH // 1000}k deep (SQLite)", f"cursor page {DEPTH // 1000}k deep (SQLite)")
def pagination_sqlite(context: Context):
    """Offset pagination on an embedded SQLite file of DEPTH + LIMIT tasks."""
    from course_lib.services.db import isolated_database
    from course_lib.services.settings import Settings

    database = isolated_database(Settings(database_url=None))
    try:
        first, deep = offset_pages(database, max(3, context.repeats))
    finally:
        database.drop()
    yield offset_figure("SQLite", first, deep)
    yield cursor_slot("SQLite")


@benchmark("pagination (PostgreSQL)", f"offset page {DEPTH // 1000}k deep (PostgreSQL)",
           f"cursor page {DEPTH // 1000}k deep (PostgreSQL)")
def pagination_postgresql(context: Context):
    """The same on PostgreSQL, in a schema of its own, when DATABASE_URL names one."""
    from course_lib.services.db import isolated_database
    from course_lib.services.settings import Settings

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield Figure.skip(f"offset page {DEPTH // 1000}k deep (PostgreSQL)", "DATABASE_URL names no PostgreSQL")
        yield cursor_slot("PostgreSQL")
        return
    database = isolated_database(Settings(database_url=url))
    try:
        first, deep = offset_pages(database, max(3, context.repeats))
    finally:
        database.drop()
    yield offset_figure("PostgreSQL", first, deep)
    yield cursor_slot("PostgreSQL")
