# %% [markdown]
# # Chapter 02 — REST
# *Six constraints, not a URL style: what they buy you, each one shown on the running task API.*
#
# **Learning goals**
# - name REST's six constraints and say what each makes possible;
# - see each one on the task API: client–server, uniform interface, stateless, cacheable, layered system, code on
#   demand;
# - serve one resource in several **representations**, chosen by the client's `Accept` header (content negotiation),
#   and answer **406** when none fits — or know why a server may send its default instead;
# - say what *REpresentational State Transfer* means, and follow links instead of building URLs (HATEOAS);
# - label every response with `Cache-Control`, and watch a proxy in between use it.
#
# **Why it matters.** "REST API" usually means "JSON over HTTP". The constraints behind the name are what let the web
# scale: caches and proxies you never wrote can sit between your clients and your server, any server replica can
# answer any request, and clients and servers can change independently. An API that keeps the constraints gets those
# for free; one that breaks them (a session in server memory, a response with no caching rules) pays later.

# %%
from course_lib import serve, show, show_source, start_chapter, table

start_chapter(2, "REST")

# %% [markdown]
# ## Six constraints
# REST stands for **REpresentational State Transfer**. The client never touches a resource itself: it gets
# *representations* of the resource's state (a JSON document, a CSV file), and it moves through the application —
# from the task list to one task to "mark it done" — by following links in them, each step *transferring* the
# representation of the next state to the client (Fielding's picture: a user clicking through a web of pages). Roy
# Fielding's dissertation (2000) derives REST as a list of constraints, each adding a property to the system:
#
# | constraint | the rule | what it buys |
# |---|---|---|
# | client–server | UI and data storage are separate programs | each side evolves and deploys on its own |
# | stateless | each request carries everything needed to understand it | any server can answer; easy to scale out |
# | cacheable | each response says whether it may be reused | fewer requests, lower latency |
# | uniform interface | resources named by URLs, changed through representations, with self-describing messages and links | one client library talks to everything |
# | layered system | a component sees only the next layer | proxies, load balancers, caches in between |
# | code on demand (optional) | the server may send code for the client to run | behaviour ships with the data |
#
# ```mermaid
# flowchart LR
#     C[client<br/>httpx, browser] -->|HTTP: URL, method, Accept| P[proxy / cache]
#     P -->|same request| S[task API]
#     S -->|representation +<br/>Cache-Control| P
#     P -->|same or cached response| C
# ```
#
# This chapter's API is chapter 01's, minus the `/demo` scaffolding, plus what the constraints ask for:

# %%
from course_lib.taskapi import ch02_rest

show_source(ch02_rest.extend)

# %%
app = ch02_rest.create_app()
api = serve(app)
api

# %% [markdown]
# ## Client–server
# The client knows URLs and media types, nothing else: not the language of the server, not where tasks are stored.
# Here is a complete client:

# %%
import httpx


def task_titles(base_url: str) -> list[str]:
    """Everything this client knows about the server: one URL and that it answers JSON."""
    return [task["title"] for task in httpx.get(f"{base_url}/tasks").json()]


api.post("/tasks", json={"title": "read Fielding"})
api.post("/tasks", json={"title": "draw the layers"})
task_titles(api.url)

# %% [markdown]
# Now the server changes its storage behind the interface (a later chapter moves tasks into SQL the same way). The
# client's code does not change, and it keeps working:

# %%
from course_lib.taskapi.storage import MemoryStorage

app.context.storage = MemoryStorage()
app.context.storage.tasks.add("moved to new storage")
task_titles(api.url)

# %% [markdown]
# ## Uniform interface
# Every task is a URL; the same few methods act on every URL; each message describes itself (`content-type`, the
# status code); and the server hands the client links to follow instead of making it build URLs. After a POST, the
# `Location` header is that link:

# %%
created = api.post("/tasks", json={"title": "follow links"})
show(created)

# %%
show(api.get(created.headers["location"]))

