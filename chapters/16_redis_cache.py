# %% [markdown]
# # Chapter 16 — Redis cache + ETag
# *A copy in memory answers faster than the database. The hard part is never the copy; it is knowing when it is
# wrong.*
#
# **Learning goals**
# - put a **cache-aside** layer in front of the database: read the cache, on a miss read the database and keep a
#   copy for a **TTL**;
# - build **keys** that cannot mix users, pages or versions: per user, per query, with a **generation** a write bumps;
# - **invalidate on every write, after the commit** — and see why "invalidate, then commit" serves stale data;
# - prove it: hundreds of write→read pairs and concurrent readers and writers, never a stale read;
# - stop a **stampede**: many concurrent misses on one key → one database read (a Redis lock, `SET NX PX`), without
#   letting the waiting readers take every thread of the server;
# - serve the **ETag** from the cached copy — of a task and of a list page — so a 304 costs no database read;
# - measure hit vs miss vs database (fakeredis here, redis-server's figures from the course's benchmark), keep
#   answering reads when Redis is down, and refuse the writes it cannot be told about.
#
# **Why it matters.** Chapter 10 made revalidation cheap for the *network*: a 304 carries no body. The server still
# read the row to know the version. Reads outnumber writes in most APIs by ten or a hundred to one, and the same
# rows are read again and again; a copy in Redis turns most of them into one round trip to memory. The price is
# correctness: a cache that is not told about a write serves the past, and nobody notices until a user does.

# %%
from course_lib import serve, show, show_source, start_chapter, table

start_chapter(16, "Redis cache + ETag")

# %% [markdown]
# The cache is **Redis**: fakeredis inside this kernel by default, a real `redis-server` when `REDIS_URL` is set (the
# line above says which). The database is SQLite, or PostgreSQL with `DATABASE_URL`.
#
# ## Cache-aside, and where it goes
# In **cache-aside** the application owns both paths. A read asks the cache first; on a **hit** it is done, on a
# **miss** it reads the database and stores a copy that expires after a TTL. A write goes to the database and then
# **invalidates** the copies it made wrong; the next read misses and loads the new version.
#
# ```mermaid
# sequenceDiagram
#     participant A as API (unit of work)
#     participant R as Redis
#     participant D as database
#     Note over A,D: read
#     A->>R: GET task:1:g3
#     alt hit
#         R-->>A: the task (version, fields)
#     else miss
#         R-->>A: nil
#         A->>R: SET task:1:g3:lock NX PX 2000
#         A->>D: SELECT … WHERE id = 1
#         A->>R: SET task:1:g3 … EX ttl
#     end
#     Note over A,D: write
#     A->>D: UPDATE tasks …
#     A->>R: hold gen:task:1, gen:user:7, gen:all (before the commit)
#     A->>D: COMMIT
#     A->>R: new gen:task:1, gen:user:7, gen:all (after the commit)
# ```
#
# Where should the invalidation live? If every route had to remember it, one day a new route would not. So this
# chapter puts the cache **in the storage seam**: chapter 16's storage is the previous one wrapped, and its unit of
# work — the one every route commits through since chapter 01 — invalidates on commit. No route changes:

# %%
from course_lib.taskapi import ch16_redis_cache

show_source(ch16_redis_cache.swap_seams)

# %%
from course_lib.taskapi.cached_storage import CachedTasks, CachedUnitOfWork

show_source(CachedTasks.get)

# %% [markdown]
# A unit of work that writes (`begin_write`, chapter 10's lock, or any change) reads past the cache: it must see its
# own changes and the rows as they are under its lock. Everything else reads through `cache.read`, and the
# representation it caches is the task record with its `version` — the field the ETag names.

# %%
app = ch16_redis_cache.create_app()
api = serve(app)
cache = app.context.cache
PASSWORD = "violet harbor lantern 42"


def sign_up(name: str) -> tuple[dict, int]:
    """A new user's API key header and id."""
    user = api.post("/users", json={"name": name, "email": f"{name.lower()}@example.org", "password": PASSWORD})
    return {"X-API-Key": user.json()["api_key"]}, user.json()["id"]


ada, ada_id = sign_up("Ada")
url = api.post("/tasks", json={"title": "buy milk"}, headers=ada).headers["location"]
first, second = api.get(url, headers=ada), api.get(url, headers=ada)
dict(cache.stats), first.headers["etag"] == second.headers["etag"], first.json() == second.json()

