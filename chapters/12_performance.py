# %% [markdown]
# # Chapter 12 — Performance
# *Measure first. A backend spends its time waiting — on the network, on the database, on one core — and each kind of
# waiting has its own cure: a timeout, one query instead of a hundred, an index, `await`, another process.*
#
# **Learning goals**
# - know the orders of magnitude by measurement: a dict lookup, a database query, a call over the loopback, a call
#   to a slow service, a burst of CPU work;
# - call another service within a **deadline** (not only httpx's per-phase timeouts), and turn each way it fails
#   into the right answer: **504** when it is too slow, **503** + `Retry-After` when it is down, **502** when its
#   answer is unusable — never a 500;
# - spot an **N+1** query pattern by counting statements, and remove it with a JOIN or an `IN (...)` query;
# - read a query plan (`EXPLAIN`) with and without an **index**, and time the difference;
# - choose `async def` or `def` for a handler by what it waits on, and move **CPU work** off the event loop (a thread
#   keeps the loop free; only a process gets past the GIL);
# - find where a slow route spends its time with a **profiler** (pyinstrument).
#
# **Why it matters.** "It's slow" is never a diagnosis. A request that takes 800 ms may be waiting on a partner's
# API, running 200 small queries, scanning a table, or starving behind another request that holds the event loop.
# Each has a different fix, and the wrong fix (a cache, more servers) hides the cause until traffic grows. So this
# chapter measures everything it claims, and asserts the ratios, not the absolute numbers: your machine is faster or
# slower than ours, the ratios hold.

# %%
from course_lib import serve, show, show_source, start_chapter, table

start_chapter(12, "Performance")

# %% [markdown]
# ## The hierarchy of waiting, measured
# The classic latency table (L1 cache 1 ns … a packet across the ocean 150 ms) becomes, for a backend: memory, then
# the database, then the network, then somebody else's slow service. CPU work sits wherever its size puts it. We
# measure five things, each the median of several runs:
#
# - a **dict lookup** (memory),
# - a **database query** by primary key (SQLite in this process, or PostgreSQL over a socket with `DATABASE_URL`),
# - an **HTTP call over the loopback** to a second server in this kernel that answers at once,
# - an **HTTP call to a slow dependency** — the same server, asked to take 50 ms, as a partner's API might,
# - **CPU work**: counting primes below 20,000 in pure Python.
#
# The second server is the chapter's *dependency*: a calendar service whose latency and failures we set from the
# notebook (`course_lib/lab/slow_service.py`).

# %%
from course_lib.lab.slow_service import CalendarService

calendar = CalendarService(latency=0.0)
dependency = serve(calendar.app, name="calendar")
calendar

# %%
import time

from course_lib.lab.task_owners import seed
from course_lib.lab.timing import hierarchy_of_waiting, median_seconds, with_factors
from course_lib.services.db import isolated_database
from course_lib.taskapi.sql_tables import create_tables

scratch = isolated_database()  # a database of its own for the measurements: SQLite file or a PostgreSQL schema
create_tables(scratch.engine)
seed(scratch.engine, owners=200)
show_source(hierarchy_of_waiting)

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt

hierarchy = hierarchy_of_waiting(scratch.engine, dependency.url)
table(with_factors(hierarchy, chain=4))  # CPU work is beside the chain, not a step of it

figure, axes = plt.subplots(figsize=(7, 2.8))
axes.barh(list(hierarchy), [seconds * 1e6 for seconds in hierarchy.values()], color="#4c72b0")
axes.set_xscale("log")
axes.invert_yaxis()
axes.set_xlabel("µs (log scale)")
axes.set_title("Where a request's time can go")
plt.show()
memory, database, loopback, slow = list(hierarchy.values())[:4]
query_to_http = 1 if scratch.engine.dialect.name == "postgresql" else 2  # a PostgreSQL query is a loopback trip too
assert memory * 100 < database and database * query_to_http < loopback and loopback * 5 < slow, hierarchy

# %% [markdown]
# The steps are not even — the last column says by how much each one costs more than the one before. From memory to
# the database is the biggest jump (about a thousand times on SQLite in this process; a PostgreSQL query over a
# socket is further still), then each step is a few times to some tens of times the previous one; the cell asserts
# at least ×100, ×2 and ×5, measured in turns so that it holds on a busy laptop too. On PostgreSQL the query is itself
# a round trip over the loopback, so it asserts only that the HTTP call costs more: what HTTP adds is parsing and the
# framework. The lesson is not the exact numbers — an SSD, a remote
# database or a busy laptop shift them — but where to look first: a route that calls another service waits longer
# than everything else it does put together, so that call needs a **deadline** before anything else.