# %% [markdown]
# ### Hypermedia as the engine of application state (HATEOAS)
# The last part of the uniform interface has a long name: **HATEOAS**. The server's representations carry links to
# what the client may do next, and the client follows them by their *relation name* instead of building URLs from
# documentation. `Location` above is one such link; chapter 06's `Link: <...>; rel="next"` header for the next page
# of a list is another. In a body it looks like this small app, whose task offers a `complete` link only while
# there is something to complete:

# %%
from fastapi import FastAPI, Request

hyper = FastAPI()
hyper_tasks = {1: {"id": 1, "title": "follow links", "done": False}}


def represent(task: dict, request: Request) -> dict:
    """A task plus links to what the client may do with it now: the links depend on the task's state."""
    links = {"self": str(request.url_for("read_task", task_id=task["id"]))}
    if not task["done"]:
        links["complete"] = str(request.url_for("complete_task", task_id=task["id"]))
    return {**task, "links": links}


@hyper.get("/")
def root(request: Request) -> dict:
    return {"links": {"tasks": str(request.url_for("list_tasks"))}}


@hyper.get("/tasks")
def list_tasks(request: Request) -> list[dict]:
    return [represent(task, request) for task in hyper_tasks.values()]


@hyper.get("/tasks/{task_id}")
def read_task(task_id: int, request: Request) -> dict:
    return represent(hyper_tasks[task_id], request)


@hyper.post("/tasks/{task_id}/complete")
def complete_task(task_id: int, request: Request) -> dict:
    hyper_tasks[task_id]["done"] = True
    return represent(hyper_tasks[task_id], request)


hyper_api = serve(hyper, name="hypermedia")
hyper_api.get("/tasks").json()

# %% [markdown]
# A client that knows one URL, the entry point, and the *names* of relations — never a URL pattern:

# %%
with httpx.Client() as client:
    tasks_url = client.get(hyper_api.url + "/").json()["links"]["tasks"]
    task = client.get(tasks_url).json()[0]
    while "complete" in task["links"]:  # the server says what is possible now
        task = client.post(task["links"]["complete"]).json()
hyper_api.stop()
task

# %% [markdown]
# The task API of this course stops at `Location` and `Link` headers, as most JSON APIs do; formats such as HAL and
# JSON:API standardise links in bodies.
#
# ## Representations and content negotiation
# A **resource** (task 2) is not its bytes: JSON is one **representation** of it, CSV another. The client says what it
# can read in `Accept`, with optional weights `q` between 0 and 1; the server picks the best type it can produce
# (RFC 9110 §12.5.1). No `Accept` means anything goes, and the server uses its default, JSON.

# %%
from course_lib.web.negotiation import negotiate

show_source(negotiate)

# %%
offered = ["application/json", "text/csv"]
accepts = [None, "*/*", "text/csv", "text/*", "text/csv;q=0.5, application/json", "image/png"]
table([{"Accept": accept, "chosen": negotiate(accept, offered)} for accept in accepts])

# %% [markdown]
# In the API, negotiation is a middleware, so it covers every JSON route — also the routes later chapters add. It
# re-renders the JSON a handler produced into the chosen type, and adds `Vary: Accept` so that caches keep the two
# representations apart:

# %%
from course_lib.web.negotiation import NegotiationMiddleware

show_source(NegotiationMiddleware.__call__)

# %%
show(api.get("/tasks"))

# %%
show(api.get("/tasks", headers={"Accept": "text/csv"}), request_headers=["accept"])

# %% [markdown]
# When the client accepts nothing the server can produce, RFC 9110 §12.5.1 leaves the server two choices: answer
# **406 Not Acceptable**, or disregard `Accept` and send its default representation, as if the header were absent.
# Many servers do the latter (a client that asks only for `text/html` still gets the JSON; a browser's address bar
# sends `text/html,…,*/*;q=0.8`, and the `*/*` already accepts JSON); this API chooses 406, listing the types
# the client could have asked for, so that a client with a wrong `Accept` learns so at once. The middleware decides
# before the handler runs, so a POST that would be answered with 406 creates nothing:

# %%
show(api.get("/tasks", headers={"Accept": "image/png"}), request_headers=["accept"])

