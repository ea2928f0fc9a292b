# %% [markdown]
# # Chapter 14 — Cursor pagination
# *An offset counts rows; a cursor names a place. Counting breaks when rows move and costs more the deeper you go;
# a place in an index is found in the same few steps wherever it is.*
#
# **Learning goals**
# - page a newest-first list by a **keyset**: the rows strictly below the last row's `(created_at, id)`, one
#   row-value comparison that the index `ix_tasks_created_at_id` answers without sorting or skipping;
# - see why the `id` **tiebreak** is not optional: rows created in the same microsecond are real;
# - hand the position to the client as an **opaque, signed cursor** (HMAC-SHA256), bound to the list it was issued
#   for and expiring after a while — and answer a tampered, malformed, expired or foreign one with a **400 problem**;
# - link to the next page with `Link: <…?cursor=…>; rel="next"`, keeping chapter 06's contract (an array body,
#   `X-Total-Count`, `?page=` still working);
# - prove the two promises: a walk during concurrent inserts sees every earlier row **exactly once** (offset pages
#   repeat rows), and at 100,000 rows the deepest page costs what the first one costs (offset pages don't).
#
# **Why it matters.** Chapter 06 measured offset pagination's two flaws and named the fix. Feeds, sync jobs and
# exports walk lists to the end while others write to them; they need a walk that neither repeats nor skips, at a
# cost that does not grow with the depth. That is why many large APIs page their long lists by cursor: Stripe
# ([`starting_after`](https://docs.stripe.com/api/pagination)), Slack
# ([`cursor`](https://api.slack.com/docs/pagination)), GitHub's GraphQL API and some of its REST endpoints
# ([`before`/`after`](https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api)) — while
# many other REST endpoints, GitHub's included, still offer page numbers.

# %%
from course_lib import serve, show, show_source, start_chapter, table

start_chapter(14, "Cursor pagination")

# %% [markdown]
# ## The same list, paged by cursor
# Chapter 14's API swaps one seam, the task list (chapter 06 filled it with offset pages):

# %%
from course_lib.taskapi import ch14_cursor_pagination

show_source(ch14_cursor_pagination.swap_seams)

# %% [markdown]
# Start it, sign Ada up, and store 45 tasks one minute apart (`task 00` the oldest), as in chapter 06:

# %%
from datetime import UTC, datetime, timedelta

from course_lib.taskapi.api_keys import sign_up

app = ch14_cursor_pagination.create_app()
api = serve(app)
ada = sign_up(api, "Ada")
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def seed_tasks(count: int, step: timedelta = timedelta(minutes=1), owner_id: int | None = 1) -> list[dict]:
    """`count` task rows of user 1's, `step` apart (a zero step: all created in the same microsecond)."""
    return [{"title": f"task {i:02d}", "done": i % 3 == 0, "owner_id": owner_id, "created_at": START + i * step,
             "updated_at": START + i * step} for i in range(count)]


list(app.context.storage.add_many(seed_tasks(45)))
first = api.get("/tasks?limit=5")
show(first, headers=["x-total-count", "link"])

# %% [markdown]
# The body is the same JSON array of tasks, newest first, and `X-Total-Count` is still there. What changed is the
# `Link` header: `rel="next"` is now this very URL plus a `cursor`. A client follows it, as chapter 06's clients
# already do:

# %%
second = api.client.get(first.links["next"]["url"])
[task["title"] for task in second.json()]

# %% [markdown]
# **Why the cursor travels in `Link`, not in the body.** Many APIs answer `{"data": [...], "next_cursor": "…"}`.
# This API's lists have been bare JSON arrays since chapter 04, with their metadata in headers since chapter 06
# (`X-Total-Count`, `Link` with first/prev/next/last). Wrapping them now would break every client written since; a
# cursor inside the `rel="next"` URL breaks none: a client that follows links (chapter 06's exercise 2) pages by
# cursor without a change, and `HEAD` still answers "how many, and where next?" without a body.
#
# The rules, all in one dependency:
# - no `page` and the default order (`-created_at`, which is `(created_at, id)` descending) → a **cursor page**;
#   `first` and `next` by cursor, `last` by page number (a keyset cannot jump to the end);
# - `?page=N`, or any other order → chapter 06's **offset page**, unchanged. Not for want of an index — chapter 13
#   gave every allowed sort one, `(title, id)` for `sort=title` — but because this cursor's key is hard-wired to
#   `(created_at, id)`: a cursor for `sort=title` would have to carry `(title, id)` and compare on it (Going
#   further). The API's contract says which orders page by cursor;
# - `cursor` together with `page` → 400: the two would name two different places.