# %% [markdown]
# ## An outbound call, within a deadline
# Chapter 12's API gains one route that depends on another service: `GET /users/{id}/availability` asks the calendar
# service when the user is busy. Its URL and the deadline come from the settings (`CALENDAR_URL`,
# `CALENDAR_TIMEOUT`). Without a URL the route calls an **embedded calendar** in the same process (an ASGI app
# reached through `httpx.ASGITransport`), as SQLite stands in for PostgreSQL and fakeredis for Redis: on the embedded
# defaults every route answers, and the call still goes through the same client, deadline and failure mapping.
#
# ```mermaid
# sequenceDiagram
#     participant C as client
#     participant A as task API
#     participant D as database
#     participant K as calendar service
#     C->>A: GET /users/1/availability
#     A->>D: does user 1 exist? (connection returned at once)
#     A->>K: GET /calendars/1 (deadline 0.5 s for the whole answer)
#     alt answers in time, JSON
#         K-->>A: 200 busy slots
#         A-->>C: 200 busy slots
#     else no answer within 0.5 s
#         A-->>C: 504 Gateway Timeout
#     else refused / 5xx
#         A-->>C: 503 + Retry-After
#     else answer not usable
#         A-->>C: 502 Bad Gateway
#     end
# ```

# %%
from course_lib.taskapi import ch12_performance
from course_lib.taskapi.routes import availability

show_source(availability.router, highlight_text=("timeout", "get_json", "calendar_url"))

# %% [markdown]
# The route first asks who is calling, as every read of `/users` does from chapter 05 on: without credentials it is
# a 401 before any lookup, so nobody anonymous can make the API call another service on their behalf. It is
# `async def`: while it waits for the calendar it holds no thread, and — the comment says why — no
# database connection either. A connection held across a slow call is a connection fifty other requests cannot use.
# The call itself goes through one pooled `httpx.AsyncClient` the chapter opens in its lifespan, and `get_json` maps
# every failure to a status:

# %%
from course_lib.web.outbound import fetch, get_json, status_for

show_source(status_for)

# %%
show_source(get_json)

# %% [markdown]
# httpx's `timeout=0.5` is **per phase**: 0.5 s to connect, 0.5 s for *each* read, 0.5 s for each write, 0.5 s to get
# a connection from the pool. A dependency that sends its answer one byte at a time, each within 0.5 s, is never cut
# off by it. So `fetch` puts a deadline around the whole call, body included (`anyio.fail_after`; in plain asyncio,
# `asyncio.timeout`), and stops reading an answer longer than a cap — the memory is this server's:

# %%
show_source(fetch, highlight_text=("fail_after", "read_capped"))

# %% [markdown]
# Why these three? RFC 9110 defines 502 and 504 for a server "acting as a gateway or proxy" (a gateway, §3.7, is an
# intermediary that acts as the origin server for requests it forwards), and 503 for any server that cannot answer
# for now. Our API is not a gateway in that sense: it is the origin server, and the calendar is one of its
# dependencies. Using the same three for a dependency's failure is a widespread **convention**, chosen because each
# tells the client something true about retrying:
#
# | what happened | status | what the client learns |
# |---|---|---|
# | no answer in time | **504 Gateway Timeout** (§15.6.5) | the dependency is slow; an instant retry adds load |
# | refused, reset, 5xx, 429 | **503 Service Unavailable** (§15.6.4) + `Retry-After` | temporary: come back in N s |
# | an answer we cannot use | **502 Bad Gateway** (§15.6.3) | the dependency misbehaves; retrying will not help |
#
# A 500 would say "this server has a bug", which is false, and tells the client nothing about retrying. And
# without a timeout at all, a dependency that hangs makes every request that touches it hang too — until the
# client, the proxy and the server each run out of patience, threads or connections.

# %%
from course_lib.services.settings import Settings

settings = Settings(calendar_url=dependency.url, calendar_timeout=0.5)
api = serve(ch12_performance.create_app(settings))
ada = {"X-API-Key": api.post("/users", json={"name": "Ada", "email": "ada@example.org",
                                            "password": "violet harbor lantern 42"}).json()["api_key"]}
api.client.headers.update(ada)  # like every read of /users, availability is for callers who say who they are
show(api.get("/users/1/availability"))

# %% [markdown]
# Now the calendar gets slow: 2 s per answer, four times the API's deadline. The API gives up at 0.5 s:

# %%
calendar.latency = 2.0
started = time.perf_counter()
too_slow = api.get("/users/1/availability")
waited = time.perf_counter() - started
show(too_slow)
assert too_slow.status_code == 504 and waited < 1.5, waited  # the deadline bounded the wait, not the dependency

