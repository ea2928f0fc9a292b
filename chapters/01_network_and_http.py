# %% [markdown]
# # Chapter 01 — Network and HTTP
# *Under every API call: a TCP connection, a few lines of text, and a three-digit number that tells the client what
# happened.*
#
# **Learning goals**
# - send an HTTP request as raw bytes over a socket and read the raw response;
# - name the parts of a request and a response: request line, headers, empty line, body;
# - choose the right status code for each outcome, and see every code of the table come from a live handler;
# - know what HEAD and OPTIONS are for, and what 405 + `Allow` means;
# - tell from a status code whether the same request may be sent again;
# - read a raw ASGI app (scope, receive, send), the interface every middleware of this course is written against;
# - list the nine methods with their properties, and recognise a CORS preflight.
#
# **Why it matters.** Libraries hide HTTP behind function calls, but every bug you will chase later — a missing
# header, a wrong status, a body that is not what the client expects — lives in these bytes. A client decides what to
# do next (retry, log in, fix its input, give up) from the status code alone, so the code must be right.

# %%
from course_lib import serve, show, show_raw, show_source, start_chapter, table

start_chapter(1, "Network and HTTP")

# %% [markdown]
# ## The layers under a request
# HTTP is text carried by TCP, which is carried by IP. The client opens a TCP connection to a **host** (an IP
# address, here the loopback address `127.0.0.1`, which never leaves this machine) and a **port** (a number that
# picks one program on that host). Then it writes the request and reads the response on that connection.
#
# ```mermaid
# flowchart LR
#     A[httpx / browser] -->|HTTP text| B[TCP connection]
#     B -->|IP packets on 127.0.0.1| C[uvicorn: parses HTTP]
#     C -->|ASGI call| D[FastAPI: route to handler]
# ```
#
# This chapter's API keeps tasks in memory and answers each outcome with its own status code. Beside it runs a small
# demo app for the status codes the tasks cannot show yet:

# %%
from course_lib.taskapi import ch01_http

api = serve(ch01_http.create_app())
demo = serve(ch01_http.status_codes_app(), name="status-codes-demo")
api

# %% [markdown]
# ## HTTP is text: a request by hand
# No library: open a socket, write the request's bytes, read until the server closes. A request is a **request
# line** (method, target, version), **headers** (`Name: value`), an **empty line**, then an optional **body**. Lines
# end with `\r\n`. `Connection: close` asks the server to close the connection after answering, so we know when the
# response is complete.

# %%
from course_lib.lab.rawhttp import send_raw, split_response

show_source(send_raw)

# %%
raw_request = f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{api.port}\r\nConnection: close\r\n\r\n".encode()
raw_response = send_raw("127.0.0.1", api.port, raw_request)
show_raw(raw_response)

# %% [markdown]
# The response has the same shape: a **status line** (version, code, reason), headers, an empty line, the body.
# `content-length` tells the client how many body bytes to read. (`show_raw` masks the `date` header, which changes
# every second.)

# %%
status_line, headers, body = split_response(raw_response)
status_line, headers["content-type"], body

# %% [markdown]
# Break the rules and the server says so: HTTP/1.1 requires a `Host` header, and a request without one gets
# **400 Bad Request** from uvicorn before our app sees it.

# %%
status_line, _, _ = split_response(send_raw("127.0.0.1", api.port, b"GET /health HTTP/1.1\r\n\r\n"))
status_line

# %% [markdown]
# ## Status codes: what happened, in three digits
# The first digit is the class: **2xx** it worked, **4xx** the problem is on the client's side, **5xx** it is on the
# server's side. The class alone does not tell a client whether to send the same request again; the code does, as a
# section below shows. Here is how the task routes choose theirs. The router is written once, the way it will stay
# for the rest of the course; its arguments are *dependencies* that FastAPI fills in before the handler runs: `uow`,
# the storage of this one request, and `write`, the one way a route changes a task (chapter 03 opens it):

# %%
from course_lib.taskapi.routes import tasks

show_source(tasks.router, highlight_text=("status_code", "Location"))

# %% [markdown]
# The 404 comes from `find_task`. It raises `Problem`, FastAPI's `HTTPException` with room for the extra members
# of a problem-details body (chapter 08): every error a route of this API answers is raised that one way, so no route
# has to choose between two.

# %%
show_source(tasks.find_task, highlight_text=("Problem",))

# %%
show(api.post("/tasks", json={"title": "learn HTTP"}))