# %%
before = len(api.get("/tasks").json())
refused = api.post("/tasks", json={"title": "never stored"}, headers={"Accept": "image/png"})
refused.status_code, len(api.get("/tasks").json()) == before

# %% [markdown]
# ## Stateless
# The server remembers nothing about a client between requests: no session, no "current page", no preferred format.
# Each request carries what the server needs — here, its own `Accept`. Three requests on one connection, three
# independent answers:

# %%
kinds = [api.get("/tasks", headers=headers).headers["content-type"]
         for headers in ({"Accept": "text/csv"}, {}, {"Accept": "text/csv"})]
kinds

# %% [markdown]
# Because no request depends on an earlier one, any replica of the server can answer any request (chapter 11 runs
# several behind nginx), and a retry may go to a different replica than the first attempt. Whether the retry is
# *safe* is another property, **idempotence**: a stateless server still creates a second task for a repeated POST
# (chapter 03 shows it, and the cure). Later chapters keep the server stateless: credentials travel with every
# request (an API key header, a token), never in server memory.
#
# ## Cacheable
# Every response says whether it may be reused, by whom, and for how long (RFC 9111). The API's policy, applied by a
# middleware to every response whose handler did not set its own:

# %%
from course_lib.web.cache_control import cache_control_for

show_source(cache_control_for)

# %%
app.context.cache_rules

# %%
samples = [("GET", "/tasks"), ("GET", "/tasks/2"), ("GET", "/tasks/99"), ("POST", "/tasks"), ("GET", "/health"),
           ("GET", "/client.js")]
rows = []
for method, path in samples:
    response = api.request(method, path, json={"title": "cache me"} if method == "POST" else None)
    rows.append({"request": f"{method} {path}", "status": response.status_code,
                 "cache-control": response.headers["cache-control"]})
table(rows)

# %% [markdown]
# - `no-cache`: a cache may keep the task list but must check with the server before reusing it — tasks change at any
#   moment. (Chapter 10 adds `ETag`, which makes that check cheap: 304 Not Modified.)
# - `no-store`: writes, errors and the health check must never be answered from a cache.
# - `public, max-age=3600`: the script changes only with a release, so any cache may reuse it for an hour.
#
# ## Layered system
# A client cannot tell whether it talks to the server or to something in between. Here is a tiny reverse proxy with
# a shared cache, running in this kernel in front of the API:

# %%
from course_lib.lab.proxy import ReverseProxy

show_source(ReverseProxy.handle)

# %%
reverse = ReverseProxy(api.url)
proxy = serve(reverse, name="proxy")
rows = []
for path, accept in [("/tasks", "application/json"), ("/tasks", "text/csv"), ("/tasks/2", "application/json"),
                     ("/tasks/99", "application/json")]:
    direct = api.get(path, headers={"Accept": accept})
    through = proxy.get(path, headers={"Accept": accept})
    rows.append({"request": f"GET {path} ({accept})", "direct": direct.status_code, "via proxy": through.status_code,
                 "same body": direct.content == through.content})
table(rows)
assert all(row["same body"] for row in rows)

# %% [markdown]
# Same requests, same answers. On the way the proxy drops the **hop-by-hop** header fields, which describe one
# connection rather than the message (`Connection` and every field it names, `Keep-Alive`, `TE`,
# `Transfer-Encoding`, `Upgrade`, `Proxy-Connection`: RFC 9110 §7.6.1); it sets `Host` to the server it forwards to
# (§7.2) and recomputes `Content-Length` for the bytes it sends; it adds `Via`, and `X-Forwarded-For` with the
# address *it* saw (one a client wrote is dropped: chapter 11). And it uses `Cache-Control`: the script may be reused,
# so the second request for it never reaches the API; the task list is `no-cache`, so every request for it does. A
# request with credentials (`Authorization`, an API key, a cookie) asks for one user's data: a shared cache stores
# and reuses its answer only when the answer says `public` or `s-maxage` (RFC 9111 §3.5), or one user would be
# served another's.

