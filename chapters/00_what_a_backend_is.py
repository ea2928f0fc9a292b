# %% [markdown]
# # Chapter 00 — What a backend is
# *A program that waits on a socket, reads requests and answers them: start one in this notebook and talk to it.*
#
# **Learning goals**
# - say what a backend is, and what client, server, request and response mean;
# - name the four jobs of a backend, and tell them from the tools that do them;
# - take a URL apart into scheme, host, port, path and query;
# - start a real HTTP server inside this notebook and send it a request over a real socket;
# - add an endpoint to a FastAPI app.
#
# **Why it matters.** Every later chapter grows the same task API, and every one of them starts the way this one does:
# a server running in the kernel, a client sending it real HTTP. Once you have seen the whole loop end to end, each
# later topic — status codes, caching, auth, scaling — is one more thing that happens somewhere on this path.

# %% [markdown]
# ## Setting up
# Every chapter starts with one line. It stops any server an earlier run left behind, resets the course's state, and
# says which backends are live: the embedded defaults need nothing but `pip`; real PostgreSQL and Redis are used when
# `DATABASE_URL` and `REDIS_URL` are set.

# %%
from course_lib import serve, show, show_source, start_chapter

start_chapter(0, "What a backend is")

# %% [markdown]
# ## Client, server, request, response
# A **backend** is a program that runs somewhere you do not see, keeps data, and answers **requests** from
# **clients** — a browser, a phone app, another server — with **responses**. Between them is a network connection
# (TCP) and a shared language on top of it (HTTP). In HTTP the client speaks first: an HTTP server never sends a
# response nobody asked for.
#
# A backend is more than its HTTP server, though. It also starts conversations of its own: a scheduled job sends the
# daily reminder e-mails, a handler calls a payment provider, a **webhook** tells another company's backend that an
# order shipped. There the backend is the client. This course starts with the server side; jobs come in
# chapters 17 and 22.
#
# ```mermaid
# sequenceDiagram
#     participant C as Client (this notebook, httpx)
#     participant S as Server (uvicorn, in this kernel)
#     participant A as App (FastAPI handlers)
#     C->>S: TCP connect to 127.0.0.1:port
#     C->>S: GET /health HTTP/1.1
#     S->>A: call the handler for GET /health
#     A-->>S: {"status": "ok"}
#     S-->>C: HTTP/1.1 200 OK + JSON body
# ```

# %% [markdown]
# ## The four jobs of a backend
# Whatever it is built with, a backend does four jobs. Every chapter of this course is about one of them:
#
# | job | what it means | where in this course |
# |---|---|---|
# | **expose capabilities** | offer what it can do as an interface others can call: URLs, methods, representations | 01 HTTP, 02 REST, 04 resources, 05 API design, 06 pagination, 07 serialization |
# | **enforce correctness** | accept only valid input and keep the data consistent, whoever calls and however often | 03 idempotency, 08 validation, 10 conditional requests, 13 database constraints |
# | **control access** | know who is calling and what they may do | 09 authentication and authorization, 15 JWT and roles, 20 security |
# | **manage state and operate** | keep data safe and fast to reach, run work in the background, stay up, show what it is doing | 11 scaling, 12 performance, 13 ORM, 16 cache, 17 and 22 jobs, 18 testing, 19 CI, 21 observability |
#
# **Everything else is a tool.** FastAPI, uvicorn, PostgreSQL, Redis, RQ, nginx, JWT are ways to do these jobs, and
# each can be swapped for another that does the same job. When you meet a new tool, ask which job it does.

# %% [markdown]
# ## The smallest backend
# Here is the whole app of this chapter. It is not pasted into the notebook: the cell below reads it from
# `course_lib`, so what you read is exactly the code that runs, here and in every later chapter.

# %%
from course_lib.taskapi import ch00_health

show_source(ch00_health.create_app, highlight_text=("@app.get",))

# %% [markdown]
# `FastAPI()` makes an application object; `@app.get("/health")` registers a *handler*: when a GET request for the
# path `/health` arrives, FastAPI calls `health()` and turns the returned dict into a JSON response.
#
# An app alone does nothing: it needs a **server** that owns a socket, accepts connections, parses HTTP and calls the
# app. `serve()` starts uvicorn in a background thread of this kernel, on a free port of 127.0.0.1, and returns once
# the server answers. Run the cell twice: the old server stops first, so re-running never fails with "port in use".

# %%
api = serve(ch00_health.create_app())
api

# %% [markdown]
# The link opens the API's interactive documentation (Swagger UI) that FastAPI generates from the code. On Binder it
# goes through the Jupyter server's proxy, because the kernel's `localhost` is not your browser's.