# %% [markdown]
# **201 Created** plus a `Location` header pointing at the new resource. A **409 Conflict** says the request is fine
# but clashes with the server's current state — booking a room someone already booked, on the demo app:

# %%
demo.post("/demo/rooms", json={"name": "blue"})
show(demo.post("/demo/rooms", json={"name": "blue"}))

# %% [markdown]
# **400** and **422** are both "your input is wrong", at different depths. Bytes that are not even JSON are
# malformed (400); well-formed JSON that breaks the schema is unprocessable (422). The app sorts them here:

# %%
show_source(ch01_http.malformed_is_400)

# %%
show(api.post("/tasks", content=b'{"title": ', headers={"content-type": "application/json"}))

# %%
show(api.post("/tasks", json={"name": "no title field"}))

# %% [markdown]
# ## The whole table, live
# Every row below is a real request to the running server; the table compares the status we expect with the one that
# came back. Codes that later chapters earn properly (202 for background jobs, 401/403 for auth, 429 for rate limits)
# come from the demo app's `/demo` routes for now.

# %%
status_demo = [
    (api, "GET", "/tasks/1", {}, 200, "OK: here it is"),
    (api, "POST", "/tasks", {"json": {"title": "write tests"}}, 201, "Created: new resource at Location"),
    (demo, "POST", "/demo/reports", {}, 202, "Accepted: will be done later"),
    (api, "DELETE", "/tasks/2", {}, 204, "No Content: done, nothing to say"),
    (api, "POST", "/tasks", {"content": b"{oops", "headers": {"content-type": "application/json"}}, 400, "Bad Request"),
    (demo, "GET", "/demo/admin", {}, 401, "Unauthorized: who are you?"),
    (demo, "GET", "/demo/admin", {"headers": {"Authorization": "Bearer learner-token"}}, 403, "Forbidden: not you"),
    (api, "GET", "/tasks/99", {}, 404, "Not Found"),
    (demo, "POST", "/demo/rooms", {"json": {"name": "blue"}}, 409, "Conflict with current state"),
    (api, "POST", "/tasks", {"json": {"title": 42}}, 422, "Unprocessable: valid JSON, invalid data"),
    (demo, "GET", "/demo/boom", {}, 500, "Internal Server Error: a bug"),
]
rows = []
for server, method, path, options, expected, meaning in status_demo:
    got = server.request(method, path, **options).status_code
    rows.append({"request": f"{method} {path}", "expected": expected, "got": got, "meaning": meaning})
table(rows)
assert all(row["expected"] == row["got"] for row in rows)

# %% [markdown]
# **429 Too Many Requests** needs several requests: the demo limiter allows three per client, then answers 429 with
# `Retry-After`, telling a well-behaved client how long to wait.

# %%
limited = [demo.get("/demo/limited") for _ in range(4)]
[r.status_code for r in limited]

# %%
show(limited[-1])

# %% [markdown]
# A **500** means the server broke. The client gets no details (and must not: tracebacks leak internals); the
# traceback goes to the server's log, which `serve()` keeps out of your cells and hands over on request:

# %%
[line.splitlines()[-1] for line in demo.logs(wait_for="RuntimeError") if line.startswith("ERROR")][-1]

# %% [markdown]
# ## What a client does next
# "4xx: change the request, 5xx: try later" is a first approximation with exceptions on both sides. **408 Request
# Timeout** and **429 Too Many Requests** say the request was not processed: the *same* request may be sent again,
# after waiting (`Retry-After`, when given). **409 Conflict** depends on the current state: re-read it, and the same
# request may succeed once the state has changed. **404 Not Found** says only that nothing is there *now* — it may
# be temporary (RFC 9110 §15.5.5) — while **410 Gone** says it is gone for good. On the server side, **503 Service Unavailable** is a temporary
# state (again with `Retry-After`), but **501 Not Implemented** will not work later, however long the client waits.
# And a **500**, **502** or **504** may come *after* the server did the work: resending is harmless only for an
# idempotent request (chapter 03). As a function:

# %%
def next_step(status: int) -> str:
    """What a well-behaved client does after a response with this status (RFC 9110 §15)."""
    if status < 300:
        return "done"
    if status in (408, 429, 503):
        return "wait (Retry-After if given), then send the same request again"
    if status == 409:
        return "re-read the current state, then decide; the same request may succeed"
    if status == 401:
        return "authenticate, then send it again"
    if status == 501:
        return "give up: the server does not implement this, now or later"
    if status >= 500:
        return "retry later, but only if the request is idempotent"
    if status == 410:
        return "give up: it is gone for good (410 is permanent); remove your links to it"
    if status == 404:
        return "check the URL; it may exist later (404 says nothing about permanence), so don't retry blindly"
    return "change the request; sent unchanged, it fails the same way"


table([{"status": code, "next step": next_step(code)}
       for code in (200, 400, 401, 403, 404, 408, 409, 410, 422, 429, 500, 501, 502, 503, 504)])

# %% [markdown]
# ## ASGI: how the server calls the app
# Between uvicorn and FastAPI sits one small interface, **ASGI**. For each request the server calls the app with three
# arguments: `scope`, a dict that describes the request (type, method, path, query, headers as byte pairs, client
# address); `receive`, an async function that hands over the body; and `send`, an async function the app calls to
# answer, first with `http.response.start` (status, headers), then with `http.response.body`. Any function with that
# signature is a web app. Here is one without a framework:

# %%
async def echo_app(scope, receive, send):
    """A complete ASGI app: it answers every HTTP request with the request's own method, path and body size."""
    if scope["type"] != "http":  # uvicorn also sends "lifespan" events (startup, shutdown): nothing to do here
        return
    size, more_body = 0, True
    while more_body:  # a body may arrive in several messages (a chunked upload): read until more_body is False
        message = await receive()  # {"type": "http.request", "body": b"...", "more_body": False}
        size += len(message.get("body", b""))
        more_body = message.get("more_body", False)
    text = f"{scope['method']} {scope['path']}?{scope['query_string'].decode()}: {size} body bytes"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": text.encode()})


raw = serve(echo_app, name="raw-asgi")
show(raw.post("/anything?x=1", content=b"hello"))
raw.stop()

# %% [markdown]
# The app gave no `Content-Length`, so uvicorn framed the body with `Transfer-Encoding: chunked` — the server owns the
# bytes on the wire, the app only the message. FastAPI is such an app too, only bigger: it reads `scope` to find the
# route, calls `receive` to parse the JSON body, and turns your handler's return value into the two `send` calls. A
# **middleware** is an ASGI app that wraps another one: it gets the same `scope`, `receive` and `send`, and may answer
# by itself, pass a changed `scope` on, or wrap `send` to watch the response go out. The next middleware does all three.

# %% [markdown]
# ## HEAD, OPTIONS and 405
# **HEAD** is GET without the body: the same status and headers, so a client can check that a resource exists or
# how big it is without downloading it. **OPTIONS** asks which methods a URL supports; the answer is the `Allow`
# header. A method the URL does not support gets **405 Method Not Allowed**, with `Allow` listing what would work.
# FastAPI does not do all of this by itself; a small middleware does, for every route:

# %%
from course_lib.web.http_methods import MethodsMiddleware

show_source(MethodsMiddleware)

# %%
show(api.request("HEAD", "/tasks/1"))

# %%
show(api.request("OPTIONS", "/tasks/1"))

# %%
show(api.post("/tasks/1", json={"title": "not a collection"}))

# %% [markdown]
# ### OPTIONS as a CORS preflight
# Most OPTIONS requests on the web are sent by browsers, not people. A page loaded from one **origin** (scheme, host
# and port, say `http://localhost:3000`) that calls an API on another origin with more than a "simple" request — a
# PUT or DELETE, a JSON body, a custom header — makes the browser ask first: an OPTIONS request carrying `Origin`,
# `Access-Control-Request-Method` and `Access-Control-Request-Headers`. Only if the answer's `Access-Control-Allow-*`
# headers permit it does the browser send the real request. This is **CORS** (Cross-Origin Resource Sharing, defined
# in the Fetch standard): the server grants, the browser enforces. This chapter's API grants nothing yet. It answers
# the preflight as it answers any OPTIONS — 204, and the methods in `Allow` — but with no `Access-Control-Allow-Origin`,
# and that missing field is the refusal: a browser sends the real request only when the preflight names its origin.
# So a browser would stop here:

# %%
preflight = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "PUT",
             "Access-Control-Request-Headers": "content-type"}
show(api.request("OPTIONS", "/tasks/1", headers=preflight), request_headers=list(preflight))