# %% [markdown]
# And the case per-phase timeouts miss: the calendar answers at once, but trickles its 176-byte answer one byte
# every 0.05 s (about 9 s in all). Every read is quick; the whole is not. The deadline still ends it at 0.5 s:

# %% tags=["nbval-ignore-output"]
calendar.latency, calendar.mode = 0.05, "trickle"
started = time.perf_counter()
trickled = api.get("/users/1/availability")
waited = time.perf_counter() - started
show(trickled)
print(f"answered {trickled.status_code} after {waited:.2f} s")
assert trickled.status_code == 504 and waited < 1.5, waited

# %% [markdown]
# Down (it answers 503 itself), then answering an HTML maintenance page with 200, then gone altogether:

# %%
calendar.latency, calendar.mode = 0.0, "error"
show(api.get("/users/1/availability"), headers=["retry-after", "content-type"])

# %%
calendar.mode = "garbage"
show(api.get("/users/1/availability"), headers=["content-type"])

# %%
from course_lib.taskapi.api_keys import sign_up

calendar.mode = "ok"
unplugged = serve(ch12_performance.create_app(Settings(calendar_url="http://127.0.0.1:9", calendar_timeout=0.5)),
                  name="unplugged")  # port 9 (discard): nothing listens there, the connection is refused
unplugged.client.headers.update(sign_up(unplugged, "Bob"))
embedded = serve(ch12_performance.create_app(), name="embedded-calendar")  # CALENDAR_URL not set
embedded.client.headers.update(sign_up(embedded, "Cy"))
table([{"case": case, "status": response.status_code, "Retry-After": response.headers.get("retry-after", ""),
        "detail": response.json().get("detail", "")}
       for case, response in [("calendar answers", api.get("/users/1/availability")),
                              ("no such user", api.get("/users/99/availability")),
                              ("connection refused", unplugged.get("/users/1/availability")),
                              ("no CALENDAR_URL: the embedded calendar", embedded.get("/users/1/availability"))]])

# %% [markdown]
# The contract says so too — each failure documented as problem+json, the 503 with its header:

# %%
responses = api.get("/openapi.json").json()["paths"]["/users/{user_id}/availability"]["get"]["responses"]
{status: (responses[status]["description"], list(responses[status].get("headers", {})))
 for status in ("502", "503", "504")}

# %% [markdown]
# **Choosing the timeout.** Take the dependency's normal latency at a high percentile (p99) and add margin; keep it
# below the timeout of whoever calls *you* (a proxy's 60 s, a browser's patience), or your 504 arrives after the
# client has left. httpx's default is 5 s for each of connect, read, write and pool; `requests` has **no** default
# timeout at all — the most common cause of a backend that "hangs forever".

# %% [markdown]
# ## N+1 queries vs eager loading
# The most common performance bug in code that uses an ORM reads as innocent Python: load a page of tasks, then for
# each task, its owner. One statement for the page, then one per owner: **1 + N**. Here it is, with the two eager
# forms beside it — one JOIN, or the page and then all its owners in one `IN (...)` query (what SQLAlchemy's
# `selectinload` does for a relationship; chapter 13 declares those):

# %%
from course_lib.lab import task_owners

show_source(task_owners.owners_one_by_one)

# %%
show_source(task_owners.owners_by_join)

# %%
show_source(task_owners.owners_in_one_query)

# %% [markdown]
# To see the statements, count them: SQLAlchemy fires `before_cursor_execute` for every statement an engine sends.

# %%
from course_lib.services.query_counter import counting_statements

show_source(counting_statements)

# %% tags=["nbval-ignore-output"]
from sqlalchemy.orm import Session

FORMS = {"N+1 (one by one)": task_owners.owners_one_by_one, "JOIN": task_owners.owners_by_join,
         "IN (...) query": task_owners.owners_in_one_query}
answers, counts = {}, {}
for name, form in FORMS.items():
    with Session(scratch.engine) as session, counting_statements(scratch.engine) as statements:
        answers[name] = form(session, limit=50)
    counts[name] = statements.count
print(statements.sql)
assert answers["N+1 (one by one)"] == answers["JOIN"] == answers["IN (...) query"]  # the same rows, every form
counts

# %% [markdown]
# 51 statements for a page of 50 tasks with 50 different owners, against 1 and 2. (With one user in the test data
# the bug hides: the session's identity map can hand back an owner it still holds without a query. Production has
# many users.) What it costs, at growing page sizes:

# %% tags=["nbval-ignore-output"]
SIZES = [10, 50, 100, 200]
timings = {name: [] for name in FORMS}
for size in SIZES:
    for name, form in FORMS.items():
        def load(form=form, size=size):
            with Session(scratch.engine) as session:
                form(session, limit=size)
        timings[name].append(median_seconds(load, runs=5))
        with Session(scratch.engine) as session, counting_statements(scratch.engine) as statements:
            form(session, limit=size)
        expected = {"N+1 (one by one)": 1 + size, "JOIN": 1, "IN (...) query": 2}[name]
        assert statements.count == expected, (name, size, statements.count)
table([{"page size": size, **{f"{name} ms": f"{timings[name][i] * 1e3:.1f}" for name in FORMS}}
       for i, size in enumerate(SIZES)])

figure, axes = plt.subplots(figsize=(7, 3))
for name in FORMS:
    axes.plot(SIZES, [seconds * 1e3 for seconds in timings[name]], marker="o", label=name)
axes.set_xlabel("tasks on the page (each with a different owner)")
axes.set_ylabel("ms")
axes.set_title("N+1 grows with the page; eager loading stays flat")
axes.legend()
plt.show()
ratio = timings["N+1 (one by one)"][-1] / timings["JOIN"][-1]
print(f"at {SIZES[-1]} tasks, N+1 takes {ratio:.0f}x the JOIN's time")
assert ratio >= 3, ratio

# %% [markdown]
# On SQLite each statement is a function call in this process, and N+1 already costs several times the JOIN. On
# PostgreSQL each statement is also a network round trip (0.1–1 ms on a LAN), so N+1 at 200 rows costs tens of
# milliseconds *per request* — run this notebook with `DATABASE_URL` set to see it.

# %% [markdown]
# ## An index vs none
# `GET /users/{id}/tasks` filters on `owner_id` and sorts newest first; each page also counts the user's tasks
# (`X-Total-Count`). Chapter 06 declared an index for exactly this, `(owner_id, created_at, id)`. What is it worth,
# and how does that change with the table's size? Two scratch databases, 3,000 and 30,000 tasks (100 per user),
# first **without** the index:

# %%
from sqlalchemy import func, select

from functools import partial

from course_lib.lab.index_lab import PAGE_INDEX, plans, seconds_per_run, task_indexes, tasks_without_indexes
from course_lib.lab.timing import in_turns
from course_lib.services.query_plan import uses_index
from course_lib.taskapi.records import TaskQuery
from course_lib.taskapi.sql_queries import task_select
from course_lib.taskapi.sql_tables import TaskRow

show_source(tasks_without_indexes)

# %% tags=["nbval-ignore-output"]
indexes = task_indexes()
tables = {3_000: tasks_without_indexes(owners=30), 30_000: tasks_without_indexes(owners=300)}
big = tables[30_000]
one_page = {"page": task_select(TaskQuery(owner_id=15, sort=("-created_at",), limit=20)),  # /users/15/tasks
            "count": select(func.count()).select_from(TaskRow).where(TaskRow.owner_id == 15)}  # its X-Total-Count
without_plan = plans(big, one_page)
without_plan

# %% [markdown]
# On SQLite, `SCAN tasks` reads every row, and `USE TEMP B-TREE FOR ORDER BY` sorts the matches afterwards
# (PostgreSQL says `Seq Scan` and `Sort`). Now create the index and ask again:

# %% tags=["nbval-ignore-output"]
started = time.perf_counter()
indexes[PAGE_INDEX].create(big.engine)
index_build = time.perf_counter() - started
with_plan = plans(big, one_page)
assert uses_index(with_plan["page"], PAGE_INDEX) and not uses_index(without_plan["page"], PAGE_INDEX)
with_plan

# %% [markdown]
# `SEARCH tasks USING INDEX` goes straight to user 15's entries, already in `created_at` order: no scan, no sort.
# The count even reads the index alone (`COVERING INDEX`). Timed, on both tables:

# %% tags=["nbval-ignore-output"]
indexes[PAGE_INDEX].drop(big.engine)
# Both tables in turns, without the index and then with it: a moment of load falls on both sizes alike.
without = in_turns({rows: partial(seconds_per_run, database, one_page, runs=3) for rows, database in tables.items()})
for database in tables.values():
    indexes[PAGE_INDEX].create(database.engine)
with_index = in_turns({rows: partial(seconds_per_run, database, one_page, runs=3) for rows, database in tables.items()})
timed = {rows: {"without": without[rows], "with": with_index[rows]} for rows in tables}
table([{"tasks in the table": f"{rows:,}", "without the index": f"{t['without'] * 1e3:.2f} ms",
        "with the index": f"{t['with'] * 1e3:.2f} ms", "speed-up": f"×{t['without'] / t['with']:.0f}"}
       for rows, t in timed.items()])
