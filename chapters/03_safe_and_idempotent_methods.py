# %% [markdown]
# # Chapter 03 — Safe and idempotent methods
# *Networks lose answers. Which requests can a client simply send again — and how to make POST one of them.*
#
# **Learning goals**
# - say which methods are **safe** (change nothing) and which are **idempotent** (twice = once), and prove it by
#   comparing the server's state before and after;
# - see PUT and DELETE reach the same end state however often they are repeated, and POST create a duplicate;
# - make POST (and PATCH) retry-safe with the `Idempotency-Key` header of the IETF draft: replay after completion,
#   409 while in flight, 422 for a reused key, 400 when a required key is missing; and this API's own policy on top:
#   keys scoped per client and operation, which outcomes are kept, for how long, and what happens when Redis is down;
# - watch a client whose response is lost retry: duplicates without a key, exactly one task with it — also under 20
#   concurrent requests.
#
# **Why it matters.** A timeout does not tell the client whether the server did the work. Retrying is the only way
# forward, and it is harmless only when the request is idempotent. Payments charged twice and orders placed twice are
# this bug; the cure is a property of the API, not of the client.

# %%
from course_lib import serve, show, show_source, start_chapter, table

start_chapter(3, "Safe and idempotent methods")

# %% [markdown]
# ## Two properties of a method
# RFC 9110 §9.2 defines them on the *intended effect on the server's state*, not on the response:
#
# | method | safe: changes nothing | idempotent: twice has the effect of once |
# |---|---|---|
# | GET, HEAD, OPTIONS | yes | yes |
# | PUT (replace with this) | no | yes |
# | DELETE | no | yes |
# | POST (create, process) | no | no |
# | PATCH (apply these changes) | no | not in general |
#
# PATCH is not in RFC 9110: RFC 5789 defines it, and says it is neither safe nor idempotent. A patch *can* happen to be
# idempotent ("set done to true"), but one such as "append this line" or "add 1" is not, so a client cannot assume it.
# Safe implies idempotent: doing nothing twice is still nothing. CONNECT (RFC 9110 §9.3.6) is neither safe nor
# idempotent either: it opens a tunnel through a proxy, which is not an API's business. The routes are chapter
# 01's — `PUT /tasks/{id}` replaces a task whole, and two tasks may share a title (real task lists have two "buy
# milk"s) — and what this chapter adds is `Idempotency-Key` on every POST and PATCH:

# %%
from course_lib.taskapi import ch03_idempotency

show_source(ch03_idempotency.extend)

# %%
app = ch03_idempotency.create_app()
api = serve(app)
for title in ("write the chapter", "review it"):
    api.post("/tasks", json={"title": title})


def snapshot() -> list[dict]:
    """The server's state as the client can see it: every task."""
    return api.get("/tasks").json()


snapshot()

# %% [markdown]
# ## Safe methods change nothing
# The proof is an experiment: record the state, send many safe requests, compare.

# %%
before = snapshot()
for method in ("GET", "HEAD", "OPTIONS"):
    for path in ("/tasks", "/tasks/1", "/tasks/99"):
        for _ in range(3):
            api.request(method, path)
snapshot() == before

# %% [markdown]
# ## PUT and DELETE: repeated, the same end state
# PUT sends the *whole* new state of the resource, so sending it again sets the same state again — the state the
# client sets: title, description, done.

# %%
from course_lib.taskapi.routes import tasks

show_source(tasks.router, highlight_text=("@tasks.put", "@tasks.delete", "write.change", "write.delete"))

# %% [markdown]
# Each write route says only *what* to change. `TaskWrites` does the writing, in the same order for every route:
# find the task (404), check who may change it (403, from chapter 05) and the request's precondition (412, from
# chapter 10), write, commit, tag the answer. A route copied to make a new one cannot drop a step, because it never
# wrote the steps:

# %%
show_source(tasks.TaskWrites, highlight_text=("writable(", "update(", "delete(", "commit()"))