# %% [markdown]
# (Answering 405 instead would contradict `Allow`, which lists OPTIONS; answering with CORS headers would grant
# what nobody configured.) Chapter 20 (still to be written) will configure CORS for the task API: a CORS middleware
# placed in front of this one answers the preflights it grants before they reach it. Here is the same preflight against a small app with Starlette's
# `CORSMiddleware`, which lists the origins, methods and headers it allows:

# %%
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

cors_app = FastAPI()


@cors_app.put("/tasks/{task_id}")
def replace_task(task_id: int, body: dict) -> dict:
    return {"id": task_id, **body}


cors_app.add_middleware(CORSMiddleware, allow_origins=["http://localhost:3000"], allow_methods=["GET", "PUT"],
                        allow_headers=["content-type"])
cors_api = serve(cors_app, name="cors")
show(cors_api.request("OPTIONS", "/tasks/1", headers=preflight), request_headers=list(preflight))

# %% [markdown]
# A page from an origin the API does not list gets no `Access-Control-Allow-Origin`, and its browser never sends the
# PUT. (A client that is not a browser ignores CORS entirely: it protects users of browsers, not the API.)

# %%
stranger = cors_api.request("OPTIONS", "/tasks/1", headers={**preflight, "Origin": "http://evil.example"})
cors_api.stop()
stranger.status_code, stranger.text, "access-control-allow-origin" in stranger.headers

# %% [markdown]
# ## All the methods at a glance
# Nine HTTP methods are in general use: eight in RFC 9110 §9 and PATCH in RFC 5789 (IANA's method registry
# lists dozens more, most of them WebDAV's, such as PROPFIND and MKCOL). Three properties decide how clients, caches and
# proxies may treat each: **safe** — the client asks for no change on the server (§9.2.1); **idempotent** — sending
# it twice has the effect of sending it once (§9.2.2; chapter 03 builds on this); **cacheable** — a response may be
# stored and reused (§9.2.3). A POST or PATCH response is cacheable only when it says so explicitly (freshness
# information and a `Content-Location` naming the target), which almost no API does. The last column is this
# chapter's API, asked with each method about one task:

# %%
method_properties = [  # method, what it asks for, safe, idempotent, cacheable
    ("GET", "a representation of the resource", "yes", "yes", "yes"),
    ("HEAD", "GET's status and headers, no body", "yes", "yes", "yes"),
    ("OPTIONS", "which methods work here (and CORS)", "yes", "yes", "no"),
    ("TRACE", "an echo of the request, for diagnosis", "yes", "yes", "no"),
    ("PUT", "replace the resource with this", "no", "yes", "no"),
    ("DELETE", "remove the resource", "no", "yes", "no"),
    ("POST", "process this (often: create)", "no", "no", "if marked"),
    ("PATCH", "apply these changes", "no", "no", "if marked"),
    ("CONNECT", "a tunnel through a proxy (HTTPS)", "no", "no", "no"),
]
task_url = api.post("/tasks", json={"title": "try every method"}).headers["location"]
rows = []
for method, purpose, safe, idempotent, cacheable in method_properties:
    answer = "(proxies only)" if method == "CONNECT" else api.request(method, task_url).status_code
    rows.append({"method": method, "asks for": purpose, "safe": safe, "idempotent": idempotent,
                 "cacheable": cacheable, f"{task_url} here": answer})
table(rows)

# %% [markdown]
# GET, HEAD, OPTIONS and DELETE work on a task here. PUT and PATCH are routed too, so an empty body gets 422 (the
# body is invalid), not 405; POST, TRACE and any method without a route get 405 with `Allow`. TRACE is switched off on most
# servers, because echoing a request back can leak its credentials to a script. A method the server does not know at
# all (`FOO`, a typo) is not 405 but **501 Not Implemented** (RFC 9110 §15.6.2): 405 says "this resource lacks it",
# 501 "this server implements it nowhere". CONNECT asks a *proxy* to open a
# TCP tunnel — that is how a browser reaches an HTTPS site through a corporate proxy — and means nothing to an API.

# %% [markdown]
# ## Try it
# - Send `PATCH /tasks` and read the `Allow` header of the 405.
# - Send the same `POST /tasks` twice: two tasks. Chapter 03 asks why, and how a client can retry safely.
# - Write a raw request with `Connection: keep-alive` and see `send_raw` wait until the server's keep-alive timeout.
#
# ## Exercises

# %%
from course_lib.checks.ch01 import q1, q2, q3