# %%
[(url, list(api.get(url).links)) for url in ("/tasks?limit=5", "/tasks?limit=5&page=2", "/tasks?limit=5&sort=title")]

# %%
show_source(ch14_cursor_pagination.keyset_pages)

# %% [markdown]
# ## The keyset: "below the last row", in SQL
# The list is ordered by `created_at DESC, id DESC`. The next page is every row that sorts *after* the last one the
# client saw, i.e. whose pair `(created_at, id)` is smaller. SQL compares pairs directly — a **row value**, supported
# by PostgreSQL and by SQLite (since 3.15) — and the storage adds exactly that condition when a query carries a key:

# %%
from course_lib.taskapi.records import TaskQuery
from course_lib.taskapi.sql_queries import task_filters, task_select

show_source(task_filters, highlight_text=("before",))

# %%
last = second.json()[-1]
query = TaskQuery(sort=("-created_at", "-id"), limit=5, before=(datetime.fromisoformat(last["created_at"]),
                                                                 last["id"]))
print(task_select(query))

# %% [markdown]
# Both databases read that from the index `ix_tasks_created_at_id` on `(created_at, id)`: seek to the key, walk
# backwards, stop after `LIMIT` rows. No `OFFSET` to count through, no sort (a "TEMP B-TREE" in SQLite's plan):

# %% tags=["nbval-ignore-output"]
from sqlalchemy import text