# %%
forwarded_before = reverse.forwarded
first, second = proxy.get("/client.js"), proxy.get("/client.js")
tasks_twice = [proxy.get("/tasks").headers["x-cache"] for _ in range(2)]
print("client.js:", first.headers["x-cache"], "then", second.headers["x-cache"])
print("/tasks:   ", " then ".join(tasks_twice))
print("requests that reached the API:", reverse.forwarded - forwarded_before, "of 4")

# %%
show(second, headers=["content-type", "cache-control", "via", "x-cache"], body=False)

# %% [markdown]
# A layer can also fail on its own. When the server behind it cannot be reached, a proxy answers **502 Bad
# Gateway**; when the server takes too long, **504 Gateway Timeout** (RFC 9110 §15.6.3, §15.6.5). A 500 would claim
# that the proxy itself is broken. Two stand-ins for a broken API: a port nobody listens on, and one that accepts
# connections but never answers:

# %%
import socket

with socket.socket() as refusing, socket.socket() as silent:
    refusing.bind(("127.0.0.1", 0))  # bound but not listening: connections are refused
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # the kernel accepts connections, nobody reads them
    rows = []
    for name, sock in (("refusing", refusing), ("silent", silent)):
        gateway = serve(ReverseProxy(f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=0.5), name=f"{name}-proxy")
        answer = gateway.get("/tasks")
        gateway.stop()
        rows.append({"server behind the proxy": name, "status": answer.status_code, "title": answer.json()["title"],
                     "detail": answer.json()["detail"]})
table(rows)

# %% [markdown]
# ## Code on demand
# The one optional constraint: the server may send code that extends the client. `GET /client.js` is a small script
# that turns the JSON task list into an HTML list; `GET /app` is a page that loads it. Open the page in your browser
# (the link works on Binder too):

# %%
show(api.get("/client.js"))

# %%
from course_lib.notebook.server import public_url

print(public_url(api.port, "/app"))

# %% [markdown]
# ## Try it
# - Ask for `Accept: text/csv;q=0.9, application/json;q=0.9`. Who breaks the tie?
# - Stop the API (`api.stop()`) and request `/client.js` through the proxy: the cached copy still answers; `/tasks`
#   does not (a 502 from the proxy, which cannot reach the API).
# - Add a rule in front of `app.context.cache_rules` that lets caches keep `/tasks` for 5 seconds, and watch the proxy
#   answer `HIT`.
#
# ## Exercises

# %%
from course_lib.checks.ch02 import q1, q2, q3

# %% [markdown]
# **Exercise 1.** Name the constraint each situation shows. Use the names `"client-server"`, `"stateless"`,
# `"cacheable"`, `"uniform interface"`, `"layered system"`, `"code on demand"`.

# %%
### BEGIN SOLUTION
constraint_for = {
    "the browser app and the API are deployed and upgraded separately": "client-server",
    "every request carries its own credentials and Accept header; the server keeps no session": "stateless",
    "GET /client.js answers Cache-Control: public, max-age=3600": "cacheable",
    "every task is a URL, changed with the same few methods and media types": "uniform interface",
    "a reverse proxy answers for the API and the client cannot tell": "layered system",
    "the server sends a script that the browser runs": "code on demand",
}
### STUB
constraint_for = {
    "the browser app and the API are deployed and upgraded separately": None,
    "every request carries its own credentials and Accept header; the server keeps no session": None,
    "GET /client.js answers Cache-Control: public, max-age=3600": None,
    "every task is a URL, changed with the same few methods and media types": None,
    "a reverse proxy answers for the API and the client cannot tell": None,
    "the server sends a script that the browser runs": None,
}
### END SOLUTION

# %%
q1.check(constraint_for)

# %% [markdown]
# **Exercise 2.** Write `choose_media_type(accept, offered)` yourself: the offered type the client weighs highest, the
# server's order breaking ties, `None` when nothing offered is acceptable. A type's weight is the `q` of the *most
# specific* range that matches it (`text/csv` beats `text/*` beats `*/*`), 1 when no `q` is given; `q=0` means "not
# this". No header at all counts as `*/*`.

