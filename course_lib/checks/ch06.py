"""Checks for chapter 06 — pagination, sorting, filtering."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from typing import cast

import httpx
from fastapi import FastAPI, Request, Response
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from course_lib.notebook.exercises import Exercise, Incorrect, NotAttempted, expect_equal
from course_lib.notebook.server import serving
from course_lib.services.db import isolated_database
from course_lib.taskapi import ch06_pagination
from course_lib.taskapi.sql_tables import TaskRow

BASE = datetime(2026, 1, 1, tzinfo=UTC)
MAX_REQUESTS = 50  # a walk that needs more is going in circles
MAX_READS = 200  # .json() and .links reads in one walk

LINK_CASES = [
    (
        '<https://api.example.com/tasks?page=3&limit=10>; rel="next", '
        '<https://api.example.com/tasks?page=1&limit=10>; rel="first"',
        {
            "next": "https://api.example.com/tasks?page=3&limit=10",
            "first": "https://api.example.com/tasks?page=1&limit=10",
        },
    ),
    (
        '<https://api.example.com/tasks?sort=done,-title&page=2>; rel="next", <https://api.example.com/tasks?page=9>; '
        'rel="last"',
        {
            "next": "https://api.example.com/tasks?sort=done,-title&page=2",
            "last": "https://api.example.com/tasks?page=9",
        },
    ),
    ("<https://api.example.com/tasks?page=2>;rel=prev", {"prev": "https://api.example.com/tasks?page=2"}),
    ("", {}),
    # No space after the comma, and a comma inside the URL next to it.
    (
        '</items?page=2&fields=id,title>; rel="next",</items?page=1&fields=id,title>; rel="first"',
        {"next": "/items?page=2&fields=id,title", "first": "/items?page=1&fields=id,title"},
    ),
    # rel is not always the first parameter, and an unquoted rel may be followed by more parameters.
    (
        '<https://docs.example.com/paging>; type="text/html"; rel="help", '
        '<https://x.example/v2/a?cursor=Zm9v>; rel=next; title="more"',
        {"help": "https://docs.example.com/paging", "next": "https://x.example/v2/a?cursor=Zm9v"},
    ),
    # A link without rel is no target; the one after it still is.
    (
        '<https://x.example/about>; title="about", <https://x.example/b?page=7>; rel="last"',
        {"last": "https://x.example/b?page=7"},
    ),
    ('<https://x.example/b?page=1>; rel="first"', {"first": "https://x.example/b?page=1"}),
]


def _signed_up_key(server) -> str:
    """Sign up a user on `server` and return the API key its writes need."""
    response = server.post(
        "/users", json={"name": "Pat", "email": "pat@example.org", "password": "violet harbor lantern 42"}
    )
    if response.status_code != 201 or "api_key" not in response.json():
        raise RuntimeError(f"the check could not sign up on the chapter's API: {response.status_code} {response.text}")
    return response.json()["api_key"]


def _seed(server, count: int) -> None:
    """`count` tasks through the API, oldest first; every third is done."""
    headers = {"X-API-Key": _signed_up_key(server)}
    for i in range(count):
        created = server.post("/tasks", json={"title": f"task {i:02d}", "done": i % 3 == 0}, headers=headers)
        if created.status_code != 201:
            raise RuntimeError(f"the check could not create its tasks: {created.status_code} {created.text}")


def _test_link_targets(link_targets) -> None:
    with serving(ch06_pagination.create_app()) as server:
        _seed(server, 12)
        response = server.get("/tasks?page=2&limit=3&sort=done,-title")
    live = response.headers["link"]
    got = link_targets(live)
    if not isinstance(got, dict):
        raise Incorrect(
            "link_targets should return a dict from each rel to its URL.", expected="dict", got=type(got).__name__
        )
    wanted = {rel: value["url"] for rel, value in response.links.items()}
    expect_equal(got, wanted, "the rels or URLs of a real Link header came out wrong.", request=f"Link: {live}")
    for header, expected in LINK_CASES:
        expect_equal(
            link_targets(header),
            expected,
            "a Link header separates links with commas (with or without a space), but a URL between <...> "
            "may contain commas too; rel may be quoted or not, and need not be the first parameter; a link "
            "without rel has no target."
            if header
            else "no header text means no links.",
            request=f"Link: {header}",
        )


q1 = Exercise(
    "ch06.q1",
    "Read a Link header",
    _test_link_targets,
    hint="Each link is <URL> followed by ;-separated parameters. Find every <...> first (a regex like "
    "r'<([^>]*)>([^<]*)'), then look for rel= in the text after it; strip the quotes.",
)


class _WatchedResponse(httpx.Response):
    """A response that counts how often a walk reads it: a loop that never asks for the next page is caught too."""

    reads: list[int]

    def _read_once_more(self) -> None:
        self.reads[0] += 1
        if self.reads[0] > MAX_READS:
            raise Incorrect(
                f"your code read the responses more than {MAX_READS} times without finishing: the loop "
                "does not move on. Request the next page's URL, and stop when a response has no "
                'rel="next" link.',
                request=f"{self.request.method} {self.request.url.raw_path.decode()}",
            )

    def json(self, **kwargs):
        self._read_once_more()
        return super().json(**kwargs)

    @property
    def links(self):
        self._read_once_more()
        return super().links


def _counting_client(base_url: str, log: list[str]) -> httpx.Client:
    reads = [0]

    def record(request: httpx.Request) -> None:
        log.append(f"{request.method} {request.url.raw_path.decode('ascii')}")
        if len(log) > MAX_REQUESTS:
            raise Incorrect(
                f"more than {MAX_REQUESTS} requests: your loop does not stop. Stop when a response has "
                'no rel="next" link.',
                request=log[-1],
            )

    def watch(response: httpx.Response) -> None:
        response.__class__ = _WatchedResponse
        cast(_WatchedResponse, response).reads = reads

    return httpx.Client(base_url=base_url, timeout=10.0, event_hooks={"request": [record], "response": [watch]})


# (path, tasks, pages): a last page that is full (15 done tasks, 5 a page) must not be followed by an empty one.
WALKS = [
    ("/tasks?limit=20", 45, 3),
    ("/tasks?done=true&limit=4&sort=title", 15, 4),
    ("/tasks?done=true&limit=5", 15, 3),
    ("/tasks?limit=100", 45, 1),
]
CURSOR_ITEMS = [{"id": 100 + 7 * n % 23, "name": f"item {n}"} for n in range(23)]
CURSOR_PAGE = 5


def cursor_app() -> FastAPI:
    """GET /items: 23 items, 5 a page, whose next link carries an opaque cursor rather than a page number."""
    app = FastAPI()

    @app.get("/items")
    def list_items(request: Request, response: Response, after: str | None = None) -> list[dict]:
        start = int(base64.urlsafe_b64decode(after.encode()).decode().removeprefix("offset:")) if after else 0
        links = [f'<{request.url.replace(query="")}>; rel="first"']
        if start + CURSOR_PAGE < len(CURSOR_ITEMS):
            token = base64.urlsafe_b64encode(f"offset:{start + CURSOR_PAGE}".encode()).decode()
            links.append(f'<{request.url.include_query_params(after=token)}>; rel="next"')
        response.headers["Link"] = ", ".join(links)
        return CURSOR_ITEMS[start : start + CURSOR_PAGE]

    return app


def _expect_walk(fetch_all, server, path: str, expected: list, pages: int) -> None:
    log: list[str] = []
    with _counting_client(server.url, log) as client:
        items = fetch_all(client, path)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise Incorrect(
            "fetch_all should return a list of the item dicts of every page.",
            request=f"GET {path}",
            expected="list of dicts",
            got=type(items).__name__,
        )
    got = [item.get("id") for item in items]
    if len(got) != len(expected):
        raise Incorrect(
            f"{path} has {len(expected)} items over {pages} pages; you returned {len(got)}. Follow "
            'rel="next" until a response has none.',
            request=f"GET {path}",
            expected=len(expected),
            got=len(got),
        )
    expect_equal(
        got,
        expected,
        "the items should come in the server's order, each page after the previous one, none twice.",
        request=f"GET {path}",
    )
    if len(log) != pages:
        raise Incorrect(
            f"{pages} requests are enough for {len(expected)} items: the last page is the one without "
            'rel="next", so there is no need to ask for an empty page after it.',
            request=" → ".join(log),
            expected=pages,
            got=len(log),
        )


def _test_fetch_all(fetch_all) -> None:
    with serving(ch06_pagination.create_app()) as server:
        _seed(server, 45)
        for path, total, pages in WALKS:
            expected = [item["id"] for item in server.get(re.sub(r"limit=\d+", "limit=100", path)).json()]
            if len(expected) != total:
                raise RuntimeError(f"the check's own data is off: {path} has {len(expected)} tasks")
            _expect_walk(fetch_all, server, path, expected, pages)
    with serving(cursor_app()) as server:
        everything = [item["id"] for item in CURSOR_ITEMS]
        _expect_walk(fetch_all, server, "/items", everything, -(-len(CURSOR_ITEMS) // CURSOR_PAGE))


q2 = Exercise(
    "ch06.q2",
    "Walk every page by its links",
    _test_fetch_all,
    hint='Get `path`, keep response.json(), then follow response.links["next"]["url"] (httpx parses the Link '
    "header for you) while it exists.",
)


def _tied_tasks(engine) -> None:
    """40 tasks in groups of 4 created at the same instant, inserted out of time order."""
    TaskRow.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        session.add_all(
            TaskRow(title=f"t{n}", created_at=BASE + timedelta(hours=n // 4)) for n in ((i * 7) % 40 for i in range(40))
        )


def _ids(session: Session, statement) -> list[int]:
    rows = session.execute(statement).all()
    return [row[0].id if isinstance(row[0], TaskRow) else row[0] for row in rows]


# (page, limit) pairs over 40 tasks: several page sizes, a short last page, and pages past the end.
PAGES = [
    (1, 10),
    (2, 10),
    (3, 10),
    (4, 10),
    (5, 10),
    (1, 7),
    (2, 7),
    (6, 7),
    (7, 7),
    (1, 1),
    (40, 1),
    (41, 1),
    (2, 25),
    (1, 40),
]


def _test_page_statement(page_statement) -> None:
    if page_statement(1, 10) is None:
        raise NotAttempted
    database = isolated_database()
    try:
        _tied_tasks(database.engine)
        with Session(database.engine) as session:
            everything = session.execute(select_all()).all()
            # newest first; the tiebreaker may be id ascending or descending
            orders = [
                [row.id for row in sorted(everything, key=lambda row: (-row.created_at.timestamp(), sign * row.id))]
                for sign in (1, -1)
            ]
            for page, limit in PAGES:
                statement = page_statement(page, limit)
                request = f"page_statement({page}, {limit})"
                if not isinstance(statement, Select):
                    raise Incorrect(
                        "page_statement should return a select(...) statement, not run it.",
                        request=request,
                        expected="a Select",
                        got=type(statement).__name__,
                    )
                ids = _ids(session, statement)
                start = (page - 1) * limit
                wanted = [order[start : start + limit] for order in orders]
                if ids in wanted:
                    continue
                expected = wanted[0]
                why = (
                    "the right tasks, but tied ones in no fixed order: add id to ORDER BY after created_at."
                    if sorted(ids) == sorted(expected)
                    else f"page {page} of 40 tasks, {limit} per page, should be tasks {start + 1} to "
                    f"{min(start + limit, 40)} of the list newest first"
                    + (" (none: past the end)" if start >= 40 else "")
                    + ": check the ORDER BY (created_at descending), the OFFSET ((page - 1) * limit) and the "
                    "LIMIT (limit)."
                )
                raise Incorrect(why, request=request, expected=expected, got=ids)
        order_by = _order_by(page_statement(1, 10))
        if not re.search(r"\bid\b", order_by.replace("created_at", "")):
            raise Incorrect(
                "your pages came out right here, but only by luck: tasks created at the same instant "
                "tie on created_at, and without id in ORDER BY the database may return tied rows in any "
                "order, so a row can show up on two pages or on none.",
                request="page_statement(1, 10)",
                expected="ORDER BY tasks.created_at DESC, tasks.id",
                got=f"ORDER BY {order_by}",
            )
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
    "ch06.q3",
    "A page as SQL, with a tiebreaker",
    _test_page_statement,
    hint="select(TaskRow).order_by(TaskRow.created_at.desc(), TaskRow.id).offset(...).limit(...) — "
    "the offset of page p is (p - 1) * limit.",
)