engine = app.context.storage.database.engine
compiled = task_select(query).compile(engine, compile_kwargs={"literal_binds": True})
with engine.connect() as connection:
    if connection.dialect.name == "postgresql":
        for setting in ("enable_seqscan", "enable_bitmapscan"):  # 45 rows: show the plan a large table gets
            connection.execute(text(f"SET {setting} = off"))
        plan = [row[0] for row in connection.execute(text(f"EXPLAIN {compiled}"))]
    else:
        plan = [row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
print("\n".join(plan))
assert "ix_tasks_created_at_id" in " ".join(plan) and "TEMP B-TREE" not in " ".join(plan)
assert "Sort" not in " ".join(plan)

# %% [markdown]
# ## Ties are real: why `id` is in the key
# `created_at` is not unique. A bulk import, a batch job or two requests in the same microsecond give many rows one
# timestamp. A cursor that remembered only `created_at` would ask for `created_at < c` and silently drop every row
# that shares the last row's `c`. Here are 30 tasks created at one instant, paged 7 at a time; first the wrong key,
# in plain Python:

# %%
tied = [(START, task_id) for task_id in range(30, 0, -1)]  # (created_at, id), newest first: all share START


def walk_with(condition, rows, limit=7) -> list[int]:
    """Page through `rows` (newest first) by a keyset `condition(row, last)`: the ids seen."""
    seen, last = [], None
    while True:
        page = [row for row in rows if last is None or condition(row, last)][:limit]
        if not page:
            return [task_id for _, task_id in seen]
        seen, last = seen + page, page[-1]


by_time_only = walk_with(lambda row, last: row[0] < last[0], tied)
by_time_and_id = walk_with(lambda row, last: row < last, tied)  # tuples compare element by element, like SQL rows
print("created_at only:", len(by_time_only), "of 30 seen:", by_time_only)
print("(created_at, id):", len(by_time_and_id), "of 30 seen")
assert by_time_only == [30, 29, 28, 27, 26, 25, 24] and by_time_and_id == list(range(30, 0, -1))

# %% [markdown]
# The first page was right and then the walk ended: every other row has the same `created_at`, so none is "before"
# it. With `id` as the second half of the key the walk is exact. The API does the same over HTTP, with 45 tasks that
# all share one microsecond:

# %%
same_time_app = ch14_cursor_pagination.create_app()
same_time = serve(same_time_app, name="same-time")
list(same_time_app.context.storage.add_many(seed_tasks(45, step=timedelta(0), owner_id=None)))

response, walked, pages = same_time.get("/tasks?limit=7"), [], 0
while True:
    walked, pages = walked + [task["id"] for task in response.json()], pages + 1
    if "next" not in response.links:
        break
    response = same_time.client.get(response.links["next"]["url"])
print(f"{pages} pages, {len(walked)} tasks, {len(set(walked))} distinct, in order: {walked == sorted(walked)[::-1]}")
assert walked == list(range(45, 0, -1)) and pages == 7
same_time.stop()

# %% [markdown]
# ## The cursor: opaque, signed, bound, expiring
# The client must not build or edit the key itself: it would couple every client to our column names and let anyone
# ask for any position with any filters. So the server hands out a **cursor**: base64url of a small JSON payload,
# a dot, and an HMAC-SHA256 of it made with the server's `SECRET_KEY`:
#
# | in the payload | why |
# |---|---|
# | `v` | the format's version: a later format can be told apart (an unknown one is 400) |
# | `k` | the key: the last row's `created_at` in microseconds since 1970, and its `id` |
# | `s` | a digest of the list it was made for: path, owner, filters, sort |
# | `iat` | when it was issued: after `CURSOR_TTL` seconds (default 3600) it expires |

# %%
from course_lib.web.cursors import CursorSigner

show_source(CursorSigner)

# %% [markdown]
# **Where `SECRET_KEY` comes from.** Whoever holds the key can sign any cursor — and from chapter 15 on any access
# token, for any user, with any role. So the API has no default key: a default is written in the repository, and a
# key anyone can read signs for anyone. The settings refuse to start (`SecretKeyError`) when `SECRET_KEY` is missing,
# shorter than 32 bytes (HMAC-SHA256 wants a key at least as long as its 256-bit hash, RFC 7518 §3.2, drawn by a
# random generator rather than chosen by a person, RFC 8725 §3.5), or written anywhere in the course's files. Make
# one with `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'` and keep it where secrets live (the
# environment, a secrets manager), never in the code.
#
# A notebook kernel needs no such step: `start_chapter` gives the kernel a random key of its own, and the replicas
# it starts inherit it. Outside a kernel, a machine of your own says `DEVELOPMENT=1` for the same thing: a random key
# per process, so its cursors and tokens die with it. We made development an explicit switch, off unless set, so that
# a forgotten setting fails closed — a server that refuses to start, saying what to set — instead of open, a server
# signing with a key that everyone has. The key this course once shipped as a default, and a short one:

# %%
from course_lib.services.settings import SecretKeyError, Settings

for key in ["course-secret-key-change-me-in-production-0123456789", "change-me"]:
    try:
        Settings(secret_key=key)
    except SecretKeyError as refused:
        print(refused)

# %% [markdown]
# **Opaque is a promise, not a secret.** Anyone can decode the payload — it is only base64:

# %%
import base64
import json

cursor = first.links["next"]["url"].split("cursor=")[1].split("&")[0]
payload, signature = cursor.split(".")
decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
{**decoded, "iat": "<issue time>"}, f"signature: {len(signature)} characters"

# %% [markdown]
# What a client cannot do is change it. The signature covers every byte of the payload, and only a holder of the
# secret can compute a new one. The check uses `hmac.compare_digest`, which takes the same time however many leading
# characters match, so an attacker cannot find a valid signature character by character by timing the answers.
# Every way a cursor can be wrong is a **400 problem**, never a 500 (the API's "why" is in `detail`):

# %%
forged = base64.urlsafe_b64encode(json.dumps({**decoded, "k": [decoded["k"][0], 999]},
                                             separators=(",", ":")).encode()).rstrip(b"=").decode()
attempts = {
    "as issued": {"cursor": cursor, "limit": 5},
    "key edited, old signature": {"cursor": f"{forged}.{signature}", "limit": 5},
    "signature cut short": {"cursor": cursor[:-3], "limit": 5},
    "not a cursor at all": {"cursor": "give me page 9", "limit": 5},
    "10,000 characters": {"cursor": "A" * 10_000, "limit": 5},
    "another filter (done=true)": {"cursor": cursor, "limit": 5, "done": "true"},
    "with page=2": {"cursor": cursor, "limit": 5, "page": 2},
    "another user's list": {"cursor": cursor, "limit": 5, "path": "/users/1/tasks"},
}
rows = []
for what, params in attempts.items():
    path = params.pop("path", "/tasks")
    answer = api.get(path, params=params)
    problem = {} if answer.status_code == 200 else answer.json()
    rows.append({"cursor": what, "status": answer.status_code, "type": problem.get("type", "-"),
                 "detail": problem.get("detail", "the next 5 tasks")})
table(rows)
assert [row["status"] for row in rows] == [200] + [400] * 7

# %% [markdown]
# The limit may change along a walk (the cursor names a place, not a page size); the filters and the sort may not:
# a cursor made for `done=false` would find a place in a different list. Binding it to the owner's path means a
# cursor from Ada's list does not open Grace's.
#
# **Expiry.** A cursor is a position, not a bookmark: after `CURSOR_TTL` seconds it is refused with its own problem
# type, so a client knows to start again from the first page. Each page issues a fresh cursor, so the limit is on
# the time between two pages, not on the whole walk. Here, a signer whose clock we can move:

# %%
clock = [1_800_000_000.0]
app.context.cursors = CursorSigner(app.context.settings.secret_key, ttl=60, clock=lambda: clock[0])
fresh = api.get("/tasks?limit=5").links["next"]["url"]
statuses = [api.client.get(fresh).status_code]
clock[0] += 61  # a minute and a second later
stale = api.client.get(fresh)
statuses.append(stale.status_code)
statuses, stale.json()["type"], stale.json()["detail"]

# %%
app.context.cursors = CursorSigner(app.context.settings.secret_key, ttl=app.context.settings.cursor_ttl)
assert statuses == [200, 400] and stale.json()["type"] == "/problems/expired-cursor"

# %% [markdown]
# The contract says all of it: the new parameter with its rules, and the 400 as problem+json:

# %%
operation = api.get("/openapi.json").json()["paths"]["/tasks"]["get"]
cursor_parameter = next(p for p in operation["parameters"] if p["name"] == "cursor")
print(cursor_parameter["description"])
print("400:", operation["responses"]["400"]["description"], "—", list(operation["responses"]["400"]["content"]))

# %% [markdown]
# ## A walk while others write
# Chapter 06 showed one insert pushing a row onto the next page. Now a real concurrent writer: a thread that keeps
# creating tasks while a reader walks the list, 10 per page: after each page it is the writer's turn to add two
# tasks (they take turns, so the numbers below are the same on every run):
#
# ```mermaid
# sequenceDiagram
#     participant R as reader
#     participant API as task API
#     participant W as writer thread
#     R->>API: GET /tasks?limit=10
#     API-->>R: 60..51, next = cursor(51)
#     W->>API: POST /tasks (61), POST /tasks (62)
#     R->>API: GET next (after 51)
#     API-->>R: 50..41 — 61 and 62 sort before the cursor: not this walk's rows
#     Note over R,API: by offset, page 2 = rows 11..20 of the new list: 52, 51 again
# ```

# %%
import threading

import httpx

walk_app = ch14_cursor_pagination.create_app()
walk_api = serve(walk_app, name="walk")
writer_key = sign_up(walk_api, "Writer")
list(walk_app.context.storage.add_many(seed_tasks(60)))


def walk_while_writing(first_url: str) -> tuple[list[int], list[int]]:
    """Follow rel="next" from `first_url` while a writer thread adds 2 tasks between pages: (ids before, ids seen)."""
    go, written, finished = threading.Semaphore(0), threading.Semaphore(0), threading.Event()

    def write() -> None:
        with httpx.Client(base_url=walk_api.url, headers=writer_key, timeout=30) as client:
            while go.acquire() and not finished.is_set():
                for _ in range(2):
                    client.post("/tasks", json={"title": "written during the walk"}).raise_for_status()
                written.release()

    before = [task["id"] for task in walk_api.get("/tasks?limit=100").json()]
    writer = threading.Thread(target=write)
    writer.start()
    response, seen = walk_api.client.get(first_url), []
    try:
        while True:
            seen += [task["id"] for task in response.json()]
            if "next" not in response.links:
                return before, seen
            go.release()  # the writer's turn: two new tasks before the next page is asked for
            written.acquire()
            response = walk_api.client.get(response.links["next"]["url"])
    finally:
        finished.set()
        go.release()
        writer.join()


def report(before: list[int], seen: list[int]) -> dict:
    """How a walk met the rows that existed when it started."""
    old = [task_id for task_id in seen if task_id in before]
    return {"rows before": len(before), "rows seen": len(seen), "earlier rows seen": len(set(old)),
            "seen twice": len(old) - len(set(old)), "never seen": len(set(before) - set(old)),
            "new rows seen": len(seen) - len(old),
            "in order": sorted(set(old), reverse=True) == list(dict.fromkeys(old))}


# %%
cursor_before, by_cursor = walk_while_writing("/tasks?limit=10")
offset_before, by_offset = walk_while_writing("/tasks?limit=10&page=1")
cursor_walk, offset_walk = report(cursor_before, by_cursor), report(offset_before, by_offset)
table([{"walk": "by cursor", **cursor_walk}, {"walk": "by page number", **offset_walk}])
assert [task_id for task_id in by_cursor if task_id in cursor_before] == cursor_before
assert cursor_walk["seen twice"] == cursor_walk["never seen"] == cursor_walk["new rows seen"] == 0
assert offset_walk["seen twice"] >= 10
walk_api.stop()

# %% [markdown]
# The cursor walk met every task that existed when it started exactly once, in order, and none of the new ones
# (they are newer than its first page: a feed shows them on its next refresh from the top). The walk by page number
# (its `rel="next"` links, the way chapter 06 walks) saw the last two rows of every page again on the next one,
# because the two inserts pushed the whole list two rows down under it. Deletes do the opposite — rows slide up
# past the reader, never seen (chapter 06 showed one) — while a cursor, being a key and not a count, is unmoved by
# either.

# %% [markdown]
# ## Deep pages: the same cost as the first
# Chapter 06 measured `OFFSET` on 100,000 tasks: the last page's `SELECT` cost many times the first's. Now the same
# table, and four requests: the first and the deepest page (rows 99,981–100,000), each by offset (`?page=`) and by
# cursor. A real client reaches the deep cursor after 4,999 pages; we ask the API's own signer for the cursor it
# would have issued there — the key of the 99,980th row — to skip the walk.

# %% tags=["nbval-ignore-output"]
import sys

from tqdm import tqdm

from course_lib.taskapi.ch14_cursor_pagination import KEYSET_ORDER, cursor_position, list_scope

big_app = ch14_cursor_pagination.create_app()
big_api = serve(big_app, name="big")
ROWS, LIMIT = 100_000, 20


def bulk_rows(count: int):
    """Task rows, one second apart, generated lazily."""
    for i in range(count):
        moment = START + timedelta(seconds=i)
        yield {"title": f"bulk task {i:06d}", "done": i % 4 == 0, "created_at": moment, "updated_at": moment}


with tqdm(total=ROWS, unit="row", file=sys.stdout) as progress:  # stdout: progress, not an error
    for inserted in big_app.context.storage.add_many(bulk_rows(ROWS), batch_size=10_000):
        progress.update(inserted - progress.n)
newest_first = TaskQuery(sort=tuple(KEYSET_ORDER))
row_before_deep_page = big_app.context.storage.tasks.list(
    TaskQuery(sort=tuple(KEYSET_ORDER), offset=ROWS - LIMIT - 1, limit=1))[0]
deep_cursor = big_app.context.cursors.sign(cursor_position(row_before_deep_page),
                                         list_scope(httpx.URL("/tasks"), newest_first))
REQUESTS = {
    ("offset", "first"): {"page": 1, "limit": LIMIT},
    ("offset", "deep"): {"page": ROWS // LIMIT, "limit": LIMIT},
    ("cursor", "first"): {"limit": LIMIT},
    ("cursor", "deep"): {"cursor": deep_cursor, "limit": LIMIT},
}
pages = {name: big_api.get("/tasks", params=params).json() for name, params in REQUESTS.items()}
assert pages["offset", "first"] == pages["cursor", "first"] and pages["offset", "deep"] == pages["cursor", "deep"]
print("the deep pages by offset and by cursor hold the same", len(pages["cursor", "deep"]), "tasks, down to",
      pages["cursor", "deep"][-1]["title"])

# %% [markdown]
# Both ways give the same rows; now time them, two ways. **SQL time**: the very `SELECT` each request runs (the API's
# `TaskQuery` through `task_select`), executed and fetched on one connection. **Request time**: the whole `GET` over
# HTTP, which also pays for routing, JSON and the `SELECT count(*)` behind `X-Total-Count`. 21 rounds over the four
# pages (a burst of load elsewhere then hits all four alike); each SQL sample repeats its statement for 20 ms, as
# `timeit` does, and the best round counts, since load only ever adds time. The SQL clock is one a busy machine does
# not blur: on SQLite, which runs inside the kernel's own thread, that thread's CPU time; on PostgreSQL, the
# server's own `Execution Time` from `EXPLAIN ANALYZE`. The cell asserts
# ratios only: the cursor's deep `SELECT` costs at most 2× its first, the offset's more than 5× its first.

# %% tags=["nbval-ignore-output"]
import re
import statistics
import time
from dataclasses import replace

import matplotlib.pyplot as plt
from sqlalchemy import func, select

from course_lib.taskapi.sql_tables import TaskRow

RUNS = 21
deep_key = (row_before_deep_page.created_at, row_before_deep_page.id)
QUERIES = {  # what the API asks the storage for, per request (a cursor page reads one row more: is there a next?)
    ("offset", "first"): replace(newest_first, offset=0, limit=LIMIT),
    ("offset", "deep"): replace(newest_first, offset=ROWS - LIMIT, limit=LIMIT),
    ("cursor", "first"): replace(newest_first, limit=LIMIT + 1),
    ("cursor", "deep"): replace(newest_first, before=deep_key, limit=LIMIT + 1),
}


def elapsed_ms(action) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


engine = big_app.context.storage.database.engine


def per_run_ms(action, at_least_ms: float = 20) -> float:
    """Run `action` until `at_least_ms` of this thread's CPU time have passed: ms per run, as timeit does."""
    runs, started = 0, time.thread_time()
    while not runs or (time.thread_time() - started) * 1000 < at_least_ms:
        action()
        runs += 1
    return (time.thread_time() - started) * 1000 / runs


def sql_ms(connection, statement) -> float:
    """The cost of one statement, on a clock that a busy machine does not blur."""
    if engine.dialect.name == "postgresql":  # its own process: ask for its own clock, EXPLAIN ANALYZE's
        compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
        plan = "\n".join(connection.execute(text(f"EXPLAIN (ANALYZE, TIMING OFF) {compiled}")).scalars())
        return float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))
    return per_run_ms(lambda: connection.execute(statement).all())  # SQLite runs in this thread: its CPU time


