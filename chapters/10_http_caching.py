# %% [markdown]
# # Chapter 10 — HTTP caching
# *The fastest request is the one you never send; the next fastest answers "you already have it". And the same
# validator that saves a download stops two clients from overwriting each other.*
#
# **Learning goals**
# - name the layers that cache a response — browser, CDN, reverse proxy, application cache, database index — and say
#   which of them an HTTP header controls;
# - give every task an **ETag** (strong, one per representation) and answer a revalidation (`If-None-Match`) with
#   **304 Not Modified**: no body, but the ETag, Cache-Control and Vary a 200 would carry; and beside the tag,
#   `Last-Modified` / `If-Modified-Since`, the coarser validator by date;
# - choose Cache-Control per route: `private, no-cache` for per-user data;
# - see a **lost update** happen (two clients, last write wins silently), then prevent it with **If-Match**: a stale
#   tag gets **412** and changes nothing, a missing one **428**; `*` means "whatever is there";
# - prove it under real concurrency: 50 simultaneous writes with one ETag give one 200 and 49 × 412.
#
# **Why it matters.** Chapter 02 put `Cache-Control: no-cache` on the API's answers: "you may keep a copy, but ask me
# before you use it". Asking was as expensive as fetching. An ETag makes asking cheap — and it names a *version*, so
# a client can also say "change this, but only if it is still the version I read". That one sentence is what keeps
# two people editing the same task from silently erasing each other's work.

# %%
from course_lib import serve, show, show_source, start_chapter, table

start_chapter(10, "HTTP caching")

# %% [markdown]
# ## Layers of caching
# A response can be kept at every hop between the user and the data. Each layer answers faster than the one behind
# it, and each must know when its copy is stale.
#
# | layer | where | who controls it | what it saves |
# |---|---|---|---|
# | browser (private cache) | the user's device | the response's `Cache-Control`, `ETag` | the whole trip |
# | CDN (shared cache) | an edge server near the user | `Cache-Control` (`public`, `s-maxage`), `Vary` | the trip to your data centre |
# | reverse proxy (shared cache) | nginx / Varnish in front of the app (chapter 11) | the same headers, or its own rules | running the app |
# | application cache | Redis beside the app (chapter 16) | your code: cache-aside, TTL, invalidation | the database query |
# | database index and buffer pool | inside PostgreSQL / SQLite (chapters 12, 14) | the schema (indexes) | reading the whole table |
#
# HTTP headers govern the first three. `private` keeps a response out of the shared ones (CDN, proxy): a task list
# may depend on who is asking. `no-cache` lets any cache keep a copy but makes it **revalidate** before each use; the
# ETag makes that check a few hundred bytes instead of the whole body. `no-store` forbids keeping a copy at all.

# %% [markdown]
# ## The lost update, first
# Before the fix, the problem. Chapter 08's API has no versions. Ada and Bob both open task 1; Ada renames it; Bob,
# from the copy he read, marks it done with a PUT (the whole task, as he saw it):

# %%
from course_lib.taskapi import ch08_validation

PASSWORD = "violet harbor lantern 42"
old = serve(ch08_validation.create_app(), name="chapter-08")
ada_old = {"X-API-Key": old.post("/users", json={"name": "Ada", "email": "ada@example.org",
                                                "password": PASSWORD}).json()["api_key"]}
task_url = old.post("/tasks", json={"title": "buy milk"}, headers=ada_old).headers["location"]

ada_copy, bob_copy = old.get(task_url).json(), old.get(task_url).json()
ada_wrote = old.patch(task_url, json={"title": "buy oat milk"}, headers=ada_old)
bob_wrote = old.put(task_url, json={**{k: bob_copy[k] for k in ("title", "description")}, "done": True},
                    headers=ada_old)
ada_wrote.status_code, bob_wrote.status_code, old.get(task_url).json()["title"]

# %% [markdown]
# Both writes answered 200; Ada's rename is gone and nobody was told. (Both use Ada's key to keep the demo short:
# two devices of the same user lose updates just the same.) With real concurrency it is worse. Fifty clients each
# read the task and append their name to its description; a barrier makes them all read before anyone writes — the
# moment a busy API hits by chance:

# %%
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx


def append_at_once(api, url: str, headers: dict, n: int = 50, conditional: bool = False) -> list[int]:
    """`n` clients read the task, wait until all have read, then PATCH description + their name; the statuses."""
    barrier = threading.Barrier(n)

    def append(i: int) -> int:
        read = client.get(url)
        barrier.wait()  # every client now holds the same version
        extra = {"If-Match": read.headers["etag"]} if conditional else {}
        body = {"description": f"{read.json()['description']} client-{i}".strip()}
        return client.patch(url, json=body, headers={**headers, **extra}).status_code

    with httpx.Client(base_url=api.url, timeout=60, limits=httpx.Limits(max_connections=n)) as client, \
            ThreadPoolExecutor(n) as pool:
        return sorted(pool.map(append, range(n)))


statuses = append_at_once(old, task_url, ada_old)
kept = old.get(task_url).json()["description"].split()
{status: statuses.count(status) for status in set(statuses)}, f"names kept: {len(kept)} of 50"

# %% [markdown]
# Fifty 200s, one name kept: 49 updates lost, silently. The server did nothing wrong by its own rules — each write
# was valid — it just could not know that each client wrote from a stale copy. The client has to say which version
# it read. That is what an ETag is for.

# %% [markdown]
# ## ETag: a name for one version of one representation
# An entity tag is an opaque string in quotes that changes whenever the representation changes. Chapter 10's API
# keeps a `version` on every task (the storage adds 1 on every update) and names it in the tag:

# %%
from course_lib.taskapi import ch10_http_caching

show_source(ch10_http_caching.task_etag)

# %% [markdown]
# **Strong or weak.** A *strong* tag (`"task-1-v3-json"`) promises the same bytes while it holds; a *weak* one
# (`W/"task-1-v3"`) only the same meaning. The API negotiates JSON or CSV since chapter 02, so one version has two
# representations with different bytes: a strong tag must differ between them, hence the format in the tag. We keep
# them strong because only strong tags can guard a write (If-Match compares strongly, RFC 9110 §13.1.1). Weak tags are
# what you get where bytes vary without the meaning changing: nginx, compressing a response on the fly, turns a
# strong ETag into a weak one. The app gets its tags through the `conditions` seam the task routes have called since
# chapter 01 (a no-op until now); this chapter fills it:

# %%
show_source(ch10_http_caching.swap_seams)

# %%
show_source(ch10_http_caching.extend)

# %%
api = serve(ch10_http_caching.create_app())
ada = {"X-API-Key": api.post("/users", json={"name": "Ada", "email": "ada@example.org",
                                            "password": PASSWORD}).json()["api_key"]}
created = api.post("/tasks", json={"title": "buy milk", "description": "2 litres " * 100}, headers=ada)
url = created.headers["location"]
show(api.get(url), headers=["etag", "cache-control", "vary", "content-type"], body=False)

# %%
show(api.get(url, headers={"Accept": "text/csv"}), headers=["etag", "vary", "content-type"], body=False)

# %% [markdown]
# ## Conditional GET: 304 Not Modified
# A client that holds a copy sends its tag in `If-None-Match`. If the tag still names the current representation
# (weak comparison: `W/` is ignored here), the server answers **304** with no body. RFC 9110 §15.4.5: the 304 carries
# the `Cache-Control`, `Content-Location`, `Date`, `ETag`, `Expires` and `Vary` a 200 would have had — the cache needs
# them to refresh its stored copy — and no other *representation metadata* (`Content-Type`, `Content-Length`, ...).
# Fields about the exchange rather than the representation stay: a `Set-Cookie`, a `Link`, a request id.
#
# ```mermaid
# sequenceDiagram
#     participant C as client (its cache)
#     participant A as API
#     C->>A: GET /tasks/1
#     A-->>C: 200, ETag "task-1-v1-json", body
#     Note over C: keeps body + ETag
#     C->>A: GET /tasks/1, If-None-Match "task-1-v1-json"
#     A-->>C: 304, ETag, Cache-Control, Vary, no body
#     Note over C: uses its copy
# ```

# %%
etag = created.headers["etag"]
revalidated = api.get(url, headers={"If-None-Match": etag})
show(revalidated)

# %% [markdown]
# The saving is the body: here the task's description is 900 characters. The server still reads the row (it must,
# to know the version), so a 304 saves bandwidth and the client's parsing, not the query; a cache *in front* of the
# app that holds the tag would save the trip too.

# %%
full = api.get(url)
table([{"answer": "200", "body bytes": len(full.content)}, {"answer": "304", "body bytes": len(revalidated.content)}])

# %% [markdown]
# A copy of another representation or another version does not match, and gets the full 200:

# %%
[api.get(url, headers={"If-None-Match": tag, **accept}).status_code
 for tag, accept in ((etag, {}), (etag, {"Accept": "text/csv"}), ('"task-1-v0-json"', {}), ("*", {}))]

# %% [markdown]
# **Last-Modified, the older validator.** Tasks have an `updated_at`, so the API also sends `Last-Modified`, and a
# client that keeps dates instead of tags revalidates with `If-Modified-Since`: 304 when the task has not changed
# since that date. A date is a coarser validator than a tag — HTTP dates count whole seconds, so two changes in one
# second share a date — which is why the API sends `Last-Modified` only once the second of the change is over
# (RFC 9110 §8.8.2.2), and why, when a request carries both, **If-None-Match decides alone** and If-Modified-Since is
# ignored (§13.1.3). The task above changed just now, so first we wait for its second to end:

# %%
import time
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

updated = datetime.fromisoformat(full.json()["updated_at"].replace("Z", "+00:00"))
time.sleep(max(0.0, int(updated.timestamp()) + 1 - time.time()))  # the clock, not a server: at most one second
dated = api.get(url)
since = dated.headers["last-modified"]
a_second_before = format_datetime(parsedate_to_datetime(since) - timedelta(seconds=1), usegmt=True)
show(dated, headers=["etag", "last-modified"], body=False)

# %%
{"If-Modified-Since: Last-Modified": api.get(url, headers={"If-Modified-Since": since}).status_code,
 "If-Modified-Since: a second before": api.get(url, headers={"If-Modified-Since": a_second_before}).status_code,
 "both, the tag stale": api.get(url, headers={"If-Modified-Since": since,
                                              "If-None-Match": '"task-1-v0-json"'}).status_code}

# %% [markdown]
# **Cache-Control per route.** Task and user data belongs to someone; from chapter 10 on it is
# `private, no-cache`: the client's own cache may keep it and must revalidate every time (cheap now); no CDN or
# shared proxy may keep it. `/health` stays `no-store`, the script of chapter 02 `public, max-age=3600`:

# %%
[(path, api.get(path, headers=ada).headers["cache-control"]) for path in ("/tasks", url, "/users/1", "/health",
                                                                       "/client.js")]

# %% [markdown]
# ## Conditional write: If-Match
# To change a task, the client sends the tag of the version it read in `If-Match`. The server reads the task *under
# the write lock*, compares **strongly**, and either writes or refuses with **412 Precondition Failed** — and then
# nothing changes. The policy for a write without If-Match is **428 Precondition Required** (RFC 6585): a client that
# really means "overwrite whatever is there" says so with `If-Match: *`.
#
# ```mermaid
# sequenceDiagram
#     participant A as Ada
#     participant B as Bob
#     participant S as API + database
#     A->>S: GET /tasks/1
#     S-->>A: 200, ETag "v1"
#     B->>S: GET /tasks/1
#     S-->>B: 200, ETag "v1"
#     A->>S: PATCH, If-Match "v1"
#     Note over S: lock row, v1 = v1: write → v2, commit
#     S-->>A: 200, ETag "v2"
#     B->>S: PATCH, If-Match "v1"
#     Note over S: lock row, v1 ≠ v2: refuse
#     S-->>B: 412, nothing changed
#     B->>S: GET /tasks/1 (reads v2, merges)
#     B->>S: PATCH, If-Match "v2"
#     S-->>B: 200, ETag "v3"
# ```

# %%
show_source(ch10_http_caching.ETagConditions.check)

# %%
current = api.get(url).headers["etag"]
show(api.patch(url, json={"title": "buy oat milk"}, headers={**ada, "If-Match": current}),
     headers=["etag"], request_headers=["if-match"], body=False)

# %% [markdown]
# Bob still holds `current`, now stale:

# %%
show(api.patch(url, json={"done": True}, headers={**ada, "If-Match": current}), request_headers=["if-match"])

# %% [markdown]
# A missing If-Match, a weak tag (never good enough for a write) and `*`:

# %%
fresh = api.get(url).headers["etag"]
[(if_match, api.patch(url, json={"done": True}, headers={**ada, **({"If-Match": if_match} if if_match else {})}
                      ).status_code)
 for if_match in (None, f"W/{fresh}", fresh.replace("json", "csv"), "*")]

