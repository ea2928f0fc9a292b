# %% [markdown]
# # Chapter 06 — Pagination, sorting, filtering
# *A list endpoint never answers "everything": it answers one page, in a stated order, of what the client asked for.*
#
# **Learning goals**
# - move the task API's storage into SQL tables without changing a route;
# - page a list with `?page=` and `?limit=`, with bounds (422 outside them) and defaults;
# - sort by a **whitelist** of keys, with `id` as the tiebreaker that makes pages stable;
# - filter (`?done=`, `?text=`) and tell the client the total and where the other pages are (`X-Total-Count`, the
#   RFC 8288 `Link` header);
# - see offset pagination's two weaknesses with your own eyes: rows duplicated or skipped when data changes between
#   page fetches, and deep pages that cost more the deeper they are.
#
# **Why it matters.** A list that returns every row works in the demo and fails in production: ten thousand tasks
# make a response of megabytes, a slow query and a client that freezes. Pagination bounds the work of every request.
# The order must be total, or the same row shows up on two pages; the sort keys must be whitelisted, or a client can
# sort by any column (including ones it must not see, or ones without an index). And the simplest scheme, `OFFSET`,
# has costs you should measure before you choose it.

# %%
from course_lib import serve, show, show_source, start_chapter, table

start_chapter(6, "Pagination, sorting, filtering")

# %% [markdown]
# ## The tasks move into a database
# Until now tasks lived in a Python dict. From this chapter on they live in SQL tables, defined with SQLAlchemy 2.0's
# typed ORM (`Mapped[...]`, `mapped_column`). The embedded default is a SQLite file; with `DATABASE_URL` set it is
# PostgreSQL. Datetimes stay timezone-aware UTC on both (the column type `UTCTimestamp`). The tasks table's columns:

# %%
from course_lib.taskapi.sql_tables import TaskColumns, TaskRow

show_source(TaskColumns, highlight_text=("ForeignKey", "UTCTimestamp"))

# %% [markdown]
# The columns are a plain class (a mixin) so that chapter 13 can map the same table again with the database's clock;
# chapter 06's mapping adds two indexes, for the orders that pages use:

# %%
show_source(TaskRow, highlight_text=("Index",))

# %% [markdown]
# The routes do not change: each still asks for a unit of work (chapter 04's seam), which now holds a database
# session, so everything a request does is one transaction. Each app gets a database of its own — a fresh SQLite
# file, or its own PostgreSQL schema — created with the app and dropped when its server stops. The chapter swaps two
# seams, storage and the task list:

# %%
from course_lib.taskapi import ch06_pagination

show_source(ch06_pagination.swap_seams)

# %% [markdown]
# Start the API, sign up a user, Ada, and give her 45 tasks created one minute apart (`task 00` is the oldest; every
# third one is done, every fifth mentions "urgent"). We write them through the repository, as a data import would:

# %%
from datetime import UTC, datetime, timedelta

from course_lib.taskapi.api_keys import sign_up

app = ch06_pagination.create_app()
api = serve(app)
ada = sign_up(api, "Ada")  # the headers of Ada's requests: her API key
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def seed_tasks(count: int, owner_id: int) -> list[dict]:
    """`count` task rows, one minute apart."""
    return [{"title": f"task {i:02d}", "done": i % 3 == 0, "description": "urgent" if i % 5 == 0 else "",
             "owner_id": owner_id, "created_at": START + timedelta(minutes=i), "updated_at": START + timedelta(minutes=i)}
            for i in range(count)]


list(app.context.storage.add_many(seed_tasks(45, owner_id=1)))
print(app.context.storage.tasks.count(), "tasks stored")
api

# %% [markdown]
# ## One page at a time
# `GET /tasks` now answers one page. Ask for three tasks:

# %%
show(api.get("/tasks?limit=3"))

# %% [markdown]
# Three things to read in that answer:
# - the **body** is still a JSON array of tasks, the same items as before — newest first, the default order;
# - **`X-Total-Count`** says how many tasks match in all;
# - **`Link`** (RFC 8288) names the URLs of the `first`, `next` and `last` pages (and `prev` when there is one), so
#   a client never builds page URLs itself. They are relative references (`</tasks?page=2&limit=20>`), which a
#   client resolves against the URL it asked for (RFC 8288 §3.1): the API never writes back the `Host` header a
#   client sent, which anyone can set and a shared cache could hand to everyone.
#
# The page parameters are a dependency: `page` from 1, `limit` from 1 to 100, defaults 1 and 20.