# %% [markdown]
# One miss (one database read), then a hit. The ETag of the hit is the one the database's row gives: it is computed
# from the cached copy's version. So revalidation is now served by Redis alone — a 304 without a read of the tasks
# table:

# %%
loads = cache.stats["loads"]
revalidated = api.get(url, headers={**ada, "If-None-Match": second.headers["etag"]})
show(revalidated, headers=["etag"], request_headers=["if-none-match"])
f"database reads of the task for that 304: {cache.stats['loads'] - loads}"

# %% [markdown]
# ## Keys: per user, per query, per generation
# A key must name *everything* the cached answer depends on, or two different questions share one answer. A list
# of tasks depends on whose list it is, the filters, the order, the page — and on every write to those tasks. So:
#
# | cached | key | changes when |
# |---|---|---|
# | one task | `v2:task:<id>:g<generation>` | any write to that task (`gen:task:<id>`) |
# | a user's list | `v2:tasks:user=<id>:list:<query digest>:g<generation>` (and `:count:`) | a write to their tasks |
# | the list of all tasks | `v2:tasks:user=all:list:<query digest>:g<generation>` | any write to any task |
#
# Instead of finding and deleting every cached page of a list (Redis has no "delete by pattern" that is both fast
# and safe), a write **replaces a generation**; readers build keys from the current generations, so old copies are
# simply never asked for again and expire by TTL. A generation is a **random token**, not a counter: its key lives ten
# cache TTLs and then goes (or Redis evicts it, or restarts without its data), and a counter would start again at 0
# and find the old entries it numbered once; a token nobody has used finds nothing. `v2` is the version of the
# encoding: a deploy that changes how a task is written into Redis changes it, and during a rolling deploy the old and
# the new code never read each other's entries (the generations are shared, so a write by either invalidates both; an
# entry that still fails to decode is a miss, never a 500). Every key of this app also starts with its own namespace:
# two apps in one kernel (or two chapters) never read each other's copies.

# %%
bob, bob_id = sign_up("Bob")
api.post("/tasks", json={"title": "fix bike"}, headers=bob)
ada_list, bob_list = api.get(f"/users/{ada_id}/tasks", headers=ada), api.get(f"/users/{bob_id}/tasks", headers=bob)
import re

sorted(re.sub(r":g[0-9a-f]+$", ":g<generation>", key.removeprefix(cache.namespace))  # a random token each run
       for key in cache.redis.scan_iter(match=f"{cache.namespace}:v*"))

# %% [markdown]
# Each user's list has its own key (`user=1`, `user=2`), so Bob's list can never be answered with Ada's. Every copy
# carries a TTL — `cache_ttl` in the settings (`CACHE_TTL`, 60 seconds by default) — the upper bound on how long a
# copy can outlive a write that failed to invalidate it (Redis down at that moment):

# %%
from course_lib.services.settings import get_settings

ttls = {cache.redis.ttl(key) for key in cache.redis.scan_iter(match=f"{cache.namespace}:v*")}
get_settings().cache_ttl, all(0 < ttl <= get_settings().cache_ttl for ttl in ttls)

# %% [markdown]
# ## An ETag for a list page, from the cache
# Chapter 10 gave each task an ETag; a list had none, so a client polling its list downloaded it every time. A list
# page's representation is the tasks on it, each at its version, and the total (`X-Total-Count`): that is what its
# ETag names, hashed — `list_etag` below. The page comes from the cache, so a client that sends the tag back gets a
# **304 without a database read**; any write to a task on the page, or to the list's total, changes the tag.

# %%
from course_lib.taskapi.ch16_redis_cache import list_etag

show_source(list_etag)

# %%
page_1 = api.get(f"/users/{ada_id}/tasks", headers=ada)
loads = cache.stats["loads"]
not_modified = api.get(f"/users/{ada_id}/tasks", headers={**ada, "If-None-Match": page_1.headers["etag"]})
show(not_modified, headers=["etag"], request_headers=["if-none-match"])
f"database reads for that 304: {cache.stats['loads'] - loads}"