# %% [markdown]
# The CSV tag of the current version passed. **That is a deviation from RFC 9110 §13.1.1**, which compares If-Match
# with the ETag of the *selected* representation — the one this request would get, JSON here — so a strict server
# answers 412. We accept the tag of any representation of the current version because what If-Match guards is the
# task's state, and both tags name the same state: a client that read the CSV and writes JSON is not writing from a
# stale copy. A stale version still gets 412, and a weak tag never passes. `*` wrote over whatever was there — the
# explicit form of last-write-wins, for a client that truly means it. 404 and 403 still
# come first: a precondition is about a resource that exists and that you may change. The contract says so too:

# %%
operation = api.get("/openapi.json").json()["paths"]["/tasks/{task_id}"]["patch"]["responses"]
{status: operation[status]["description"] for status in ("412", "428")}

# %% [markdown]
# ## Why the check must hold the lock
# Comparing the tag and then writing is a check-then-act. If two requests both compare before either writes, both
# pass, and we are back to a lost update. A transaction alone does not stop that: its **isolation level** says what
# it sees of other transactions, and at the default ones a plain read takes no lock. PostgreSQL's default, READ
# COMMITTED, lets two transactions read the same row at once, each then writing from what it read; SQLite lets any
# number of readers in and takes its write lock only at the first write. (Chapter 13 returns to the levels: at
# SERIALIZABLE the database itself would refuse one of the two, and the client would retry.) So the check reads the
# task *as it will be written*, under an explicit lock: `begin_write()` takes it first — on SQLite `BEGIN IMMEDIATE`
# (the database's single write lock, waited for; a deferred transaction that read first could not upgrade its lock
# and would fail with "database is locked"), on PostgreSQL `SELECT … FOR UPDATE` (a lock on the rows it reads, held
# to the commit). The second writer waits for the first to commit, then reads the new version, and its tag no longer
# matches:

# %%
from course_lib.taskapi.sql_repositories import SqlUnitOfWork

show_source(SqlUnitOfWork.begin_write)

# %% [markdown]
# The same fifty clients, the same barrier, each sending the tag it read:

# %%
race_url = api.post("/tasks", json={"title": "contended"}, headers=ada).headers["location"]
before = api.get(race_url).headers["etag"]
statuses = append_at_once(api, race_url, ada, conditional=True)
after = api.get(race_url)
{status: statuses.count(status) for status in set(statuses)}, before, after.headers["etag"]

# %% [markdown]
# One 200, 49 × 412, the version went from 1 to 2 — exactly one write applied, and the 49 others were *told*. A
# client that gets 412 reads again, merges its change into the new version, and retries (exercise 3). The demo runs
# on SQLite by default; with `DATABASE_URL` pointing at PostgreSQL the same cell gives the same numbers through row
# locks.

# %% [markdown]
# ## Try it
# - Open the API docs (`api`'s link above), GET a task, copy its ETag, and PATCH it twice with the same If-Match.
# - Send `If-None-Match: *` to a task that exists, and to one that does not.
# - Ask for `text/csv` and compare the ETags: why may a cache never answer a CSV request with the JSON bytes?

# %% [markdown]
# ## Exercises

# %%
from course_lib.checks.ch10 import q1, q2, q3

# %% [markdown]
# **Exercise 1.** Write `precondition_status(if_match, current)`: what the server answers a write, given the
# If-Match header (`None` when absent) and the task's current strong ETag: `428` without the header, `None` (go
# ahead) when it is `*` or when one of its tags equals `current` *strongly*, else `412`. The header is a
# comma-separated list of entity-tags, but a tag may itself contain a comma (`"a,b"` is one tag: anything but `"`
# may sit between the quotes), so find the quoted tags rather than splitting on commas. A header that is not a list
# of tags (`junk`) names no version: `412`.

# %%
### BEGIN SOLUTION
import re

ENTITY_TAG = re.compile(r'\s*((?:W/)?"[^"]*")\s*(?:,|$)')  # one list member: optional W/, a quoted opaque part


def entity_tags(header: str) -> list[str]:
    """The entity-tags of an If-Match list, in order; [] when the header is not a list of tags."""
    tags, position = [], 0
    while position < len(header):
        match = ENTITY_TAG.match(header, position)
        if match is None:
            return []  # malformed: it names no version, so no write can go ahead on it
        tags.append(match.group(1))
        position = match.end()
    return tags


def precondition_status(if_match: str | None, current: str) -> int | None:
    if if_match is None:
        return 428
    if if_match.strip() == "*":
        return None
    tags = entity_tags(if_match)
    return None if any(tag == current and not tag.startswith("W/") for tag in tags) else 412
### STUB
precondition_status = None  # YOUR CODE HERE
### END SOLUTION

# %%
q1.check(precondition_status)