# %%
from course_lib.web.pagination import page_params

show_source(page_params)

# %% [markdown]
# The bounds are part of the contract: `limit=100000` would let one request read the whole table, so it is refused
# with **422**, like every value outside the bounds or of the wrong type:

# %%
bounds = []
for query in ["", "limit=100", "limit=101", "limit=0", "page=0", "page=-1", "limit=ten", "page=3&limit=20"]:
    response = api.get(f"/tasks?{query}")
    bounds.append({"query": f"?{query}", "status": response.status_code,
                   "items": len(response.json()) if response.status_code == 200 else "-"})
table(bounds)
assert [row["status"] for row in bounds] == [200, 200, 422, 422, 422, 422, 422, 200]

# %% [markdown]
# **Why 422 and not 400?** That is FastAPI's convention: every parameter that fails validation — in the path, the
# query, a header or the body — gets the same 422 with the same list of errors. RFC 9110 describes 422 as *content*
# the server understood but cannot process, which fits a request body best; for a bad query parameter many APIs answer
# **400 Bad Request** instead (Google's and Stripe's, for example). Both are defensible. What a client needs is that
# the API picks one, documents it, and keeps it; this course keeps FastAPI's.

# %% [markdown]
# A page past the end is not an error — the list is simply shorter than that; `X-Total-Count` tells the client
# why the page is empty:

# %%
show(api.get("/tasks?page=9"), headers=["x-total-count"])

# %% [markdown]
# ## Sorting: a whitelist, and `id` breaks ties
# `?sort=` takes comma-separated keys, `-` for descending: `sort=-done,title`. Only keys from a **whitelist** are
# accepted. The repository would refuse other column names anyway, but the API must say so *clearly* — never ignore an
# unknown key silently (the client would believe its list is sorted):

# %%
from course_lib.web.pagination import parse_sort

show_source(parse_sort)

# %%
show(api.get("/tasks", params={"sort": "password_hash"}))

# %% [markdown]
# Why a whitelist and not "any column"? A column name in `ORDER BY` cannot be a bound parameter, so passing it through
# invites SQL injection; sorting by a secret column leaks its order (sort users by `password_hash` and you learn which
# hashes are close); and sorting by a column without an index turns every page into a full-table sort.
#
# A sort key is rarely unique: 30 tasks share `done=false`. If several rows tie, SQL may return them in **any**
# order, and it may be a different one for page 1 and page 2 — so a row could appear on both pages, or on neither.
# The repository appends `id` to every order, which makes it total:

# %%
from course_lib.taskapi.records import TaskQuery
from course_lib.taskapi.sql_queries import task_order, task_select

show_source(task_order)

# %%
print(task_select(TaskQuery(sort=("done",), offset=10, limit=10)))

# %%
by_done = [api.get(f"/tasks?sort=done&limit=10&page={page}").json() for page in (1, 2, 3, 4, 5)]
table([{"page": number, "ids": " ".join(str(task["id"]) for task in page)}
       for number, page in enumerate(by_done, start=1)])
every_id = [task["id"] for page in by_done for task in page]
assert len(every_id) == len(set(every_id)) == 45

# %% [markdown]
# ## Filters, and links that keep them
# `?done=true` and `?text=` (title or description contains the text, ignoring case) narrow the list; the total counts
# only what matches, and every link repeats the filters and the sort, changing only `page` and `limit`:

# %%
filtered = api.get("/tasks", params={"done": "false", "text": "URGENT", "sort": "title", "limit": 2})
show(filtered, headers=["x-total-count", "link"], body=False)
[task["title"] for task in filtered.json()]

# %%
from course_lib.web.pagination import page_links

show_source(page_links)