samples = {name: {"sql": [], "request": []} for name in REQUESTS}
counts = []
with engine.connect() as connection:  # SQL alone first: no server thread busy beside
    for _ in tqdm(range(RUNS), unit="round", desc="SQL", file=sys.stdout):
        counts.append(sql_ms(connection, select(func.count()).select_from(TaskRow)))
        for name in REQUESTS:
            samples[name]["sql"].append(sql_ms(connection, task_select(QUERIES[name])))
for _ in tqdm(range(RUNS), unit="round", desc="HTTP", file=sys.stdout):
    for name in REQUESTS:
        request = REQUESTS[name]
        samples[name]["request"].append(elapsed_ms(lambda: big_api.get("/tasks", params=request).raise_for_status()))

# Load elsewhere on the machine only ever adds time: the best round is the query's own cost, the median a typical one.
count_ms = min(counts)
timing = {name: {"sql": min(parts["sql"]), "request": statistics.median(parts["request"])}
          for name, parts in samples.items()}
for part in timing.values():  # what is left of a request once its two SELECTs are taken out
    part["rest"] = part["request"] - part["sql"] - count_ms
table([{"pagination": way, "page": depth, "SELECT ms (best)": f"{timing[way, depth]['sql']:.3f}",
        "count(*) ms (best)": f"{count_ms:.3f}", "rest: HTTP, app, JSON ms": f"{timing[way, depth]['rest']:.1f}",
        "request ms (median)": f"{timing[way, depth]['request']:.1f}"} for way, depth in REQUESTS])
