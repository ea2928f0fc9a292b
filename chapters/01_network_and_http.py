# %% [markdown]
# # Chapter 01 — Network and HTTP
# *Under every API call: a TCP connection, a few lines of text, and a three-digit number that tells the client what
# happened.*
#
# **Learning goals**
# - send an HTTP request as raw bytes over a socket and read the raw response;
# - name the parts of a request and a response: request line, headers, empty line, body;
# - choose the right status code for each outcome, and see every code of the table come from a live handler;
# - know what HEAD and OPTIONS are for, and what 405 + `Allow` means.
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
# The first digit is the class: **2xx** it worked, **4xx** the client must change something before trying again,
# **5xx** the server failed and the same request may work later. Here is how the task routes choose theirs. The
# router is written once, the way it will stay for the rest of the course; its arguments are *dependencies*
# (`uow`: the storage of this one request, `who`: the caller, which nobody has to name until chapter 05) that FastAPI
# fills in before the handler runs:

# %%
from course_lib.taskapi.routes import tasks

show_source(tasks.router, highlight_text=("status_code", "HTTPException", "Location"))

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
# - The status code is the client's instruction: 2xx done, 4xx change the request, 5xx try later.
# - 400 malformed vs 422 invalid; 401 unauthenticated vs 403 forbidden; 409 conflicts with state.
# - HEAD = GET without a body; OPTIONS and 405 both answer with `Allow`.
#
# ## Going further
# - [RFC 9110, HTTP Semantics](https://www.rfc-editor.org/rfc/rfc9110) — §9 methods, §15 status codes.
# - [RFC 9112, HTTP/1.1](https://www.rfc-editor.org/rfc/rfc9112) — the message syntax you wrote by hand.
#
# ## Where this lives in course_lib
# `course_lib/taskapi/ch01_http.py` (this chapter's change), `course_lib/taskapi/routes/tasks.py` (the task routes),
# `course_lib/web/http_methods.py` (HEAD/OPTIONS/405),
# `course_lib/lab/rawhttp.py` (sockets), `course_lib/checks/ch01.py` (the checks).
