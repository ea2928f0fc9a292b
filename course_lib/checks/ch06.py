"""Checks for chapter 06 — pagination, sorting, filtering."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from course_lib.notebook.exercises import Exercise, Incorrect, NotAttempted, expect_equal
from course_lib.notebook.server import serving
from course_lib.services.db import isolated_database
from course_lib.taskapi import ch06_pagination
from course_lib.taskapi.sql_storage import TaskRow, create_tables, insert_tasks

BASE = datetime(2026, 1, 1, tzinfo=UTC)
MAX_REQUESTS = 50  # a walk that needs more is going in circles

LINK_CASES = [
    ('<https://api.example.com/tasks?page=3&limit=10>; rel="next", '
     '<https://api.example.com/tasks?page=1&limit=10>; rel="first"',
     {"next": "https://api.example.com/tasks?page=3&limit=10", "first": "https://api.example.com/tasks?page=1&limit=10"}),
    ('<https://api.example.com/tasks?sort=done,-title&page=2>; rel="next", <https://api.example.com/tasks?page=9>; '
     'rel="last"',
     {"next": "https://api.example.com/tasks?sort=done,-title&page=2", "last": "https://api.example.com/tasks?page=9"}),
    ("<https://api.example.com/tasks?page=2>;rel=prev", {"prev": "https://api.example.com/tasks?page=2"}),
    ("", {}),
]


def _seed(app, count: int) -> None:
    """`count` tasks, one minute apart; every third is done."""
    tasks = app.state.storage
    list(tasks.add_many({"title": f"task {i:02d}", "done": i % 3 == 0, "created_at": BASE + timedelta(minutes=i)}
                        for i in range(count)))


def _test_link_targets(link_targets) -> None:
    app = ch06_pagination.create_app()
    _seed(app, 45)
    with serving(app) as server:
        response = server.get("/tasks?page=2&limit=10")
    live = response.headers["link"]
    got = link_targets(live)
    if not isinstance(got, dict):
        raise Incorrect("link_targets should return a dict from each rel to its URL.", expected="dict",
                        got=type(got).__name__)
    wanted = {rel: value["url"] for rel, value in response.links.items()}
    expect_equal(got, wanted, "the rels or URLs of a real Link header came out wrong.", request=f"Link: {live}")
    for header, expected in LINK_CASES:
        expect_equal(link_targets(header), expected,
                     "a Link header separates links with commas, but a URL between <...> may contain commas too; "
                     "rel may be quoted or not." if "," in header or header else "no header text means no links.",
                     request=f"Link: {header}")


q1 = Exercise(
    "ch06.q1", "Read a Link header", _test_link_targets,
    hint="Each link is <URL> followed by ;-separated parameters. Find every <...> first (a regex like "
         "r'<([^>]*)>([^<]*)'), then look for rel= in the text after it; strip the quotes.",
)


def _counting_client(base_url: str, log: list[str]) -> httpx.Client:
    def record(request: httpx.Request) -> None:
        log.append(f"{request.method} {request.url.raw_path.decode('ascii')}")
        if len(log) > MAX_REQUESTS:
            raise Incorrect(f"more than {MAX_REQUESTS} requests: your loop does not stop. Stop when a response has "
                            "no rel=\"next\" link.", request=log[-1])

    return httpx.Client(base_url=base_url, timeout=10.0, event_hooks={"request": [record]})


def _test_fetch_all(fetch_all) -> None:
    app = ch06_pagination.create_app()
    _seed(app, 45)
    with serving(app) as server:
        for path, total, pages in [("/tasks?limit=20", 45, 3), ("/tasks?done=true&limit=4&sort=title", 15, 4)]:
            expected = [item["id"] for item in server.get(path.replace("limit=20", "limit=100")
                                                                 .replace("limit=4", "limit=100")).json()]
            log: list[str] = []
            with _counting_client(server.url, log) as client:
                items = fetch_all(client, path)
            if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
                raise Incorrect("fetch_all should return a list of the task dicts of every page.",
                                request=f"GET {path}", expected="list of dicts", got=type(items).__name__)
            got = [item.get("id") for item in items]
            if len(got) != total:
                raise Incorrect(f"{path} has {total} tasks over {pages} pages; you returned {len(got)}. Follow "
                                'rel="next" until a response has none.', request=f"GET {path}", expected=total,
                                got=len(got))
            expect_equal(got, expected, "the tasks should come in the server's order, each page after the previous "
                         "one, none twice.", request=f"GET {path}")
            if len(log) != pages:
                raise Incorrect(f"{pages} requests are enough for {total} tasks: the last page is the one without "
                                'rel="next", so there is no need to ask for an empty page after it.',
                                request=" → ".join(log), expected=pages, got=len(log))


q2 = Exercise(
    "ch06.q2", "Walk every page by its links", _test_fetch_all,
    hint='Get `path`, keep response.json(), then follow response.links["next"]["url"] (httpx parses the Link '
         "header for you) while it exists.",
)


def _tied_tasks(engine) -> None:
    """40 tasks in groups of 4 created at the same instant, inserted out of time order."""
    order = [(i * 7) % 40 for i in range(40)]
    list(insert_tasks(engine, ({"title": f"t{n}", "created_at": BASE + timedelta(hours=n // 4)} for n in order)))


def _ids(session: Session, statement) -> list[int]:
    rows = session.execute(statement).all()
    return [row[0].id if isinstance(row[0], TaskRow) else row[0] for row in rows]


def _test_page_statement(page_statement) -> None:
    if page_statement(1, 10) is None:
        raise NotAttempted
    database = isolated_database()
    try:
        create_tables(database.engine)
        _tied_tasks(database.engine)
        with Session(database.engine) as session:
            everything = session.execute(select_all()).all()
            by_age = sorted(everything, key=lambda row: row.created_at, reverse=True)
            asc = [row.id for row in sorted(by_age, key=lambda row: (-row.created_at.timestamp(), row.id))]
            desc = [row.id for row in sorted(by_age, key=lambda row: (-row.created_at.timestamp(), -row.id))]
            got: list[int] = []
            for page in (1, 2, 3, 4, 5):
                statement = page_statement(page, 10)
                if not isinstance(statement, Select):
                    raise Incorrect("page_statement should return a select(...) statement, not run it.",
                                    expected="a Select", got=type(statement).__name__)
                ids = _ids(session, statement)
                wanted_len = 10 if page <= 4 else 0
                if len(ids) != wanted_len:
                    raise Incorrect(f"page {page} of 40 tasks, 10 per page, should have {wanted_len} rows.",
                                    request=f"page_statement({page}, 10)", expected=wanted_len, got=len(ids))
                got += ids
                if got != asc[:len(got)] and got != desc[:len(got)]:
                    expected = (asc if got[:1] == asc[:1] else desc)[len(got) - len(ids):len(got)]
                    why = ("the right tasks, but tied ones in no fixed order: add id to ORDER BY after created_at."
                           if sorted(ids) == sorted(expected) else
                           f"page {page} is not the next 10 tasks, newest first: check the ORDER BY (created_at "
                           "descending) and the OFFSET ((page - 1) * limit).")
                    raise Incorrect(why, request=f"page_statement({page}, 10)", expected=expected, got=ids)
        order_by = _order_by(statement)
        if not re.search(r"\bid\b", order_by.replace("created_at", "")):
            raise Incorrect("your pages came out right here, but only by luck: tasks created at the same instant "
                            "tie on created_at, and without id in ORDER BY the database may return tied rows in any "
                            "order, so a row can show up on two pages or on none.",
                            request="page_statement(1, 10)", expected="ORDER BY tasks.created_at DESC, tasks.id",
                            got=f"ORDER BY {order_by}")
    finally:
        database.drop()


def select_all():
    """Every task's id and creation time."""
    return select(TaskRow.id, TaskRow.created_at)


def _order_by(statement: Select) -> str:
    """The ORDER BY clause of a statement, as SQL text."""
    sql = str(statement.compile())
    return sql.partition("ORDER BY")[2].split("LIMIT")[0].split("OFFSET")[0].strip()


q3 = Exercise(
    "ch06.q3", "A page as SQL, with a tiebreaker", _test_page_statement,
    hint="select(TaskRow).order_by(TaskRow.created_at.desc(), TaskRow.id).offset(...).limit(...) — "
         "the offset of page p is (p - 1) * limit.",
)