# %% [markdown]
# ## Invalidate on commit, never before
# The order matters. "Delete the copy, then commit" leaves a gap: a reader that arrives between the two misses, reads
# the database — still the old row, the write is not committed — and caches it again. The write then commits, and
# the cache serves the old version until the TTL ends:
#
# ```mermaid
# sequenceDiagram
#     participant W as writer
#     participant R as Redis
#     participant D as database
#     participant X as reader
#     W->>R: DEL task:1 (too early)
#     X->>R: GET task:1 → miss
#     X->>D: SELECT → old row (not committed yet)
#     X->>R: SET task:1 = old row
#     W->>D: COMMIT (new row)
#     Note over R: stale until the TTL ends
# ```
#
# So the unit of work commits first, then bumps. A reader that loaded the old row *before* the commit and stores it
# after the bump stores it under the old generation, which nobody reads any more — the generation closes the other
# classic race too (plain delete-after-commit leaves it open: exercise 3).
#
# One more step comes *before* the commit: the unit of work **holds** the generations it will bump (sets them to a
# `held-…` token that lives one cache TTL). While a scope is held, readers read the database and keep nothing. Two
# things follow. If Redis cannot be reached, the hold fails and the write is refused with **503 + Retry-After**
# before anything is committed — a write that commits while Redis is unreachable would leave its old copies in
# the cache, read back for a whole TTL once Redis returns. And if Redis dies between the commit and the bump, the
# scopes stay held until the hold expires: reads are slower for a while, never stale. We chose refusing writes over
# accepting them blind: a task list that cannot be saved for a minute is visible and retried; a saved title that reads
# back as the old one for a minute looks like lost data.

# %%
show_source(CachedUnitOfWork.commit)

# %% [markdown]
# ## No stale read after a write
# Write, then read, a few hundred times, alternating the task itself and its owner's list; every read must show the
# write just before it (the tests run 1000 pairs):

# %%
PAIRS = 150
stale = []
for n in range(PAIRS):
    written = api.patch(url, json={"title": f"title {n}"}, headers={**ada, "If-Match": "*"})
    if n % 2:
        listed = api.get(f"/users/{ada_id}/tasks", headers=ada).json()
        seen = next(t["title"] for t in listed if url.endswith(f"/{t['id']}"))
    else:
        seen = api.get(url, headers=ada).json()["title"]
    if seen != f"title {n}":
        stale.append((n, seen))
f"{PAIRS - len(stale)} of {PAIRS} reads saw the write before them"

# %% [markdown]
# And with concurrency: 12 clients at once, a third of the requests writes. Each read notes when it *started*, each
# write when it *finished*; a read must never return a version older than a write that finished before it began:

# %%
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx


def version(etag: str) -> int:
    """3 from "task-1-v3-json"."""
    return int(etag.split("-v")[1].split("-")[0])


finished, started_reads, lock = [], [], threading.Lock()


def request(n: int) -> None:
    if n % 3 == 0:
        answer = client.patch(url, json={"title": f"w{n}"}, headers={**ada, "If-Match": "*"})
        with lock:
            finished.append((time.monotonic(), version(answer.headers["etag"])))
    else:
        started = time.monotonic()
        started_reads.append((started, version(client.get(url, headers=ada).headers["etag"])))


with httpx.Client(base_url=api.url, timeout=30, limits=httpx.Limits(max_connections=12)) as client, \
        ThreadPoolExecutor(12) as pool:
    list(pool.map(request, range(240)))
older = [(at, v) for at, v in started_reads if v < max((w for t, w in finished if t < at), default=1)]
f"reads: {len(started_reads)}, writes: {len(finished)}, reads older than a finished write: {len(older)}"

# %% [markdown]
# ## Stampede: many misses, one database read
# A popular key expires (or a write invalidates it) and a hundred requests miss at the same moment: without care,
# each one reads the database — the **cache stampede** (thundering herd), at exactly the moment the cache was
# supposed to protect it. **Single flight**: the first miss takes a lock in Redis, `SET <key>:lock <token> NX PX 2000`
# (set only if absent, expire in 2 s in case its owner dies); the others poll the key for a moment and take the copy
# the first one stored. A Redis lock, not a Python one, because chapter 11 runs several processes: they share Redis,
# not memory.
#
# Three details make the lock safe to ship:
# - **only its owner deletes it.** The lock's value is the loader's random token. "GET, and DEL if it is mine" in two
#   commands can delete *another* loader's lock: ours expired during a slow load, another reader took it, and our
#   DEL lands after the GET. The release is one atomic compare-and-delete: `WATCH` the lock, `GET`, then `MULTI`/`DEL`/
#   `EXEC`, which Redis refuses if the lock changed since the `WATCH` (a Lua script does the same in one command, but
#   fakeredis runs Lua only with an extra package);
# - **waiting is bounded in time**: a reader waits at most `WAIT_SECONDS` for the loader's copy, then reads the
#   database itself;
# - **and in threads.** A route of this API runs in a worker thread (about 40 of them), and a waiting reader sleeps
#   in its thread. A thousand misses on one key would put every thread to sleep, and every other request of the
#   process would queue behind them. At most `WAITERS` readers of a process wait at once; the next ones read the
#   database — a crowd beyond that size costs the database some reads, never the whole server.