# %% [markdown]
# ## The first request
# `api.get(path)` sends a real HTTP request over a real TCP socket to that server. `show()` prints the exchange the
# way an API client such as Postman does: the request line, the status line, the headers, the body.

# %%
response = api.get("/health")
show(response)

# %%
assert response.status_code == 200
response.json()

# %% [markdown]
# A path the app does not know gets **404 Not Found** — the server is up, it just has nothing there.

# %%
show(api.get("/nothing-here"))

# %% [markdown]
# Even this one-route app has a share of each job. It exposes one capability, it refuses what it does not offer
# (a method the route does not take gets **405 Method Not Allowed**), it lets anyone in (nothing is protected yet:
# chapter 09), and `/health` itself is an operations tool: it is what a load balancer or a monitor polls to decide
# whether this server should get traffic.

# %%
from course_lib import table

table([
    {"job": "expose capabilities", "request": "GET /health", "status": api.get("/health").status_code},
    {"job": "enforce correctness", "request": "POST /health", "status": api.post("/health").status_code},
    {"job": "control access (none yet)", "request": "GET /health, no credentials",
     "status": api.get("/health").status_code},
])

# %% [markdown]
# ## Anatomy of a URL
# `http://127.0.0.1:8000/tasks?done=true` names *how* to talk (scheme `http`), *to whom* (host `127.0.0.1`, port
# `8000`), and *what* (path `/tasks`, query `done=true`). httpx parses URLs the same way every HTTP library does:

# %%
import httpx

url = httpx.URL("http://127.0.0.1:8000/tasks?done=true")
{"scheme": url.scheme, "host": url.host, "port": url.port, "path": url.path, "query": url.query.decode()}

# %% [markdown]
# ## Try it
# - Open the Swagger UI link above and press *Try it out* on `GET /health`.
# - Change the path in `api.get("/health")` to something else and see the status code change.
#
# ## Exercises
# Each exercise has a cell for your answer and a cell that checks it. The check never raises: it says
# **Correct**, **Incorrect** (with the request that failed and what was expected), or **Not attempted**.
# `q1.hint()` and `q1.solution()` are there when you are stuck.

# %%
from course_lib.checks.ch00 import q1, q2, q3

# %% [markdown]
# **Exercise 1.** Take `http://127.0.0.1:8000/tasks?done=true` apart by hand (without httpx): fill in `url_parts`.

# %%
### BEGIN SOLUTION
url_parts = {"scheme": "http", "host": "127.0.0.1", "port": 8000, "path": "/tasks", "query": "done=true"}
### STUB
url_parts = {"scheme": None, "host": None, "port": None, "path": None, "query": None}
### END SOLUTION

# %%
q1.check(url_parts)

# %% [markdown]
# **Exercise 2.** Send `GET /health` to the running server `api` and keep the response in `health_response`.

# %%
### BEGIN SOLUTION
health_response = api.get("/health")
### STUB
health_response = None  # YOUR CODE HERE
### END SOLUTION

# %%
q2.check(health_response)

# %% [markdown]
# **Exercise 3.** Write `add_version_route(app)`: it adds `GET /version` to `app`, answering `{"version": ...}`
# with the app's own version (`app.version`). The check builds an app with version `1.2.3`, calls your function,
# serves the app and requests `/version`.

# %%
def add_version_route(app):
    """Add GET /version, answering {"version": app.version}."""
    ### BEGIN SOLUTION
    @app.get("/version")
    def version():
        return {"version": app.version}
    ### END SOLUTION


# %%
q3.check(add_version_route)

# %% [markdown]
# ## Stopping
# The server stops by itself when the kernel ends; `api.stop()` frees the port now. The next chapter's first line
# stops it too.

# %%
api.stop()
api.running

# %% [markdown]
# ## Recap
# - A backend answers requests from clients. Its HTTP server never speaks first; the backend as a whole does, when it
#   runs jobs, calls other services or sends webhooks.
# - Four jobs: expose capabilities, enforce correctness, control access, manage state and operate. Everything else
#   is a tool.
# - A server (uvicorn) owns the socket and speaks HTTP; the app (FastAPI) maps method + path to a handler.
# - A URL says how (scheme), to whom (host, port) and what (path, query).
# - Your progress so far: `from course_lib.checks import show_progress; show_progress()`.
#
# ## Going further
# - [MDN: An overview of HTTP](https://developer.mozilla.org/en-US/docs/Web/HTTP/Overview)
# - [FastAPI: First steps](https://fastapi.tiangolo.com/tutorial/first-steps/)
#
# ## Where this lives in course_lib
# `course_lib/taskapi/ch00_health.py` (the app), `course_lib/notebook/server.py` (`serve`), `course_lib/notebook/display.py` (`show`),
# `course_lib/checks/ch00.py` (the exercise checks).