# %% [markdown]
# ## Walking the pages
# A client follows `rel="next"` until there is none. httpx parses the `Link` header into `response.links`:
#
# ```mermaid
# flowchart LR
#     P1["page 1<br/>ids 45..26"] -->|rel=next| P2["page 2<br/>ids 25..6"] -->|rel=next| P3["page 3<br/>ids 5..1"]
#     P3 -.->|rel=first| P1
#     P1 -.->|rel=last| P3
# ```

# %%
response, walk = api.get("/tasks"), []
while True:
    walk.append({"request": f"GET {response.request.url.raw_path.decode()}",
                 "items": len(response.json()), "rels": ", ".join(response.links)})
    if "next" not in response.links:
        break
    response = api.client.get(response.links["next"]["url"])
table(walk)

# %% [markdown]
# **Why the body stays an array.** Many APIs wrap a page in an envelope, `{"items": [...], "total": 45, "page": 1}`.
# Here the page's metadata travels in headers instead (as GitHub's API does), for a reason you can check: every client
# written against chapters 04–05, which expects `GET /tasks` to answer an array, keeps working — the representation of
# the list did not change, only its length and order. An envelope is a fine design too, but switching to one later is
# a breaking change. And `HEAD /tasks` now answers "how many?" without sending a single task:

# %%
show(api.request("HEAD", "/tasks?done=true"), headers=["x-total-count"])

# %% [markdown]
# ## When data changes between pages
# An offset says "skip the first 20 rows", not "start after task 26". If the list changes between two page fetches,
# the rows shift under the client:
#
# ```mermaid
# sequenceDiagram
#     participant R as reader
#     participant API as task API
#     participant W as another client
#     R->>API: GET /tasks?limit=5 (page 1)
#     API-->>R: ids 45 44 43 42 41
#     W->>API: creates task 46 (newest: goes first)
#     R->>API: GET /tasks?limit=5&page=2
#     API-->>R: 41 again, then 40 39 38 37
# ```
#
# See it happen: we read page 1 while Ada, in another tab, creates a task.

# %%
page1 = [task["id"] for task in api.get("/tasks?limit=5").json()]
created = api.post("/tasks", json={"title": "written while someone reads"}, headers=ada)
page2 = [task["id"] for task in api.get("/tasks?limit=5&page=2").json()]
print("page 1:", page1)
print(created.status_code, "Ada created task", created.json()["id"])
print("page 2:", page2)
duplicated = sorted(set(page1) & set(page2))
print("seen twice:", duplicated)
assert duplicated == [page1[-1]]

# %% [markdown]
# Now the other way round: after we have read page 2, Ada deletes a task on it. Everything behind it moves up by one,
# and the task that was first on page 3 slips onto page 2, which we have already read — we never see it:

# %%
before = [task["id"] for task in api.get("/tasks?limit=100").json()]
page2 = [task["id"] for task in api.get("/tasks?limit=5&page=2").json()]
deleted = api.delete(f"/tasks/{page2[0]}", headers=ada)
page3 = [task["id"] for task in api.get("/tasks?limit=5&page=3").json()]
print("page 2:", page2)
print(deleted.status_code, "Ada deleted task", page2[0])
print("page 3:", page3, "   page 3 a moment ago:", before[10:15])
skipped = [task_id for task_id in before[10:15] if task_id not in page3]
print("never shown:", skipped)
assert skipped == [before[10]]

# %% [markdown]
# For a person scrolling a feed this is annoying; for a program that copies every task to another system it is a bug
# (a task copied twice, another never).
#
# ## The cursor idea
# An offset counts rows, and counting depends on every row in front of the page: one insert or delete up front and
# the count points somewhere else. A **cursor** names a position instead — "the page after the task created at 09:41
# with id 41" — and the next page is the rows that sort after that key. Because it pages by the *values* of the sort
# key, this is called **keyset pagination**:
#
# ```sql
# SELECT … FROM tasks
# WHERE (created_at, id) < (:last_created_at, :last_id)   -- after the last row the client saw
# ORDER BY created_at DESC, id DESC
# LIMIT 20
# ```
#
# A new task sorts in front of the key, so it cannot push a row onto the next page; a deleted one leaves no hole that
# others slide into. Here is the idea on a plain list of ids, newest first (the id is the sort key), with the same
# insert between two page fetches as above:

# %%
def offset_page(ids: list[int], page: int, limit: int = 5) -> list[int]:
    """Page `page` by counting: skip (page - 1) * limit ids."""
    return ids[(page - 1) * limit:page * limit]


def keyset_page(ids: list[int], after: int | None = None, limit: int = 5) -> list[int]:
    """The `limit` ids that sort after the id `after` (newest first, so: smaller ids)."""
    return [task_id for task_id in ids if after is None or task_id < after][:limit]


ids = list(range(45, 0, -1))
first_page = keyset_page(ids)
ids.insert(0, 46)  # someone creates task 46 between the two requests
cursor = first_page[-1]  # the last id the client saw
print("page 1:                    ", first_page)
print("page 2 by offset:          ", offset_page(ids, 2))
print(f"page 2 after the cursor {cursor}:", keyset_page(ids, after=cursor))
assert offset_page(ids, 2)[0] == cursor and keyset_page(ids, after=cursor)[0] == cursor - 1

# %% [markdown]
# The cursor also fixes the cost you are about to measure: an index on `(created_at, id)` lets the database jump
# straight to the key, so page 5,000 costs what page 1 costs. The price: no "jump to page 37" and no page numbers,
# only "next" (a "previous" needs a cursor of its own). In the API the cursor is an **opaque** string inside the
# `rel="next"` URL of the `Link` header — encoded and signed, so clients follow it without building or editing it.
# Chapter 14 builds exactly that.
#
# ## Deep pages cost more
# `OFFSET 99980` does not jump to row 99,980: the database walks the index in order and throws away the first
# 99,980 rows before it returns 20. The deeper the page, the more work. Measure it on a table of 100,000 tasks — a
# second app, loaded in batches of 10,000 rows (one `executemany` per batch):

# %% tags=["nbval-ignore-output"]
from tqdm import tqdm

big_app = ch06_pagination.create_app()
big_api = serve(big_app, name="big")
ROWS = 100_000


def bulk_rows(count: int):
    """Task rows, one second apart, generated lazily."""
    for i in range(count):
        moment = START + timedelta(seconds=i)
        yield {"title": f"bulk task {i:06d}", "done": i % 4 == 0, "created_at": moment, "updated_at": moment}


with tqdm(total=ROWS, unit="row") as progress:  # a progress bar: this takes a few seconds
    for inserted in big_app.context.storage.add_many(bulk_rows(ROWS), batch_size=10_000):
        progress.update(inserted - progress.n)
assert big_app.context.storage.tasks.count() == ROWS

# %% [markdown]
# Now time the same request at growing depths: `limit=20`, so page 5,000 is the last one. The client times each whole
# request over HTTP; inside it, SQLAlchemy's engine events time every statement the database runs — the page's
# `SELECT … OFFSET` and the `SELECT count(*)` behind `X-Total-Count`. Both clocks measure the *same* request, so
# its parts can never add up to more than the whole. Each depth is asked seven times, in rounds over all depths (a
# moment of load elsewhere on the machine then hits every depth alike), and the picture shows, per depth, the request
# with the median total time, split into its parts.
#
# The numbers depend on the machine and the database; the cell asserts only what holds everywhere: the last page's
# `SELECT` costs at least 5× the first page's, and it takes a larger share of its request — every request also pays
# a fixed cost (routing, JSON, the count), which on a fast index can hide the growth in the totals for a while.

# %% tags=["nbval-ignore-output"]
import statistics
import time

import matplotlib.pyplot as plt
from sqlalchemy import Engine, event

LIMIT, RUNS = 20, 7
PAGES = [1, 100, 250, 500, 1000, 2000, 3000, 4000, 5000]
statements: list[tuple[str, float]] = []  # (SQL, ms) of every statement run during the current request


def statement_started(conn, cursor, statement, parameters, context, executemany):
    conn.info.setdefault("started", []).append(time.perf_counter())


def statement_finished(conn, cursor, statement, parameters, context, executemany):
    statements.append((statement, (time.perf_counter() - conn.info["started"].pop()) * 1000))