# %%
from course_lib.services import cache_aside
from course_lib.services.cache_aside import CacheAside

show_source(CacheAside._read)
{"WAIT_SECONDS": cache_aside.WAIT_SECONDS, "WAITERS": cache_aside.WAITERS, "LOCK_MS": cache_aside.LOCK_MS}

# %%
show_source(CacheAside._unlock)

# %% [markdown]
# Sixteen clients (as many as may wait) released by a barrier read a task nobody has cached. A stampede hurts when
# the query is slow, so the database's statement hook below makes every read of the tasks table take 200 ms (a busy
# database) — and counts them:

# %%
from sqlalchemy import event

cold = api.post("/tasks", json={"title": "popular"}, headers=ada).headers["location"]
selects = []


def count_task_reads(conn, cursor, statement, *rest) -> None:
    if "FROM tasks" in statement:
        selects.append(statement)
        time.sleep(0.2)  # a slow query: every request that arrives meanwhile also misses


engine = app.context.storage.inner.database.engine
event.listen(engine, "before_cursor_execute", count_task_reads)
CROWD = cache_aside.WAITERS
barrier, before = threading.Barrier(CROWD), dict(cache.stats)


def read_cold(_: int) -> int:
    barrier.wait()
    return client.get(cold, headers=ada).status_code


try:
    with httpx.Client(base_url=api.url, timeout=30, limits=httpx.Limits(max_connections=CROWD)) as client, \
            ThreadPoolExecutor(CROWD) as pool:
        statuses = list(pool.map(read_cold, range(CROWD)))
finally:
    event.remove(engine, "before_cursor_execute", count_task_reads)
assert cache.stats["waits"] > before["waits"]  # some requests did wait for another's load
{"requests": len(statuses), "all 200": set(statuses) == {200}, "SELECTs of the task": len(selects),
 "loads": cache.stats["loads"] - before["loads"]}

# %% [markdown]
# One `SELECT` for sixteen requests: the others waited for its copy. A waiter that would wait longer than two
# seconds (`WAIT_SECONDS`: the loader is slow, or died holding the lock) stops waiting and reads the database itself, and a
# seventeenth concurrent waiter would not wait at all: the lock protects the database, it must not become a new way
# to hang.
#
# ## Hit vs miss vs database, measured
# What does a hit save? Three ways to read the same task, and the same page of 20 tasks (with its total count),
# through a unit of work as a route does: straight from the **database** (no cache), a **miss** (cache asked, database
# read, copy stored) and a **hit**. On fakeredis "Redis" is a Python object in this process; on redis-server every
# command is a round trip over loopback. So what fakeredis shows is the logic — which reads hit, how many load, the
# single flight, the invalidation — and the Python cost of building keys and decoding copies. What it cannot show is
# the network: the round trip every command costs on a real server (and each read here sends two or more: the
# generation, then the copy), a server's memory limit and evictions, a server that stops answering. The course's
# benchmark (`make bench`) measures both; its rows, as they stand in `docs/benchmarks.md`:

# %% tags=["nbval-ignore-output"]
from pathlib import Path

import course_lib

BENCHMARKS = Path(course_lib.__file__).resolve().parents[1] / "docs" / "benchmarks.md"
rows = [line.strip("|").split("|") for line in BENCHMARKS.read_text().splitlines() if line.startswith("| cache")]
table([{"figure (docs/benchmarks.md)": f.strip(), "baseline": b.strip(), "measured": m.strip(), "ratio": r.strip()}
       for f, b, m, r, *_ in rows])