ratio = {way: timing[way, "deep"]["sql"] / timing[way, "first"]["sql"] for way in ("offset", "cursor")}
request_ratio = {way: timing[way, "deep"]["request"] / timing[way, "first"]["request"]
                 for way in ("offset", "cursor")}
print(f"deep page / first page — SELECT: offset {ratio['offset']:.1f}x, cursor {ratio['cursor']:.1f}x; "
      f"request: offset {request_ratio['offset']:.1f}x, cursor {request_ratio['cursor']:.1f}x")
first = timing["cursor", "first"]
print(f"the cursor's first page, {first['request']:.1f} ms: its SELECT {first['sql']:.2f} ms, count(*) "
      f"{count_ms:.2f} ms, the rest (HTTP, routing, middleware, JSON) {first['rest']:.1f} ms")

figure, axes = plt.subplots(figsize=(7, 3.5))
for shift, depth in ((-0.2, "first"), (0.2, "deep")):
    axes.bar([i + shift for i in range(2)], [timing[way, depth]["sql"] for way in ("offset", "cursor")],
             width=0.4, label=f"{depth} page" + (f" (rows {ROWS - LIMIT + 1:,}–{ROWS:,})" if depth == "deep" else ""))
axes.set_xticks(range(2), ["offset (?page=)", "cursor (?cursor=)"])
axes.set_ylabel("the page's SELECT, ms (best of 21)")
axes.set_title(f"First vs deepest page over {ROWS:,} rows ({engine.dialect.name})")
axes.legend()
plt.show()
assert ratio["cursor"] <= 2, f"the cursor's deep page should cost at most 2x its first, not {ratio['cursor']:.1f}x"
assert ratio["offset"] >= 5, f"the offset's deep page should cost at least 5x its first, not {ratio['offset']:.1f}x"
if engine.dialect.name == "sqlite":  # what the text below says of the embedded default
    assert first["rest"] > 2 * (first["sql"] + count_ms), "the fixed part should be most of a first page's request"