print(f"building the index on {30_000:,} tasks took {index_build * 1e3:.0f} ms, once")
figure, axes = plt.subplots(figsize=(6, 2.2))
for offset, (kind, color) in ((-0.2, ("without", "#c44e52")), (0.2, ("with", "#55a868"))):
    axes.barh([i + offset for i in range(len(timed))], [t[kind] * 1e3 for t in timed.values()], height=0.4,
              color=color, label=f"{kind} the index")
axes.set_yticks(range(len(timed)), [f"{rows:,} tasks" for rows in timed])
axes.set_xlabel("ms per page of /users/15/tasks")
axes.legend(fontsize=8)
plt.show()
small, large = timed[3_000], timed[30_000]
assert large["without"] > 3 * small["without"]  # the scan grows with the table (×10 rows)
assert large["without"] / large["with"] >= 3  # the index pays at 30,000 rows (the table shows how much more than at 3,000)

# %% [markdown]
# Ten times the rows: without the index the page costs far more (the scan reads every row, O(rows), and sorts the
# matches), while with the index it costs about the same (a search of O(log rows), then the page). The gap grows
# with the table, as the speed-up column shows (the cell asserts it). An index is not free: every INSERT and UPDATE maintains it, and it takes
# space. So index what the API actually filters and sorts on — the sort whitelist of chapter 06 is also the list of
# indexes to consider — and check with `EXPLAIN` that the database uses them.

# %% [markdown]
# ## async def vs def under concurrent I/O
# FastAPI runs an `async def` handler on the event loop and a plain `def` handler in a thread pool (40 threads by
# default). That choice decides what happens when ten requests wait on a slow dependency at once. A lab app with
# the three ways to write the same handler (`course_lib/lab/concurrency.py`):
#
# | route | written as | while the dependency takes 0.2 s |
# |---|---|---|
# | `/io/async` | `async def` + `await client.get(...)` (httpx.AsyncClient) | the loop serves everybody else |
# | `/io/sync` | `def` + `client.get(...)` (httpx.Client) | one pool thread waits; 40 can wait at once |
# | `/io/blocking` | `async def` + a blocking `client.get(...)` | **the event loop waits**: every request queues |

# %%
from course_lib.lab.concurrency import burst, handlers_app, stall_during

lab_app = handlers_app(dependency.url, settings=Settings(profiling=True))  # ?profile=1 on: see the profiler below
lab = serve(lab_app, name="lab")
show_source(handlers_app, highlight_text=("blocking.get", "await app.client", "count_primes"))

# %% tags=["nbval-ignore-output"]
CONCURRENT, WAIT = 10, 0.2
ROUTES = ("async", "sync", "blocking")
for route in ROUTES:  # warm up: open the connections, start the pool's threads
    burst(f"{lab.url}/io/{route}?seconds=0", CONCURRENT)
io_times = {route: min(burst(f"{lab.url}/io/{route}?seconds={WAIT}", CONCURRENT) for _ in range(rounds))
            for route, rounds in zip(ROUTES, (2, 2, 1))}  # best of two; the blocking one is slow by design
table([{"handler": route, f"{CONCURRENT} requests at once": f"{seconds:.2f} s"}
       for route, seconds in io_times.items()])
figure, axes = plt.subplots(figsize=(6, 2.2))
axes.barh(list(io_times), list(io_times.values()), color=["#55a868", "#4c72b0", "#c44e52"])
axes.axvline(WAIT, color="grey", linestyle="--", label=f"one call: {WAIT} s")
axes.axvline(WAIT * CONCURRENT, color="grey", linestyle=":", label=f"{CONCURRENT} calls in a row")
axes.set_xlabel("seconds until the last of the requests answered")
axes.legend(fontsize=8)
plt.show()
assert io_times["blocking"] >= 0.7 * WAIT * CONCURRENT  # one at a time: the loop waited on each call
assert io_times["async"] * 2 < io_times["blocking"] and io_times["sync"] * 2 < io_times["blocking"], io_times

# %% [markdown]
# `async` and `sync` both answer the ten in about one call's time (plus the server's own work, which a busy machine
# stretches); the blocking one takes ten calls' time,
# because a blocking call inside `async def` stops the one loop that serves every request. The rule: in an
# `async def` handler, every wait must be an `await`; if a library only blocks (an old SDK, `requests`, a sync
# database driver), write the handler as `def` and let the thread pool absorb it — up to its 40 threads, after
# which requests queue again. That is why the task API's own routes are `def` (SQLAlchemy's sync session) and the
# availability route, which mostly waits on a network, is `async def`.