# %%
replacement = {"title": "write the chapter", "done": True}
results = [api.put("/tasks/1", json=replacement) for _ in range(3)]
table([{"PUT": n + 1, "status": r.status_code, "title": r.json()["title"], "description": r.json()["description"],
        "done": r.json()["done"], "updated_at": r.json()["updated_at"]} for n, r in enumerate(results)])

# %% [markdown]
# One field does move on with every PUT: `updated_at`, the server's note of when it last wrote the task. RFC 9110
# §9.2.2 allows it: "the idempotent property only applies to what has been requested by the user; a server is free to
# log each request separately, retain a revision control history, or implement other non-idempotent side effects for
# each idempotent request." The client asked for a title and a done flag, and gets exactly those however often it
# sends the request.

# %% [markdown]
# DELETE is idempotent too, although the *responses* differ: the first says 204, the next ones 404. Idempotency is
# about the state the server ends in, and that is the same:

# %%
states = []
for attempt in range(3):
    response = api.delete("/tasks/2")
    states.append({"attempt": attempt + 1, "status": response.status_code, "tasks left": len(snapshot())})
table(states)

# %% [markdown]
# ## POST repeated: a duplicate
# POST asks the server to create something new each time. Two identical POSTs, two tasks:

# %%
first = api.post("/tasks", json={"title": "buy milk"})
second = api.post("/tasks", json={"title": "buy milk"})
first.headers["location"], second.headers["location"], [t["title"] for t in snapshot()].count("buy milk")

# %% [markdown]
# ## The lost response
# The dangerous case: the request reaches the server, the server creates the task, and the answer is lost on the way
# back (a dropped connection, a timeout, a crashed proxy). The client cannot tell this from "the request never
# arrived", so it retries:
#
# ```mermaid
# sequenceDiagram
#     participant C as client
#     participant S as task API
#     C->>S: POST /tasks {"title": "pay rent"}
#     S->>S: create task 5
#     S--xC: 201 Created (lost)
#     C->>S: POST /tasks {"title": "pay rent"} (retry)
#     S->>S: create task 6 — a duplicate!
#     S->>C: 201 Created
# ```
#
# To show it for real, an httpx transport delivers each request but loses the first response:

# %%
from course_lib.lab.lossy import LoseResponses, new_key, post_with_retries

show_source(LoseResponses)

# %%
import httpx

with httpx.Client(base_url=api.url, transport=LoseResponses(lost=1)) as flaky:
    response, seen = post_with_retries(flaky, "/tasks", {"title": "pay rent"})
print("attempts:", seen)
print("tasks titled 'pay rent':", [t["title"] for t in snapshot()].count("pay rent"))

# %% [markdown]
# ## Idempotency-Key: make POST retry-safe
# The IETF draft *The Idempotency-Key HTTP Header Field* (draft-ietf-httpapi-idempotency-key-header, still a draft)
# standardises what payment APIs have done for years, for the methods an API sends changes with that are not
# idempotent: POST and PATCH (CONNECT, the third non-idempotent method, carries no request to repeat).
# The client makes up a unique key (a UUID) for each *operation* and sends it with every attempt of that operation:
# `Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324"`. The server runs the first request with a key, stores its
# response, and answers every retry with the stored response. The draft fixes the header and the error cases (400,
# 409, 422 below) and asks each server to publish its own policy — how long keys live, what makes two requests the
# same. This API's:

# %%
from course_lib.web import idempotency

print(idempotency.__doc__)

# %% [markdown]
# The same lost response, now with a key. The retry gets the original 201 back, and there is one task. This API marks
# a replay with `Idempotent-Replayed: true`, a header it borrows from Stripe's API: the draft defines no such field,
# and a client must not depend on it.

# %%
with httpx.Client(base_url=api.url, transport=LoseResponses(lost=1)) as flaky:
    response, seen = post_with_retries(flaky, "/tasks", {"title": "pay the phone bill"}, idempotency_key=new_key())
print("attempts:", seen)
print("tasks titled 'pay the phone bill':", [t["title"] for t in snapshot()].count("pay the phone bill"))

# %% [markdown]
# ### How the server does it
# A middleware wraps every POST and PATCH, so it also covers the routes later chapters add. The key is claimed with
# one atomic Redis command, `SET name value NX PX 15000` — "set only if it does not exist", for 15 s — so of many
# simultaneous requests exactly one wins:

# %%
show_source(idempotency.IdempotencyStore.claim)

# %%
show_source(idempotency.IdempotencyMiddleware.__call__)

# %% [markdown]
# The stored response is the complete one — status, headers, body — saved *before* the client sees the end of it, so
# a retry can never arrive before it is there. A replay is byte for byte the original:

# %%
key = {"Idempotency-Key": '"order-42"'}
original = api.post("/tasks", json={"title": "ship order 42"}, headers=key)
replay = api.post("/tasks", json={"title": "ship order 42"}, headers=key)
show(replay, request_headers=["idempotency-key"])

# %%
replay.content == original.content, replay.status_code == original.status_code

# %% [markdown]
# ### The same key for a different request: 422
# A key names one operation. Reusing it with another payload is a client bug, and the server says so instead of
# silently replaying the wrong answer. The server compares a fingerprint of method, path and body (JSON by content,
# so key order does not matter):

# %%
show(api.post("/tasks", json={"title": "ship order 43"}, headers=key), request_headers=["idempotency-key"])

# %% [markdown]
# ### A retry while the first is in flight: 409
# If the retry arrives while the first request is still running, there is no response to replay yet, and running it
# again is exactly what must not happen. To catch a request in flight without sleeping, the storage's `add` waits at
# a gate that this cell controls:

# %%
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager


class HeldTasks:
    """A task repository whose add() waits at a gate: a request caught in flight, without sleeping."""

    def __init__(self, inner, entered: threading.Event, gate: threading.Event) -> None:
        self.inner, self.entered, self.gate = inner, entered, gate

    def add(self, *args, **kwargs):
        self.entered.set()
        self.gate.wait(10)
        return self.inner.add(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


class HeldStorage:
    """The app's storage, but each request's unit of work adds tasks through the gate."""

    def __init__(self, inner) -> None:
        self.inner, self.entered, self.gate = inner, threading.Event(), threading.Event()

    @asynccontextmanager
    async def request_unit_of_work(self):
        async with self.inner.request_unit_of_work() as uow:
            uow.tasks = HeldTasks(uow.tasks, self.entered, self.gate)
            yield uow

    def __getattr__(self, name):
        return getattr(self.inner, name)


held = app.context.storage = HeldStorage(app.context.storage)
slow_key = {"Idempotency-Key": '"slow-1"'}
with ThreadPoolExecutor(1) as pool:
    first = pool.submit(httpx.post, f"{api.url}/tasks", json={"title": "slow"}, headers=slow_key, timeout=10)
    held.entered.wait(10)  # the first request is now inside the handler
    busy = api.post("/tasks", json={"title": "slow"}, headers=slow_key)
    held.gate.set()
    done = first.result()
app.context.storage = held.inner
show(busy, request_headers=["idempotency-key"])

# %%
after = api.post("/tasks", json={"title": "slow"}, headers=slow_key)
done.status_code, after.status_code, after.headers["idempotent-replayed"], after.content == done.content

# %% [markdown]
# ### Whose key is it?
# A key names one operation of one client. Two clients that happen to pick the same key must not see each other's
# responses, so the server keeps keys per client and per operation (method and path), as the draft and Stripe do.
# What is "a client"? This chapter's API does not know its users yet, so all it can tell clients apart by is the
# **peer address** — and that is only a stand-in: behind a NAT, a company proxy or chapter 11's nginx, many clients
# arrive from one address and share one key space. Here two clients, both on 127.0.0.1, pick the same key:

# %%
shared = {"Idempotency-Key": '"my-first-key"'}
alice = api.post("/tasks", json={"title": "alice's task"}, headers=shared)
bob = api.post("/tasks", json={"title": "bob's task"}, headers=shared)
alice.status_code, bob.status_code, bob.json()["title"]

# %% [markdown]
# From chapter 05 on the API knows who is calling, and a key belongs to that user. The middleware reads no
# credentials itself: it asks the app's own `current_user` dependency — the very code the routes run — so an API key
# (chapter 05), a session cookie (chapter 09) and a bearer token (chapter 15) all name the same user, and a retry sent
# with a refreshed token still finds its key. When that dependency refuses (no credentials, a wrong one), the address
# stands in: the route refuses the request anyway, and a refusal is never kept (below).

# %%
show_source(ch03_idempotency.principal_from)

# %% [markdown]
# The same two requests on chapter 05's API, where Ada and Bob each send their own API key from the same address:

# %%
from course_lib.taskapi import app_for
from course_lib.taskapi.api_keys import sign_up

with_users = serve(app_for(5), name="with-users")
ada, bob = sign_up(with_users, "Ada"), sign_up(with_users, "Bob")
answers = [with_users.post("/tasks", json={"title": "order"}, headers={**who, **shared}) for who in (ada, bob)]
with_users.stop()
[(answer.status_code, answer.json()["owner_id"]) for answer in answers]

# %% [markdown]
# ### What is kept, and for how long
# Not every answer is worth replaying. The rule is what the first request did to the server's state:
#
# | the first request's answer | kept for retries? | why |
# |---|---|---|
# | 2xx, 3xx | yes, 24 h after it completed | it happened: a retry gets the same answer instead of doing it again |
# | 4xx (400, 401, 404, 406, 415, 422, ...) | no: the key is free at once | a refusal changes nothing here (a route checks before it writes, and what a unit of work does not commit is rolled back), so running the retry is safe — and a retry that corrects its `Accept`, its body or its credentials must run, not get the old refusal back |
# | 503 | no | "a dependency is down, come back after `Retry-After`": nothing ran |
# | any other 5xx, or a handler that crashed | yes, 24 h | the server cannot tell whether it failed before or after its commit, and running it again could do the work twice; the client checks (a GET) before it tries again with a new key |
#
# A request refused before its handler ran, then corrected: chapter 02's API speaks JSON and CSV, not XML.

# %%
order = {"title": "ship order 7"}
refused = api.post("/tasks", json=order, headers={"Idempotency-Key": '"order-7"', "Accept": "application/xml"})
corrected = api.post("/tasks", json=order, headers={"Idempotency-Key": '"order-7"', "Accept": "application/json"})
refused.status_code, corrected.status_code, "idempotent-replayed" in corrected.headers

# %% [markdown]
# A claim lives 15 s (`CLAIM_TTL`), and the middleware renews it every 5 s while its request runs, so a slow request
# keeps its key however long it takes; only a server that died stops renewing, and 15 s later the client's retry can
# run. A kept response expires 24 h after it completed:

# %%
store = app.context.idempotency
ttls = [store.redis.ttl(name) for name in store.redis.scan_iter(match=f"{store.prefix}*")]
print("stored keys:", len(ttls), "· prefix of this app:", store.prefix.split(":")[0] + ":<app id>:")
print("every key expires within 24 h:", all(0 < ttl <= idempotency.KEY_TTL for ttl in ttls))
print(f"a claim lives {idempotency.CLAIM_TTL} s, renewed every {idempotency.CLAIM_TTL / 3:g} s while its request runs")

# %% [markdown]
# The keys live in Redis, not in the process. This app has a database of its own, so it has keys of its own, dropped
# with its data when it stops. Replicas on one database (chapter 11) share one prefix named after that database, so
# a retry that lands on another replica, or on a restarted one, is still replayed — the course's tests
# (`tests/taskapi/test_ch03_idempotency.py`) send one key to two replicas and across a restart, and find one task.
#
# And when Redis is down, the middleware cannot tell a first request from a retry, so it runs nothing and answers
# **503** with `Retry-After` — at once: its Redis client gives up after 0.25 s rather than retrying for seconds.
# (A claim sent just as Redis stopped may still reach it when it resumes: that key then answers 409 for up to 15 s,
# until the claim no one holds expires.) Here a socket that accepts connections and never answers plays a stopped
# redis-server:

# %%
import socket

import redis

from course_lib.services.cache_aside import FAIL_FAST

working = store.redis
with socket.create_server(("127.0.0.1", 0)) as silent:
    store.redis = redis.Redis(host="127.0.0.1", port=silent.getsockname()[1], **FAIL_FAST)
    down = api.post("/tasks", json={"title": "later"}, headers={"Idempotency-Key": '"later-1"'})
store.redis = working
show(down, headers=["content-type", "retry-after"])

# %% [markdown]
# ### A key the server requires: 400 when it is missing
# This task API takes a key when the client sends one and runs a POST without one as before: a duplicate task is
# an annoyance. For an operation that must never run twice — a payment — the server can *require* the key: the
# draft says a request without it gets **400 Bad Request**, with a problem body linking to the documentation. A
# client that forgot the key learns at once, instead of on the day a retry charges twice. The middleware has a
# `required` switch; a small payment app uses it:

# %%
from fastapi import FastAPI

from course_lib.services.cache import redis_client

payments_app = FastAPI()
charges: list[dict] = []


@payments_app.post("/payments", status_code=201)
def pay(body: dict) -> dict:
    charges.append(body)
    return {"id": len(charges), **body}


payment_keys = idempotency.IdempotencyStore(redis_client())
payments_app.add_middleware(idempotency.IdempotencyMiddleware, store=payment_keys, required=True)
payments = serve(payments_app, name="payments")
show(payments.post("/payments", json={"amount_cents": 4200}))

# %%
paid = payments.post("/payments", json={"amount_cents": 4200}, headers={"Idempotency-Key": f'"{new_key()}"'})
payments.stop()
payment_keys.clear()
paid.status_code, len(charges)

# %% [markdown]
# Each refusal is an RFC 9457 problem with its **own** `type` URI, so a client can tell them apart without parsing
# titles. (A `tag:` URI, RFC 4151, names a kind of problem without promising a web page behind it; the documentation
# link travels in the `Link` header.)

# %%
table([{"status": refusal.status, "type": refusal.type, "title": refusal.title}
       for refusal in (idempotency.MISSING, idempotency.INVALID, idempotency.IN_FLIGHT, idempotency.REUSED,
                       idempotency.UNAVAILABLE)])

# %% [markdown]
# ## Twenty at once
# The hardest case: 20 threads send the identical POST with one key at the same moment, against the real server in
# this kernel. Exactly one runs; the others get 409 (still in flight) or the replayed 201:

# %%
race_key = {"Idempotency-Key": f'"{new_key()}"'}


def post_once(_) -> int:
    with httpx.Client(base_url=api.url, timeout=10) as client:
        return client.post("/tasks", json={"title": "exactly once"}, headers=race_key).status_code


with ThreadPoolExecutor(20) as pool:
    statuses = list(pool.map(post_once, range(20)))
created = [t["title"] for t in snapshot()].count("exactly once")
print(f"{len(statuses)} requests · answers only 201 or 409: {set(statuses) <= {201, 409}} · tasks created: {created}")
assert created == 1

# %% [markdown]
# Without the key, the same 20 requests create 20 tasks:

# %%
def post_without_key(_) -> int:
    with httpx.Client(base_url=api.url, timeout=10) as client:
        return client.post("/tasks", json={"title": "twenty times"}).status_code


with ThreadPoolExecutor(20) as pool:
    statuses = list(pool.map(post_without_key, range(20)))
print("tasks created:", [t["title"] for t in snapshot()].count("twenty times"))

# %% [markdown]
# ## Try it
# - Send a POST with `Idempotency-Key: ""`: what status, and why?
# - Make `LoseResponses(lost=3)` and `post_with_retries(..., attempts=3)`: the client gives up. Did the server
#   create the task anyway? What would the client have to do next?
# - Read the draft's section on fingerprints: should `{"title": "a"}` and `{ "title" : "a" }` count as the same
#   request?
#
# ## Exercises

# %%
from course_lib.checks.ch03 import q1, q2, q3

# %% [markdown]
# **Exercise 1.** For each method, is it safe, and is it idempotent (by RFC 9110)?

# %%
### BEGIN SOLUTION
properties = {
    "GET": {"safe": True, "idempotent": True},
    "HEAD": {"safe": True, "idempotent": True},
    "OPTIONS": {"safe": True, "idempotent": True},
    "PUT": {"safe": False, "idempotent": True},
    "DELETE": {"safe": False, "idempotent": True},
    "POST": {"safe": False, "idempotent": False},
    "PATCH": {"safe": False, "idempotent": False},
}
### STUB
properties = {
    method: {"safe": None, "idempotent": None}
    for method in ("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH")
}
### END SOLUTION

# %%
q1.check(properties)

# %% [markdown]
# **Exercise 2.** Write `create_task_reliably(client, title)`: POST the task, retrying on `httpx.TransportError`
# (at least 3 attempts), so that exactly one task exists in the end; return the created task's JSON. The check runs it
# on a network that loses the first two responses.

# %%
def create_task_reliably(client: httpx.Client, title: str) -> dict:
    """POST /tasks until a response arrives, creating the task exactly once."""
    ### BEGIN SOLUTION
    key = new_key()
    for _ in range(5):
        try:
            response = client.post("/tasks", json={"title": title}, headers={"Idempotency-Key": f'"{key}"'})
        except httpx.TransportError:
            continue
        return response.json()
    raise RuntimeError("no response after every attempt")
    ### END SOLUTION


# %%
q2.check(create_task_reliably)

# %% [markdown]
# **Exercise 3.** Write the server's decision, `decide(record, fingerprint)`. `record` is what the store holds for
# this client and key: `None`, or a dict with `"state"` (`"in_flight"` or `"done"`) and the `"fingerprint"` of the
# request that claimed the key. Return `"run"`, `"replay"`, `409` or `422`.

# %%
def decide(record: dict | None, fingerprint: str):
    """What to do with a POST whose key has this record."""
    ### BEGIN SOLUTION
    if record is None:
        return "run"
    if record["fingerprint"] != fingerprint:
        return 422
    if record["state"] == "in_flight":
        return 409
    return "replay"
    ### END SOLUTION


# %%
q3.check(decide)

# %% [markdown]
# ## Recap
# - Safe: no intended change (GET, HEAD, OPTIONS). Idempotent: repeating has the effect of doing it once (also PUT,
#   DELETE). Proved by state, not by responses: DELETE answers 204 then 404, and the state is the same.
# - POST is neither, and PATCH (RFC 5789) is not idempotent in general, so a client whose response is lost cannot
#   retry them safely — unless the API supports `Idempotency-Key` (an IETF draft, for POST and PATCH). A PUT repeated
#   sets the same state; the server's own bookkeeping (`updated_at`) may move on (RFC 9110 §9.2.2).
# - The server claims (client, key) atomically, stores the whole response with a fingerprint of the request, and
#   answers retries: replay when done, 409 while in flight, 422 for a different request with the same key; 400 when
#   it requires a key and none came. `Idempotent-Replayed` is Stripe's marker, not the draft's.
# - Keys are per client (the user from chapter 05 on; until then the peer address, a stand-in) and per operation.
#   What happened, or may have (2xx, 3xx, 5xx other than 503), is kept 24 h; a refusal (4xx) or a 503 frees the key.
#   A claim is renewed while its request runs and expires 15 s after its server died. Replicas on one database share
#   their keys; Redis down is 503 + `Retry-After`, at once.
#
# ## Going further
# - [RFC 9110 §9.2, common method properties](https://www.rfc-editor.org/rfc/rfc9110#section-9.2);
#   [RFC 5789, PATCH](https://www.rfc-editor.org/rfc/rfc5789).
# - [The Idempotency-Key HTTP Header Field (IETF draft)](https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/).
# - Stripe's "Designing robust and predictable APIs with idempotency" — the practice the draft grew from.
# - Chapter 22 retries jobs with backoff and shows an effect applied once although a worker died mid-job.
#
# ## Where this lives in course_lib
# `course_lib/taskapi/ch03_idempotency.py` (this chapter's API), `course_lib/web/idempotency.py` (the middleware and its
# Redis store), `course_lib/lab/lossy.py` (the lossy network and the retrying client), `course_lib/checks/ch03.py`.