# %% [markdown]
# There a hit on redis-server (a GET over loopback, and the JSON decoded) costs somewhat more than on fakeredis, both
# far less than a read by id from the database in a session of its own; a "cache miss" row is only the lookup that
# finds nothing (the database read and the store come on top). A whole cached `GET /tasks/{id}` over HTTP on
# PostgreSQL + redis-server gains less than the read alone suggests: the HTTP work, the login and the response model
# stay. Now this kernel's own measurement (fakeredis, plus redis-server when `REDIS_URL` is set), through the whole
# read path — generation, lookup, lock, load, store, unlock:

# %% tags=["nbval-ignore-output"]
import statistics

import matplotlib.pyplot as plt

from course_lib.services.cache import redis_client
from course_lib.services.cache_aside import FAIL_FAST
from course_lib.taskapi.cached_storage import CachedStorage
from course_lib.taskapi.records import TaskQuery

for n in range(200):
    app.context.storage.tasks.add(f"task {n}", owner_id=ada_id)
task_id = int(url.rsplit("/", 1)[1])
page = TaskQuery(owner_id=ada_id, sort=("-created_at",), limit=20)


def read_task(storage) -> None:
    with storage.unit_of_work() as uow:
        uow.tasks.get(task_id)


def read_page(storage) -> None:
    with storage.unit_of_work() as uow:
        uow.tasks.count(page), uow.tasks.list(page)


def measure(storage: CachedStorage, runs: int = 100) -> dict[str, float]:
    """DB, miss and hit medians (ms) for one task and one page, through `storage`'s cache, taken in turns."""
    ways = {}
    for what, read, scope in (("task", read_task, f"task:{task_id}"), ("page", read_page, f"user:{ada_id}")):
        ways[f"{what}: database"] = (lambda read=read: read(storage.inner), None)
        ways[f"{what}: miss"] = (lambda read=read: read(storage), lambda scope=scope: storage.cache.bump({scope}))
        ways[f"{what}: hit"] = (lambda read=read: read(storage), lambda read=read: read(storage))
    times = {name: [] for name in ways}
    for _ in range(runs):  # in turns, so that a moment of load elsewhere on the machine hits every way alike
        for name, (read, before) in ways.items():
            if before:
                before()
            started = time.perf_counter()
            read()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(found) * 1000 for name, found in times.items()}


backends = {"fakeredis": app.context.storage}
if get_settings().redis_url:  # a real redis-server: the same database, the cache over loopback
    server_cache = CacheAside(redis_client(get_settings(), **FAIL_FAST), ttl=60, namespace="cache:bench16")
    backends["redis-server"] = CachedStorage(app.context.storage.inner, server_cache)
else:
    print("REDIS_URL is not set: measuring fakeredis only (set REDIS_URL to a redis-server to compare)")
results = {name: measure(storage) for name, storage in backends.items()}
if "redis-server" in backends:
    server_cache.clear()

table([{"cache": name, **{k: f"{v:.3f} ms" for k, v in found.items()}} for name, found in results.items()])
figure, axes = plt.subplots(figsize=(9, 3.5))
labels = list(next(iter(results.values())))
width = 0.8 / len(results)
for i, (name, found) in enumerate(results.items()):
    axes.bar([x + i * width for x in range(len(labels))], [found[label] for label in labels], width, label=name)
axes.set_xticks([x + width * (len(results) - 1) / 2 for x in range(len(labels))], labels)
axes.set_ylabel("median ms per read")
axes.set_title("one task and one page of 20: database vs cache miss vs cache hit")
axes.legend()
plt.show()
for name, found in results.items():
    for what in ("task", "page"):
        assert found[f"{what}: hit"] * 1.2 < found[f"{what}: miss"], (name, what, found)

# %% [markdown]
# A hit always beats a miss — a miss *is* a hit's lookup plus the database plus storing the copy — so a cache that
# mostly misses makes reads slower, not faster. Against the plain database read the answer depends: a page with its
# count (two queries, twenty rows) gains the most; one row by primary key from an embedded SQLite file is already
# fast, and a round trip to redis-server may cost about as much. The cache pays off when the database is far (a
# network hop), busy, or the query expensive — measure before you cache.
#
# ## When Redis is down
# The cache is an optimisation for reads, so its failure must not become theirs: every Redis call of a read sits behind
# one `except redis.RedisError`, and the read goes to the database. A write is different. It cannot commit without
# holding its scopes (see *Invalidate on commit*), so with Redis down it is refused — **503 Service Unavailable** with
# `Retry-After`, as for any dependency that is down (chapter 12), and nothing is written. The client fails fast: no
# retries, and a 0.25 s socket timeout. Point the running app's cache at a closed port:

# %%
import redis

api.patch(url, json={"title": "written before the outage"}, headers={**ada, "If-Match": "*"})
working = cache.redis
cache.redis = redis.Redis(host="127.0.0.1", port=1, **FAIL_FAST)  # nothing listens on port 1
errors = cache.stats["errors"]
during = [api.get(url, headers=ada).status_code,
          api.patch(url, json={"title": "written while Redis was down"}, headers={**ada, "If-Match": "*"}).status_code,
          api.get(f"/users/{ada_id}/tasks", headers=ada).status_code]
title_during = api.get(url, headers=ada).json()["title"]
cache.redis = working
title_after = api.get(url, headers=ada).json()["title"]
during, title_during, title_after, f"Redis errors: {cache.stats['errors'] - errors}"

# %% [markdown]
# The reads answered 200 from the database; the PATCH answered 503 and changed nothing, so once Redis is back no cached
# copy disagrees with the database (the tests do the same with a real redis-server stopped by `SIGSTOP`, and with
# thirty writes across an outage). A *refused* connection, as here, costs well under a millisecond per call. A *hung*
# Redis — stopped, or behind a network that drops packets — accepts the connection and never answers: each call then
# costs the whole socket timeout, 0.25 s, on every request. That is why the timeout is short, and it is where a
# circuit breaker (stop trying Redis for a few seconds after a few failures) would pay off; it is left out here.
#
# One more failure is a deploy. The new version's code may encode a task differently; its keys carry its encoding's
# version (`v2`), so it never reads the old version's copies, and a copy that fails to decode anyway is a miss:

# %%
for key in cache.redis.scan_iter(match=f"{cache.namespace}:v*:task:*"):
    cache.redis.set(key, "{written by an older version}", keepttl=True)
api.get(url, headers=ada).status_code, cache.stats["undecodable"] > 0
#
# ## Try it
# - Set `CACHE_TTL=2`, restart the kernel, warm a task, write to the database *behind the cache's back*
#   (`app.context.storage.inner.tasks.update(...)`) and read it every second: when does the new title appear?
# - Delete the `SET … NX PX` branch in your head: how many `SELECT`s would the stampede cell count?
# - Set `CROWD = 40` in the stampede cell: how many `SELECT`s now, what did `cache.stats["crowded"]` count, and what
#   did the other requests of the server gain from it?
# - Look at `cache.stats` after a few requests in the API docs: what is your hit ratio?

# %% [markdown]
# ## Exercises

# %%
from course_lib.checks.ch16 import q1, q2, q3, q4

# %% [markdown]
# **Exercise 1.** Write `list_key(user_id, generation, page, limit)`: the cache key of one page of a user's task
# list. Two different lists must never share a key — mind that user 1 with generation 12 is not user 11 with
# generation 2 — and the same list must always get the same key, in every process: the replicas of chapter 11 share
# one Redis, so a key that differs from process to process (Python's `hash()` of a string does: it is salted per
# process) is never found by the others.

# %%
### BEGIN SOLUTION
def list_key(user_id: int, generation: int, page: int, limit: int) -> str:
    return f"tasks:{user_id}:{generation}:{page}:{limit}"
### STUB
list_key = None  # YOUR CODE HERE
### END SOLUTION

# %%
q1.check(list_key)

# %% [markdown]
# **Exercise 2.** A PATCH to task `task_id`, owned by user `owner_id`, has just committed. The cache holds the keys
# in `cached`: one task is `task:<id>`, a page of a user's list `tasks:user=<id>:page=<n>`, a page of the list of all
# tasks `tasks:all:page=<n>`. Write `stale_keys(task_id, owner_id, cached)`: the set of keys that may now be stale —
# all of them, and no others.

# %%
### BEGIN SOLUTION
def stale_keys(task_id: int, owner_id: int, cached: set[str]) -> set[str]:
    return {key for key in cached
            if key.split(":") == ["task", str(task_id)]
            or key.split(":")[:2] in (["tasks", f"user={owner_id}"], ["tasks", "all"])}
### STUB
stale_keys = None  # YOUR CODE HERE
### END SOLUTION

# %%
q2.check(stale_keys)