# %% [markdown]
# The cursor's deepest page is as cheap as its first: the database seeks to the key in the index (a few page reads
# of a B-tree, whatever the depth) and reads 21 rows. The offset's deepest page walks 99,980 index entries first.
# Whole requests differ less than their `SELECT`s, and the last line says why: on the embedded SQLite most of a
# request is the part that does not depend on the page at all — HTTP, routing, middleware, serializing JSON — so a
# `SELECT` that grows with the depth moves the total less than it moves itself. The `SELECT count(*)` behind
# `X-Total-Count` is a small share here. It is paid on *every* page, first or deep, and it grows with the table as
# the fixed part does not — kept because chapter 06's clients rely on it, and the first thing to drop (or cache,
# chapter 16) for a list much larger than this. With `DATABASE_URL` set, the cell runs on
# PostgreSQL: the same shape for the `SELECT`s.

# %%
big_api.stop()
print("the big table is gone:", big_app.context.storage.database.dropped)

# %% [markdown]
# ## Try it
# - In the API docs, call `GET /tasks` with `limit=2`, copy the `cursor` from the `Link` header, and call it again
#   with that cursor and `sort=title`. What does the problem's `detail` say?
# - Decode a cursor's payload (base64url) and change one digit of the id, re-encode it: which check refuses it?
# - Walk Ada's own list, `/users/1/tasks?limit=10`, by its links. Which index serves it (see `TaskRow`)?
#
# ## Exercises