# %% [markdown]
# ## CPU work blocks the event loop
# Waiting is easy to share; computing is not. A route that computes for a while inside `async def` holds the loop
# just like the blocking call: `/health` — which answers at once otherwise — waits until the computation ends. We
# send one CPU request and, while it runs, probe `/health` back to back:

# %% tags=["nbval-ignore-output"]
LIMIT = 150_000  # ~0.2 s on an idle laptop: far longer than one probe, even on a busy machine
stalls = {place: stall_during(f"{lab.url}/cpu/{place}?limit={LIMIT}", f"{lab.url}/health")
          for place in ("inline", "thread", "process")}
table([{"CPU work runs": place, "work took": f"{s['work'] * 1e3:.0f} ms",
        "/health slowest": f"{s['slowest probe'] * 1e3:.0f} ms", "/health median": f"{s['median probe'] * 1e3:.1f} ms",
        "probes answered": s["probes"]} for place, s in stalls.items()])
assert stalls["inline"]["slowest probe"] >= 0.5 * stalls["inline"]["work"]  # /health waited for the whole work
for place in ("thread", "process"):
    assert stalls[place]["median probe"] * 2 < stalls["inline"]["slowest probe"], (place, stalls)

# %% [markdown]
# On the loop (`inline`), `/health` waited for the whole computation: for that time the server answered nobody. In
# a thread (`anyio.to_thread.run_sync`) or a process (`loop.run_in_executor(ProcessPoolExecutor)`), `/health` kept
# answering. But the two are not equal. Python's **GIL** lets one thread run Python bytecode at a time: the worker
# thread and the event loop take turns (every 5 ms by default), so the loop stays responsive, but two CPU requests
# in two threads still run one after the other. Two processes have two interpreters, two GILs, and use two cores:

# %%
from course_lib.lab.concurrency import one_and_two_at_once

show_source(one_and_two_at_once)

# %% tags=["nbval-ignore-output"]
import os

pairs = one_and_two_at_once(lab.url, limit=LIMIT, rounds=3)
table([{"CPU work in": place, **{kind: f"{seconds:.2f} s" for kind, seconds in times.items()},
        "2 at once / 1 request": f"×{times['2 at once'] / times['1 request']:.2f}",
        "2 at once / CPU of the 2": f"×{times['2 at once'] / times['CPU of the 2']:.2f}"}
       for place, times in pairs.items()])
figure, axes = plt.subplots(figsize=(6, 2.2))
for offset, kind in ((-0.2, "1 request"), (0.2, "2 at once")):
    axes.barh([i + offset for i in range(len(pairs))], [pairs[place][kind] for place in pairs], height=0.4,
              label=kind)
axes.set_yticks(range(len(pairs)), [f"CPU in a {place}" for place in pairs])
axes.set_xlabel("seconds until the last answered")
axes.legend(fontsize=8)
plt.show()
thread_ratio, process_ratio = (pairs[place]["2 at once"] / pairs[place]["1 request"] for place in pairs)
print(f"{os.cpu_count()} cores; in processes, 2 at once took ×{process_ratio:.2f} one request's time: "
      + ("a second core was free for the second process." if process_ratio < 1.5 else
         "no second core was free at that moment (the machine was busy), so the processes took turns too."))
# The GIL: two threads never compute at the same time, so the pair takes at least the CPU time of both. (Load can
# only stretch wall time, so this holds on a busy machine; the ratio to one request moves with the load.)
assert pairs["thread"]["2 at once"] >= 0.9 * pairs["thread"]["CPU of the 2"], pairs

# %% [markdown]
# Each "at once" time is compared with one request's wall time of the same kind, HTTP work included, measured in
# turns with it, and with the CPU time the two computations used where they ran. In threads, two CPU requests take
# about twice one request, and never less than the CPU time of both (the cell asserts it): the GIL serialises them,
# whatever the number of cores. In processes they can take about as long as one — half the CPU time of both — *when
# a second core is free*; the line under the table says what this run found, and on a busy machine or a single core
# the processes take turns too and their ratios move towards the threads'. So:
#
# | the work | where it goes |
# |---|---|
# | waiting on I/O with an async library | `await` it in `async def` |
# | waiting on I/O with a blocking library | a `def` handler (thread pool) |
# | short CPU work (< a few ms) | anywhere; it is cheaper than moving it |
# | long CPU work in Python (hashing, image resizing, reports) | a process pool — or a job queue (chapter 17) |
# | CPU work in C that releases the GIL (argon2, numpy, zlib) | a thread is enough |
#
# A process pool is not free either: starting one costs a second or more (the lab app starts its workers once, at
# startup), and arguments and results cross between processes pickled.