# %% [markdown]
# **Exercise 1.** Write `build_request(host, path)`: the raw bytes of a `GET` for `path` that a server accepts
# (HTTP/1.1, a `Host` header, `Connection: close`). The check sends your bytes to a live server over a socket.

# %%
def build_request(host: str, path: str) -> bytes:
    """The raw bytes of an HTTP/1.1 GET request for `path` on `host`."""
    ### BEGIN SOLUTION
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    ### END SOLUTION


# %%
q1.check(build_request)

# %% [markdown]
# **Exercise 2.** Give the status code for each situation.

# %%
### BEGIN SOLUTION
status_for = {
    "read a task that exists": 200,
    "created a new task": 201,
    "accepted work that runs later": 202,
    "deleted, nothing to send back": 204,
    "body is not valid JSON": 400,
    "no credentials sent": 401,
    "credentials valid, permission missing": 403,
    "no task with that id": 404,
    "room already booked": 409,
    "JSON valid, but a field breaks a rule": 422,
    "too many requests from this client": 429,
    "a bug in the server": 500,
}
### STUB
status_for = {
    "read a task that exists": None,
    "created a new task": None,
    "accepted work that runs later": None,
    "deleted, nothing to send back": None,
    "body is not valid JSON": None,
    "no credentials sent": None,
    "credentials valid, permission missing": None,
    "no task with that id": None,
    "room already booked": None,
    "JSON valid, but a field breaks a rule": None,
    "too many requests from this client": None,
    "a bug in the server": None,
}
### END SOLUTION

# %%
q2.check(status_for)

# %% [markdown]
# **Exercise 3.** Write `add_delete_note(app, notes)`: it adds `DELETE /notes/{note_id}` to `app`, removing the note
# from the dict `notes`. Deleting an existing note answers 204 with no body; a missing one (or one already deleted)
# answers 404.

# %%
from fastapi import HTTPException, Response


def add_delete_note(app, notes: dict[int, str]) -> None:
    """Add DELETE /notes/{note_id}: 204 when deleted, 404 when there is no such note."""
    ### BEGIN SOLUTION
    @app.delete("/notes/{note_id}", status_code=204)
    def delete_note(note_id: int):
        if notes.pop(note_id, None) is None:
            raise HTTPException(404, f"note {note_id} not found")
        return Response(status_code=204)
    ### END SOLUTION


# %%
q3.check(add_delete_note)

# %% [markdown]
# ## Recap
# - HTTP/1.1 is text over TCP: request line, headers, empty line, body; `\r\n` ends each line.
# - The status code is the client's instruction. 2xx done; 4xx the client's side, 5xx the server's; but 408, 429 and
#   503 may be resent unchanged after waiting, 409 after re-reading the state, 500/502/504 only when the request is
#   idempotent, and 501 never works later.
# - 400 malformed vs 422 invalid; 401 unauthenticated vs 403 forbidden; 409 conflicts with state.
# - HEAD = GET without a body; OPTIONS and 405 both answer with `Allow`.
# - ASGI: the server calls `app(scope, receive, send)`; a middleware is an ASGI app wrapping another one.
# - A CORS preflight is an OPTIONS with `Origin` and `Access-Control-Request-Method`; the server grants with
#   `Access-Control-Allow-*`, the browser enforces.
# - Nine methods: safe (GET, HEAD, OPTIONS, TRACE) ⊂ idempotent (+ PUT, DELETE); POST, PATCH, CONNECT are neither.
#
# ## Going further
# - [RFC 9110, HTTP Semantics](https://www.rfc-editor.org/rfc/rfc9110) — §9 methods, §15 status codes.
# - [RFC 9112, HTTP/1.1](https://www.rfc-editor.org/rfc/rfc9112) — the message syntax you wrote by hand.
# - [RFC 5789, PATCH](https://www.rfc-editor.org/rfc/rfc5789); [ASGI specification](https://asgi.readthedocs.io/en/latest/specs/www.html);
#   [Fetch standard, CORS protocol](https://fetch.spec.whatwg.org/#http-cors-protocol).
#
# ## Where this lives in course_lib
# `course_lib/taskapi/ch01_http.py` (this chapter's change), `course_lib/taskapi/routes/tasks.py` (the task routes),
# `course_lib/web/http_methods.py` (HEAD/OPTIONS/405),
# `course_lib/lab/rawhttp.py` (sockets), `course_lib/checks/ch01.py` (the checks).