# %%
from course_lib.checks.ch14 import q1, q2, q3

# %% [markdown]
# **Exercise 1.** Write the keyset condition in SQLAlchemy: `after_key(created_at, task_id)` returns the `WHERE`
# condition that keeps the `TaskRow`s coming after the row `(created_at, task_id)` in the order
# `created_at DESC, id DESC` (`TaskRow` is imported above). The check walks 40 tasks (many sharing a `created_at`)
# page by page with it.

# %%
from sqlalchemy import tuple_


def after_key(created_at: datetime, task_id: int):
    """The rows after (created_at, task_id), newest first."""
    ### BEGIN SOLUTION
    return tuple_(TaskRow.created_at, TaskRow.id) < (created_at, task_id)
    ### END SOLUTION


# %%
q1.check(after_key)

# %% [markdown]
# **Exercise 2.** The same idea in Python, where a bug in the tiebreak shows. `keyset_page(rows, after, limit)`
# gets rows as dicts with `id` and `created_at` (ISO text, which sorts like the time) in no particular order, the
# cursor's key `after` as a tuple `(created_at, id)` or `None` for the first page, and returns the next `limit` rows,
# newest first (`created_at` descending, then `id` descending). Several rows share a `created_at`.

# %%
def keyset_page(rows: list[dict], after: tuple[str, int] | None, limit: int) -> list[dict]:
    """The `limit` rows after the key `after` (or the first `limit`), newest first."""
    ### BEGIN SOLUTION
    ordered = sorted(rows, key=lambda row: (row["created_at"], row["id"]), reverse=True)
    return [row for row in ordered if after is None or (row["created_at"], row["id"]) < after][:limit]
    ### END SOLUTION