# %% [markdown]
# ## A profiler on a slow route
# When a route is slow and you do not know why, do not guess: sample it. **pyinstrument** looks at the call stack
# every millisecond and reports where the time went, including time spent awaiting. The lab app profiles a request
# that carries `?profile=1`, as pyinstrument's docs show for FastAPI — but a profile shows the server's insides to
# whoever reads it, and sampling costs every profiled request, so the middleware is there only when the `PROFILING`
# setting is on (off by default; the lab above turned it on) and answers only an admin (the lab, having no users,
# makes one random key its admin's). Anyone else's `?profile=1` is served as if it were not there:

# %%
from course_lib.web.profiler import add_profiler

show_source(add_profiler)

# %%
ADMIN = {"Authorization": f"Bearer {lab_app.admin_key}"}
anyone = lab.get("/report", params={"profile": 1, "seconds": 0, "limit": 100})
anyone.status_code, anyone.json()

# %% [markdown]
# The admin's `?profile=1` on `/report`, which calls the dependency and then computes:

# %% tags=["nbval-ignore-output"]
from course_lib.lab.concurrency import profile_shares

report = lab.get("/report", params={"profile": 1, "seconds": 0.05, "limit": 30_000}, headers=ADMIN)
print(report.text)
assert report.status_code == 200 and "count_primes" in report.text and "report" in report.text
shares = profile_shares(report.text, of="report", parts=("count_primes", "AsyncClient.get"))
print(", ".join(f"{part}: {share:.0%} of report's time" for part, share in shares.items()))

# %% [markdown]
# Read it from the top, then the line under it: `report`'s time splits between `count_primes` and the awaited
# `AsyncClient.get` — the 50 ms the dependency takes, plus the client's own work. The two are not the same kind of
# time. While `report` awaits the get, the loop serves other requests: it makes this request slower and nobody
# else. `count_primes` runs on the loop: for those milliseconds **every** request waits (the stall above). So the
# thing to move is the computation (to a process, or precomputed), whichever share is bigger in your run; the wait,
# if it matters, needs a faster or cached dependency. In production, profile one request on
# purpose like this (never every request: sampling costs), or attach **py-spy** (`py-spy top --pid …`) to a running
# server without changing its code.

# %% [markdown]
# ## Try it
# - Set `calendar.latency = 0.45` and call the availability route a few times: how close can a dependency get to
#   the deadline before users see 504s? What would you set it to?
# - Ask `/io/sync` with 60 requests at once (`burst(..., 60)`): the thread pool has 40 threads. What happens?
# - Run `explain` on `task_select(TaskQuery(text="milk"))`: can any index help a `LIKE '%milk%'`?

# %% [markdown]
# ## Exercises

# %%
import httpx

from course_lib.checks.ch12 import q1, q2, q3

# %% [markdown]
# **Exercise 1.** Write `outbound_status(outcome)`: the status the API answers, given what an outbound call
# produced — an `httpx.Response` or the exception httpx raised. `504` for any timeout, `503` when the dependency is
# unreachable (a network error) or says it is failing (5xx or 429), `502` for any other exception or an answer that
# is not usable (not 2xx, or a body that is not JSON), and `200` for a 2xx with a JSON body.

# %%
### BEGIN SOLUTION
def outbound_status(outcome: httpx.Response | Exception) -> int:
    if isinstance(outcome, httpx.TimeoutException):
        return 504
    if isinstance(outcome, httpx.NetworkError):
        return 503
    if isinstance(outcome, Exception):
        return 502
    if outcome.status_code >= 500 or outcome.status_code == 429:
        return 503
    if not outcome.is_success:
        return 502
    try:
        outcome.json()
    except ValueError:
        return 502
    return 200
### STUB
outbound_status = None  # YOUR CODE HERE
### END SOLUTION

# %%
q1.check(outbound_status)

# %% [markdown]
# **Exercise 2.** A dashboard shows every user with their number of open tasks. Write
# `open_tasks_per_user(session)`, returning `{user id: open tasks}` for **every** user (0 for users without open
# tasks), in **at most 2** SQL statements whatever the number of users. The check counts your statements.

# %%
from sqlalchemy import func, select

from course_lib.taskapi.sql_tables import TaskRow, UserRow


### BEGIN SOLUTION
def open_tasks_per_user(session: Session) -> dict[int, int]:
    statement = (select(UserRow.id, func.count(TaskRow.id))
                 .outerjoin(TaskRow, (TaskRow.owner_id == UserRow.id) & TaskRow.done.is_(False))
                 .group_by(UserRow.id))
    return dict(session.execute(statement).all())