def timed_request(page: int) -> dict:
    """One GET of `page`: its total time over HTTP, and the time of each SQL statement run inside it."""
    statements.clear()
    started = time.perf_counter()
    big_api.get(f"/tasks?page={page}&limit={LIMIT}").raise_for_status()
    total = (time.perf_counter() - started) * 1000
    count = sum(ms for sql, ms in statements if "count(" in sql.lower())
    select = sum(ms for sql, ms in statements if "count(" not in sql.lower())
    return {"total": total, "select": select, "count": count, "rest": total - select - count}


event.listen(Engine, "before_cursor_execute", statement_started)
event.listen(Engine, "after_cursor_execute", statement_finished)
try:
    samples = {page: [] for page in PAGES}
    with tqdm(total=RUNS * len(PAGES), unit="request") as progress:
        for _ in range(RUNS):
            for page in PAGES:
                samples[page].append(timed_request(page))
                progress.update()
finally:
    event.remove(Engine, "before_cursor_execute", statement_started)
    event.remove(Engine, "after_cursor_execute", statement_finished)

latency = []
for page in PAGES:
    median_request = sorted(samples[page], key=lambda sample: sample["total"])[RUNS // 2]
    latency.append({"page": page, "offset": (page - 1) * LIMIT, **median_request,
                    "median select": statistics.median(sample["select"] for sample in samples[page])})
table([{"page": row["page"], "OFFSET": row["offset"], **{f"{part} ms": f"{row[part]:.1f}" for part in
        ("total", "select", "count", "rest")}} for row in latency])

http_ratio = latency[-1]["total"] / latency[0]["total"]
sql_ratio = latency[-1]["median select"] / latency[0]["median select"]
print(f"last page / first page: {http_ratio:.0f}x for the whole request, {sql_ratio:.0f}x for its SELECT")
first_share, last_share = (row["select"] / row["total"] for row in (latency[0], latency[-1]))
print(f"the SELECT's share of the request: {first_share:.0%} on the first page, {last_share:.0%} on the last")

offsets = [row["offset"] for row in latency]
figure, axes = plt.subplots(figsize=(7, 3.5))
axes.stackplot(offsets, [row["select"] for row in latency], [row["count"] for row in latency],
               [row["rest"] for row in latency],
               labels=["SELECT … OFFSET (the page)", "SELECT count(*) (the total)", "routing, JSON, HTTP"])
axes.set_xlabel("OFFSET (rows skipped)")
axes.set_ylabel("ms (the median request)")
axes.set_title(f"Offset pagination over {ROWS:,} rows: deeper pages cost more")
axes.legend(loc="upper left")
plt.show()
assert all(min(row["select"], row["count"], row["rest"]) >= 0 for row in latency)
assert sql_ratio >= 5, f"the last page's SELECT should cost at least 5x the first's, not {sql_ratio:.1f}x"
assert last_share > first_share, f"the deep SELECT should weigh more: {last_share:.0%} vs {first_share:.0%}"

# %% [markdown]
# The cost grows with the offset: every page pays for all the pages before it. (On PostgreSQL the curve flattens
# early: once the offset is large, the planner finds sorting the whole table cheaper than walking that far along the
# index — a full-table sort for every deep page.) The first pages are cheap, which is why offset pagination looks
# fine in development; the last pages of a large table are slow, and a crawler that reads
# every page does quadratic work in all. Two ways out: cap how deep a client may go (many sites show at most page
# 100), or paginate by a **cursor** that the index can jump to directly — chapter 14 does that, and measures the
# difference on the same 100,000 rows.

# %%
big_api.stop()
print("the big table is gone:", big_app.context.storage.database.dropped)

# %% [markdown]
# ## Try it
# - Ask for `sort=-updated_at,title` and for `sort=owner_id`: which one is on the whitelist?
# - Add `&limit=7` to the walk above: how many pages now, and what does the last page's `Link` header contain?
# - Open the API's `/docs` and read how `page`, `limit`, `sort`, `done` and `text` are documented.
#
# ## Exercises

# %%
from course_lib.checks.ch06 import q1, q2, q3

# %% [markdown]
# **Exercise 1.** httpx parses `Link` headers for you, but not every client does. Write `link_targets(header)`:
# a dict from each `rel` to its URL. Careful: links are separated by commas, and a URL inside `<...>` may contain
# commas too (`?sort=done,-title`); `rel` may be quoted (`rel="next"`) or not (`rel=next`).

# %%
def link_targets(header: str) -> dict[str, str]:
    """{'next': 'https://…', 'last': 'https://…'} from an RFC 8288 Link header."""
    ### BEGIN SOLUTION
    import re

    targets = {}
    for url, params in re.findall(r"<([^>]*)>([^<]*)", header):
        rel = re.search(r'rel="?([^";,\s]+)', params)
        if rel:
            targets[rel.group(1)] = url
    return targets
    ### END SOLUTION


# %%
q1.check(link_targets)

# %% [markdown]
# **Exercise 2.** Write `fetch_all(client, path)`: every item of a paginated list, page after page, by following
# `rel="next"` links (use `response.links` or your `link_targets`). Stop at the page that has no `next` — do not ask
# for an empty page after it. The check counts your requests.

# %%
def fetch_all(client, path: str) -> list[dict]:
    """Every item of the list at `path`, following the Link header's rel="next"."""
    ### BEGIN SOLUTION
    items, response = [], client.get(path)
    while True:
        response.raise_for_status()
        items += response.json()
        if "next" not in response.links:
            return items
        response = client.get(response.links["next"]["url"])
    ### END SOLUTION


# %%
q2.check(fetch_all)

# %% [markdown]
# **Exercise 3.** Write the SQL of a page yourself: `page_statement(page, limit)` returns a `select(...)` over
# `TaskRow` with the newest tasks first, a tiebreaker so that tied rows keep one order, and the `OFFSET`/`LIMIT` of
# page `page` (pages start at 1). Return the statement; the check runs it on tasks that share creation times.

# %%
from sqlalchemy import select


def page_statement(page: int, limit: int):
    """SELECT … ORDER BY created_at DESC, <tiebreaker> LIMIT limit OFFSET (page - 1) * limit."""
    ### BEGIN SOLUTION
    return (select(TaskRow)
            .order_by(TaskRow.created_at.desc(), TaskRow.id)
            .offset((page - 1) * limit)
            .limit(limit))
    ### END SOLUTION


# %%
q3.check(page_statement)

# %% [markdown]
# ## Recap
# - A list endpoint answers one bounded page: `limit` 1..100 (default 20), `page` from 1 (default 1); outside the
#   bounds, 422 (FastAPI's convention; many APIs answer 400). A page past the end is an empty list, not an error.
# - Sort keys come from a whitelist, and an unknown one is a clear 422 — never silently ignored. `id` as the last key
#   makes the order total, so a row cannot be on two pages at once.
# - Filters narrow the list and the total; `X-Total-Count` and the RFC 8288 `Link` header (first, prev, next, last)
#   tell the client where it stands, and links carry the filters and the sort.
# - Offset pagination shifts when rows are added or removed between requests (duplicates, skips), and its cost grows
#   with the depth of the page. Both motivate cursor pagination (chapter 14).
#
# ## Going further
# - [RFC 8288, Web Linking](https://www.rfc-editor.org/rfc/rfc8288) — the `Link` header's syntax and registered
#   relation types.
# - [GitHub REST API: using pagination](https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api)
#   — a large API that pages with `Link` headers.
# - Markus Winand, [*We need tool support for keyset pagination*](https://use-the-index-luke.com/no-offset) — why
#   `OFFSET` is slow and what to use instead.
#
# ## Where this lives in course_lib
# `course_lib/web/pagination.py` (page parameters, sort whitelist, Link headers), `course_lib/taskapi/sql_tables.py`
# (the tables; their UTC column type in `sql_types.py`), `course_lib/taskapi/sql_queries.py` (a `TaskQuery` as
# WHERE, ORDER BY, OFFSET/LIMIT), `course_lib/taskapi/sql_repositories.py` and `sql_storage.py` (the repositories, the
# unit of work, the storage), `course_lib/services/db.py` (`isolated_database`: a database per app),
# `course_lib/taskapi/ch06_pagination.py` (this chapter's API), `course_lib/checks/ch06.py` (the checks).