# %%
q2.check(keyset_page)

# %% [markdown]
# **Exercise 3.** Verify a cursor as the server does. A token is `payload + "." + signature`, where `payload` is
# unpadded base64url of JSON and `signature` is unpadded base64url of `HMAC-SHA256(secret, payload)` (the payload's
# base64url text, as bytes). Write `verify(token, secret)`: the decoded payload when the signature is right and the
# payload is a JSON object, else `None` — never an exception, whatever the token holds (non-ASCII too). Compare
# signatures with `hmac.compare_digest`, as bytes.

# %%
import binascii
import hashlib
import hmac


def verify(token: str, secret: str) -> dict | None:
    """The payload of a genuine token, or None."""
    ### BEGIN SOLUTION
    payload, _, signature = token.partition(".")
    expected = base64.urlsafe_b64encode(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())
    # bytes, not str: compare_digest raises TypeError on a str with a non-ASCII character
    if not hmac.compare_digest(expected.rstrip(b"="), signature.encode()):
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):
        return None
    return body if isinstance(body, dict) else None
    ### END SOLUTION


# %%
q3.check(verify)

# %% [markdown]
# ## Recap
# - A **keyset** page is "the rows after the last one I saw": `WHERE (created_at, id) < (:c, :i) ORDER BY
#   created_at DESC, id DESC LIMIT n`. One row-value comparison, which SQLite and PostgreSQL answer from the index on
#   `(created_at, id)` — the same cost on page 1 and page 5,000.
# - `id` completes the key: without it, rows that share the last row's `created_at` are skipped.
# - The position travels as an **opaque cursor**: base64url JSON + HMAC-SHA256 with the server's secret, checked
#   with `compare_digest`, bound to the list (path, owner, filters, sort), expiring after `CURSOR_TTL`. Tampered,
#   malformed, expired, foreign, or mixed with `page` → **400** problem+json, never 500.
# - The cursor rides in `Link: <…?cursor=…>; rel="next"`, so chapter 06's contract holds: an array body,
#   `X-Total-Count`, and `?page=` (and other sorts) still paging by offset.
# - Under concurrent inserts a cursor walk sees every earlier row exactly once; an offset walk repeats and misses.
# - What a cursor gives up: no "jump to page 37", no page numbers; the count, if you keep it, still costs a scan.
#
# ## Going further
# - Markus Winand, [*Paging Through Results*](https://use-the-index-luke.com/sql/partial-results/fetch-next-page)
#   and [*We need tool support for keyset pagination*](https://use-the-index-luke.com/no-offset).
# - [SQLite: row values](https://www.sqlite.org/rowvalue.html) and
#   [PostgreSQL: row constructor comparison](https://www.postgresql.org/docs/current/functions-comparisons.html#ROW-WISE-COMPARISON).
# - A `rel="prev"` cursor: the same key, the comparison and the order reversed, the page reversed back.
# - Keysets for other orders (`sort=title`): the key becomes `(title, id)`, the cursor carries a title, and the
#   seek reads the `(title, id)` index chapter 13 created.
# - [RFC 2104, HMAC](https://www.rfc-editor.org/rfc/rfc2104); chapter 15 signs tokens (JWT) the same way.
#
# ## Where this lives in course_lib
# `course_lib/taskapi/ch14_cursor_pagination.py` (the keyset lister, its links and 400s),
# `course_lib/web/cursors.py` (signed, scoped, expiring cursors), `course_lib/taskapi/sql_queries.py`
# (`task_filters`: the row-value condition), `course_lib/taskapi/sql_tables.py` (`ix_tasks_created_at_id`),
# `course_lib/taskapi/records.py`
# (`TaskQuery.before`), `course_lib/services/settings.py` (`SECRET_KEY`, `CURSOR_TTL`),
# `course_lib/checks/ch14.py` (the checks).