### STUB
open_tasks_per_user = None  # YOUR CODE HERE
### END SOLUTION

# %%
q2.check(open_tasks_per_user)

# %% [markdown]
# **Exercise 3.** A route must count the primes below `limit` (`count_primes`), and other requests must keep being
# served meanwhile. Write `async def primes_below(limit)` so that the event loop stays free while the work runs. The
# check runs a heartbeat on the same loop and measures its longest pause.

# %%
import anyio

from course_lib.lab.cpu_work import count_primes

### BEGIN SOLUTION
async def primes_below(limit: int) -> int:
    return await anyio.to_thread.run_sync(count_primes, limit)
### STUB
primes_below = None  # YOUR CODE HERE
### END SOLUTION

# %%
q3.check(primes_below)

# %% [markdown]
# ## Recap
# - Measured, in uneven steps (×1,000 from memory to the database, then a few to tens of times each): memory <
#   database < loopback HTTP < a slow service; CPU work lands wherever its size puts it. Look at outbound calls first.
# - Every outbound call has a **deadline** on the whole call (httpx's timeouts are per phase: a trickling answer
#   passes them) and a cap on what it reads. Its failures map, by convention, to the statuses RFC 9110 §15.6 gives
#   gateways: too slow → **504**, down → **503** + `Retry-After`, unusable answer → **502**; problem+json, documented,
#   never a 500. Do not hold a database connection across the call.
# - **N+1** hides in loops over ORM objects; count statements (`before_cursor_execute`) in tests, and load eagerly:
#   one JOIN, or one `IN (...)` query per relationship (`selectinload`). 1 + N became 1 or 2.
# - An **index** on what the API filters and sorts on turns `SCAN` + sort into `SEARCH … USING INDEX`; `EXPLAIN`
#   proves it, and the gap grew with the table (3,000 → 30,000 tasks).
# - `async def` only if every wait is awaited; blocking libraries belong in `def` handlers (thread pool). CPU work
#   blocks the loop: a thread frees the loop but not the GIL; a process frees both (when a core is free).
# - Profile before you optimise: pyinstrument (or py-spy) shows where a slow route's time goes — and awaited time
#   costs only this request, time on the loop costs every request.
#
# ## Going further
# - [RFC 9110 §15.6, Server Error 5xx](https://www.rfc-editor.org/rfc/rfc9110#section-15.6) — 502, 503
#   (`Retry-After`, §10.2.3), 504.
# - [RFC 9110 §3.7, Intermediaries](https://www.rfc-editor.org/rfc/rfc9110#section-3.7) — what "gateway" means.
# - [HTTPX: Timeouts](https://www.python-httpx.org/advanced/timeouts/) (per phase) and
#   [AnyIO: cancellation and timeouts](https://anyio.readthedocs.io/en/stable/cancellation.html) (`fail_after`), and
#   [Resource limits](https://www.python-httpx.org/advanced/resource-limits/).
# - [SQLAlchemy: relationship loading techniques](https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html)
#   (`selectinload`, `joinedload`, `raiseload` — which makes a lazy load an error, so N+1 cannot sneak back).
# - [SQLite: EXPLAIN QUERY PLAN](https://www.sqlite.org/eqp.html),
#   [PostgreSQL: Using EXPLAIN](https://www.postgresql.org/docs/current/using-explain.html).
# - [FastAPI: Concurrency and async / await](https://fastapi.tiangolo.com/async/);
#   [pyinstrument](https://pyinstrument.readthedocs.io/) and [py-spy](https://github.com/benfred/py-spy).
# - Timeouts are half of resilience: retries with backoff come with jobs (chapters 17 and 22); chapter 16 says where a
#   circuit breaker would pay off.
#
# ## Where this lives in course_lib
# `course_lib/taskapi/ch12_performance.py` (the chapter: the route, its lifespan client, its documented failures),
# `course_lib/taskapi/routes/availability.py` (the route), `course_lib/web/outbound.py` (the deadline, the body cap and the
# 502/503/504 mapping), `course_lib/services/calendar.py` (CALENDAR_URL or the embedded calendar), `course_lib/lab/task_owners.py` (N+1 and the eager forms), `course_lib/services/query_counter.py`
# and `query_plan.py` (statement counts, EXPLAIN), `course_lib/lab/slow_service.py` (the dependency),
# `course_lib/lab/concurrency.py` (handler styles, bursts, stalls, the profiler), `course_lib/lab/timing.py`
# (medians, cases in turns, the hierarchy), `course_lib/checks/ch12.py`.