# %% [markdown]
# **Exercise 2.** Write the client half of a private cache: `fetch(client, url, cached)` returns
# `{"etag": ..., "body": ...}`. With nothing cached (`None`) it GETs the task; with a cached copy it sends that
# copy's ETag in `If-None-Match` and returns the copy on 304, or the new version on 200.

# %%
### BEGIN SOLUTION
def fetch(client: httpx.Client, url: str, cached: dict | None) -> dict:
    headers = {"If-None-Match": cached["etag"]} if cached else {}
    response = client.get(url, headers=headers)
    if response.status_code == 304:
        return cached
    return {"etag": response.headers["etag"], "body": response.json()}
### STUB
fetch = None  # YOUR CODE HERE
### END SOLUTION

# %%
q2.check(fetch)

# %% [markdown]
# **Exercise 3.** Write `append_line(client, url, line, auth)`: add `"\n" + line` to the task's description without
# ever losing another writer's line. Read the task, PATCH with `If-Match` set to the ETag you read, and on 412 read
# again and retry — but not forever: at most 10 tries, and between them wait a random time that grows with each try
# (*jittered exponential backoff*: writers that retry in step collide again, and a loop without a bound hangs a
# client when the task keeps changing). Return the successful response, or the last 412 when every try was refused,
# so the caller learns the line was not added. The check runs 8 of them at once, all reading the same version, and
# one against a server whose every PATCH is 412.

# %%
### BEGIN SOLUTION
import random
import time

TRIES = 10


def append_line(client: httpx.Client, url: str, line: str, auth: dict) -> httpx.Response:
    for attempt in range(TRIES):
        task = client.get(url)
        description = task.json()["description"] + "\n" + line
        response = client.patch(url, json={"description": description},
                                headers={**auth, "If-Match": task.headers["etag"]})
        if response.status_code != 412:
            return response
        time.sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))  # full jitter, capped at 0.2 s
    return response  # still 412 after TRIES tries: the caller reports it
### STUB
append_line = None  # YOUR CODE HERE
### END SOLUTION

# %%
q3.check(append_line)

# %% [markdown]
# ## Recap
# - Caches sit at every hop: browser, CDN, reverse proxy, application cache, database index. HTTP headers steer the
#   first three; `private` keeps per-user data out of shared ones, `no-cache` means "revalidate before use".
# - An ETag names one version of one representation. Strong tags promise bytes (so JSON and CSV get different tags);
#   weak tags promise meaning, and cannot guard a write.
# - `If-None-Match` + a current tag → **304**, no body, with ETag, Cache-Control and Vary (and every field that is not
#   about the representation, such as Set-Cookie). Without If-None-Match, `If-Modified-Since` is compared with
#   `Last-Modified`, to the second.
# - `If-Match` turns a lost update into a **412**; without it the API answers **428** (its stated policy), and `*` is
#   the explicit "overwrite". The comparison is strong, and it runs under the write lock, in the request's unit of
#   work: 50 concurrent writers with one tag → 1 × 200, 49 × 412.
#
# ## Going further
# - [RFC 9110 §13, Conditional Requests](https://www.rfc-editor.org/rfc/rfc9110#section-13) and
#   [§8.8.3, ETag](https://www.rfc-editor.org/rfc/rfc9110#section-8.8.3) (strong and weak comparison).
# - [RFC 9111, HTTP Caching](https://www.rfc-editor.org/rfc/rfc9111): `max-age`, `s-maxage`, `stale-while-revalidate`.
# - [RFC 6585 §3, 428 Precondition Required](https://www.rfc-editor.org/rfc/rfc6585#section-3).
# - [SQLite: BEGIN IMMEDIATE](https://www.sqlite.org/lang_transaction.html) and
#   [PostgreSQL: SELECT … FOR UPDATE](https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-ROWS).
# - Chapter 16 puts an application cache (Redis) behind these headers, and gives lists a validator too.
#
# ## Where this lives in course_lib
# `course_lib/web/conditional.py` (entity tags, the two comparisons, the 304 middleware),
# `course_lib/taskapi/ch10_http_caching.py` (ETags on tasks, If-Match on writes, private caching),
# `course_lib/taskapi/sql_tables.py` (the `version` column), `course_lib/taskapi/sql_repositories.py`
# (`begin_write`), `course_lib/services/db.py` (`BEGIN IMMEDIATE` on SQLite), `course_lib/web/cache_control.py` (the
# rules), `course_lib/checks/ch10.py` (the checks).