# %%
def choose_media_type(accept: str | None, offered: list[str]) -> str | None:
    """The best of `offered` for this Accept header, or None."""
    ### BEGIN SOLUTION
    ranges = []
    for part in (accept or "*/*").split(","):
        media_range, *params = [piece.strip() for piece in part.split(";")]
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                q = float(value)
        ranges.append((media_range.lower(), q))

    def weight(media_type: str) -> float:
        best, q_best = -1, 0.0
        for media_range, q in ranges:
            if media_range == media_type:
                rank = 2
            elif media_range == media_type.split("/")[0] + "/*":
                rank = 1
            elif media_range == "*/*":
                rank = 0
            else:
                continue
            if rank > best:
                best, q_best = rank, q
        return q_best

    q, _, chosen = max((weight(media_type), -index, media_type) for index, media_type in enumerate(offered))
    return chosen if q > 0 else None
    ### END SOLUTION


# %%
q2.check(choose_media_type)

# %% [markdown]
# **Exercise 3.** Write `add_notes_route(app, notes)`: it adds `GET /notes` to a plain FastAPI app (no middleware),
# answering the list `notes` as JSON by default, as CSV (`text/csv`, a header line then one line per note) when
# `Accept` prefers it, and 406 when neither is acceptable. Both representations carry `Cache-Control: max-age=60` and
# `Vary: Accept`. You may use your `choose_media_type` and `course_lib.web.negotiation.to_csv`.

# %%
from fastapi import Header, HTTPException, Response
from fastapi.responses import JSONResponse

from course_lib.web.negotiation import to_csv


def add_notes_route(app, notes: list[dict]) -> None:
    """Add GET /notes: JSON or CSV by Accept, 406 otherwise, cacheable for a minute."""
    ### BEGIN SOLUTION
    @app.get("/notes")
    def list_notes(accept: str | None = Header(default=None)):
        chosen = choose_media_type(accept, ["application/json", "text/csv"])
        if chosen is None:
            raise HTTPException(406, "available: application/json, text/csv")
        headers = {"Cache-Control": "max-age=60", "Vary": "Accept"}
        if chosen == "text/csv":
            return Response(to_csv(notes), media_type="text/csv", headers=headers)
        return JSONResponse(notes, headers=headers)
    ### END SOLUTION


# %%
q3.check(add_notes_route)

# %% [markdown]
# ## Recap
# - REST (REpresentational State Transfer) is six constraints; each buys a property: independent evolution,
#   scalability, reuse, one interface, intermediaries, extensible clients.
# - HATEOAS: representations carry links to the next possible steps; clients follow relation names, not URL patterns.
# - A resource has representations; `Accept` (with `q` weights) picks one, the response says which in `Content-Type`
#   and that it depended on `Accept` in `Vary`; nothing acceptable → 406, or the default (RFC 9110 allows both).
# - Stateless: every request stands alone, so any replica can answer it. Whether a retry is harmless is idempotence.
# - Every response carries `Cache-Control`: `no-store`, `no-cache` (revalidate) or `max-age` for how long.
# - A proxy in between is invisible to the client, and it is where `Cache-Control` pays off. It drops hop-by-hop
#   fields, and answers 502 / 504 when the server behind it is down / too slow.
#
# ## Going further
# - [Fielding, *Architectural Styles and the Design of Network-based Software Architectures*, ch. 5](https://ics.uci.edu/~fielding/pubs/dissertation/rest_arch_style.htm)
#   — the constraints, in the original.
# - [RFC 9110 §12, content negotiation](https://www.rfc-editor.org/rfc/rfc9110#section-12) and
#   [RFC 9111, HTTP caching](https://www.rfc-editor.org/rfc/rfc9111).
# - Richardson's maturity model: where "JSON over HTTP" sits on the way to hypermedia.
#
# ## Where this lives in course_lib
# `course_lib/taskapi/ch02_rest.py` (this chapter's API), `course_lib/web/negotiation.py` (Accept, CSV, 406),
# `course_lib/web/cache_control.py` (Cache-Control policy), `course_lib/lab/proxy.py` (the layered proxy and its cache),
# `course_lib/checks/ch02.py` (the checks).