# %% [markdown]
# **Exercise 3.** Spot the bug and fix it. This `save_title` changes a task's title and keeps the cache right — or
# does it?
#
# ```python
# def save_title(db, cache, task_id, title):
#     cache.delete(f"task:{task_id}")
#     db.update(task_id, title)
#     db.commit()
# ```
#
# Write a `save_title(db, cache, task_id, title)` that never leaves a stale copy: `db.update(task_id, title)` changes
# the title inside the open transaction, `db.commit()` makes it visible, `cache.delete(key)` drops a copy; the copy
# of a task is under `task:<id>`. The check sends a reader in right after each `cache.delete`, as a busy API would.
#
# (Delete-after-commit is the classic fix, and it still leaves one race, rarer: a reader that *read* the old row before
# the commit and *stores* it after the delete puts the old title back until the TTL ends. The reader has to be slower
# than the whole write for that, so it is rare, but a busy server makes rare things happen daily. The generations and
# holds of this chapter's storage close it: that late store lands under a generation nobody reads.)

# %%
### BEGIN SOLUTION
def save_title(db, cache, task_id: int, title: str) -> None:
    db.update(task_id, title)
    db.commit()
    cache.delete(f"task:{task_id}")
### STUB
save_title = None  # YOUR CODE HERE
### END SOLUTION

# %%
q3.check(save_title)

# %% [markdown]
# **Exercise 4.** The read side. Write `cached_title(db, cache, task_id)`: the title cached under `task:<id>` if there
# is one (`cache.get(key)`, None when absent), without asking the database; else `db.title(task_id)` — None when
# there is no such task — and a title found is kept for 60 seconds, `cache.set(key, title, ex=60)`. "Not found" is
# never kept: the task may be created a moment later, and a cached "not found" would answer 404 until it expired.

# %%
### BEGIN SOLUTION
def cached_title(db, cache, task_id: int) -> str | None:
    key = f"task:{task_id}"
    title = cache.get(key)
    if title is None:
        title = db.title(task_id)
        if title is not None:
            cache.set(key, title, ex=60)
    return title
### STUB
cached_title = None  # YOUR CODE HERE
### END SOLUTION

# %%
q4.check(cached_title)

# %% [markdown]
# ## Recap
# - **Cache-aside**: read the cache; on a miss read the database and store a copy with a **TTL**. A write commits,
#   *then* invalidates; invalidating first lets a reader cache the old row again.
# - A key names everything the answer depends on: the user, the query, the page, the encoding's version — and a
#   **generation**, a random token that every write replaces, so no list page has to be found and deleted, a late
#   store of an old row lands where nobody looks, and a generation Redis lost never brings old copies back.
# - Invalidation lives in the unit of work's `commit()`, behind the storage seam: no route can forget it. It holds
#   before the commit and bumps after; a write Redis cannot hear of is refused (503 + `Retry-After`).
# - **Single flight** (`SET NX PX` in Redis, released only by its owner): sixteen concurrent misses, one `SELECT`;
#   waiting bounded in time (two seconds) and in threads (sixteen per process).
# - The ETag comes from the cached version — of a task, and of a list page — so a 304 costs no database read.
# - A hit beats a miss always, the database sometimes: measure, on the real server. If Redis is down, read the
#   database — never a 500; a hung Redis costs the socket timeout per call, so keep it short.
#
# ## Going further
# - [Redis: client-side caching and invalidation](https://redis.io/docs/latest/develop/reference/client-side-caching/),
#   [SET with NX and PX](https://redis.io/docs/latest/commands/set/) and the
#   [distributed locks page](https://redis.io/docs/latest/develop/use/patterns/distributed-locks/) (Redlock, and its
#   critics: a lock that only protects the database from load may be imperfect; one that protects correctness may not).
# - Nishtala et al., *Scaling Memcache at Facebook* (NSDI 2013): leases against stale sets and thundering herds.
# - Probabilistic early expiration ("XFetch") refreshes hot keys before they expire, so they never stampede.
#
# ## Where this lives in course_lib
# `course_lib/services/cache_aside.py` (read-through with single flight, generations, holds, failure tolerance),
# `course_lib/taskapi/cached_storage.py` (the cached storage, unit of work and task repository),
# `course_lib/taskapi/ch16_redis_cache.py` (the chapter: the storage seam swapped, list pages tagged),
# `course_lib/services/cache.py` (fakeredis or redis-server), `course_lib/checks/ch16.py` (the checks).
