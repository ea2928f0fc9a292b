# %% [markdown]
# # Chapter 04 — Resources by nouns
# *URLs name things; methods say what to do with them. Get that split right and the whole API becomes predictable.*
#
# **Learning goals**
# - model an API as resources: collections (`/tasks`), members (`/tasks/{id}`) and sub-collections
#   (`/users/{id}/tasks`);
# - implement full CRUD with the status codes clients rely on: 201 + `Location`, 200, 204, 404, 405 + `Allow`;
# - tell PUT (replace) from PATCH (change some fields), and separate what a client sends from what it gets back;
# - weigh an action route (`POST /tasks/{id}/complete`) against a state change (`PATCH {"done": true}`);
# - hand a route what it needs with a FastAPI dependency, and keep storage behind a repository so routes never know
#   where data lives;
# - keep URLs stable as a contract, version them when a change must break it, and announce the end of an old version
#   (`Deprecation`, `Sunset`).
#
# **Why it matters.** A client developer who has seen `GET /tasks/7` can guess `DELETE /tasks/7`, `GET /users/3` and
# `GET /users/3/tasks` without reading a line of documentation. URLs like `/getTask?id=7` or `/deleteTask` force them to
# learn every endpoint one by one, and they break the tools (caches, proxies, retries) that understand HTTP methods.

# %%
from course_lib import serve, show, show_source, start_chapter, table

start_chapter(4, "Resources by nouns")
HEADERS = ["content-type", "location", "allow"]  # the headers this chapter is about

# %% [markdown]
# ## Nouns in the path, verbs in the method
# A **resource** is anything worth naming: a task, a user, the list of a user's tasks. Each gets a URL. The HTTP
# method is the verb, and there are only a handful:
#
# | resource | GET | POST | PUT | PATCH | DELETE |
# |---|---|---|---|---|---|
# | `/tasks` (collection) | list | create a task | – | – | – |
# | `/tasks/{id}` (member) | read | – | replace | change some fields | delete |
# | `/users` | list | create a user | – | – | – |
# | `/users/{id}` | read | – | – | – | – |
# | `/users/{id}/tasks` (sub-collection) | the user's tasks | a task owned by the user | – | – | – |
# | `/tasks/{id}/complete` (action) | – | mark done | – | – | – |
#
# ```mermaid
# flowchart LR
#     U["/users"] --> UID["/users/{id}"]
#     UID --> UT["/users/{id}/tasks"]
#     T["/tasks"] --> TID["/tasks/{id}"]
#     TID --> C["/tasks/{id}/complete"]
#     UT -. "each item is also" .-> TID
# ```
#
# This chapter's API keeps chapter 01's task routes and adds the rest of this map: users, a user's tasks, the
# action:

# %%
from course_lib.taskapi import ch04_resources

api = serve(ch04_resources.create_app())
api

# %% [markdown]
# ## Dependencies: what a route needs, handed in
# The task routes get their storage the way FastAPI hands anything to a route: through a **dependency**. A dependency
# is a plain function. A route declares a parameter as `Annotated[T, Depends(function)]`, and on every request FastAPI
# calls the function and passes its result in. The function may take request parameters of its own (a header, a
# query parameter), and it may refuse the request by raising an `HTTPException` — chapter 05's API keys work that way.
# A tiny app with one dependency shows the mechanics:

# %%
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException

NOTES = {1: "buy milk", 2: "call Ada"}


def get_notes() -> dict[int, str]:
    """Where the notes live: routes ask for them instead of reaching for a global."""
    return NOTES


NotesDep = Annotated[dict[int, str], Depends(get_notes)]  # an alias, so every route says it the same short way
notes_app = FastAPI()


@notes_app.get("/notes/{note_id}")
def read_note(note_id: int, notes: NotesDep) -> dict:
    if note_id not in notes:
        raise HTTPException(404, f"note {note_id} not found")
    return {"id": note_id, "text": notes[note_id]}


notes_api = serve(notes_app, name="notes")
[notes_api.get("/notes/1").json(), notes_api.get("/notes/9").status_code]

# %% [markdown]
# The route only *asks* for its notes, so whoever builds the app decides what it gets. `dependency_overrides` swaps
# the function without touching the route — tests use exactly this to hand a route a fake store:

# %%
notes_app.dependency_overrides[get_notes] = lambda: {1: "from another store"}
swapped = notes_api.get("/notes/1").json()
notes_app.dependency_overrides.clear()
swapped

# %% [markdown]
# The task API's routes declare their storage the same way (`UnitOfWorkDep`); the section *Storage behind a unit of
# work* below opens it up.

# %% [markdown]
# ## What goes over the wire: one model per role
# The stored record (`repository.Task`) is not what a client sends or sees. Each role gets its own Pydantic model in
# one module, `schemas.py`: what a client may send to create a task, to replace one, to change some fields, and what
# it gets back. A field the client must not set (`id`, `owner_id`, timestamps) simply is not in the input models.

# %%
from course_lib.taskapi import schemas

show_source(schemas.TaskCreate)

# %%
show_source(schemas.TaskPublic)

# %% [markdown]
# The routes declare these models: the body parameter's type is the input model, and `response_model` is the output
# model, which FastAPI uses to filter and document the answer. Here are the task routes; the highlighted lines carry
# the status codes and headers:

# %%
from course_lib.taskapi.routes import tasks

show_source(tasks.router, highlight_text=("status_code", "Location", "response_model=models.public"))

# %% [markdown]
# ## Create: 201 and Location
# A successful POST to a collection answers **201 Created**, the new resource in the body, and its URL in the
# `Location` header, so the client never has to build URLs itself:

# %%
created = api.post("/tasks", json={"title": "design the URLs", "description": "nouns only"})
show(created, headers=HEADERS)

# %%
show(api.get(created.headers["location"]), headers=HEADERS)

# %%
api.post("/tasks", json={"title": "write the routes"})
[(task["id"], task["title"]) for task in api.get("/tasks").json()]

# %% [markdown]
# ## Replace or change: PUT vs PATCH
# **PUT** sends the *complete* new state: whatever the body leaves out goes back to its default. That makes it
# idempotent — sending it twice leaves the state the client asked for, once (only the server's own `updated_at`
# moves on, which RFC 9110 §9.2.2 allows, as chapter 03 showed). **PATCH** sends only the fields to change; the rest
# stay.

# %%
show(api.put("/tasks/1", json={"title": "design the URLs, again"}), headers=HEADERS)

# %% [markdown]
# The description is gone: PUT replaced the whole task. PATCH touches only `done`:

# %%
show(api.patch("/tasks/2", json={"done": True}), headers=HEADERS)

# %% [markdown]
# `TaskUpdate` makes every field optional, and the route applies only the fields the client actually sent
# (`model_dump(exclude_unset=True)`). Sending `null` is ambiguous ("clear it"? "ignore it"?), so it is refused with a
# 422 instead of silently blanking the title:

# %%
show_source(schemas.TaskUpdate)

# %%
show(api.patch("/tasks/2", json={"title": None}), headers=HEADERS)

# %% [markdown]
# ## Delete: 204, then 404
# A successful DELETE has nothing to say: **204 No Content**, no body. Afterwards the resource is gone, and every
# request for it is a **404**:

# %%
show(api.post("/tasks", json={"title": "short-lived"}), headers=HEADERS)

# %%
show(api.delete("/tasks/3"), headers=HEADERS)

# %%
[api.get("/tasks/3").status_code, api.delete("/tasks/3").status_code]

# %% [markdown]
# ## The wrong verb: 405 and Allow
# A method the resource does not support is **405 Method Not Allowed**, and the `Allow` header lists what would work
# (chapter 01's middleware computes it from the routes, so it is right for every route added since):

# %%
show(api.delete("/tasks"), headers=HEADERS)

# %% [markdown]
# ## Users, and a sub-collection
# Users are resources too. A second user with the same email would make "the user with this email" ambiguous, so the
# API refuses it with **409 Conflict**. The storage keeps that rule, not the route: the route just adds the user, and
# storage refuses a second account for an email (compared case-folded), as a `UNIQUE` constraint does in a database.
# A check in the route ("is the email free? then insert") would let two simultaneous sign-ups both pass the check —
# and with two server processes (chapter 11) no lock inside one process could stop them. From chapter 06 on the API
# keeps its users in SQL, in this table, and the constraint is the highlighted column: the database refuses the
# second row, and the repository turns that into the same `EmailTaken` the route answers 409 for:

# %%
from course_lib.taskapi import sql_repositories, sql_tables

show_source(sql_tables.UserColumns, highlight_text=("unique=True",))

# %%
show_source(sql_repositories.SqlUsers.add, highlight_text=("except IntegrityError", "EmailTaken"))

# %% [markdown]
# Here, still in memory:

# %%
show(api.post("/users", json={"name": "Ada", "email": "ada@example.org"}), headers=HEADERS)

# %%
show(api.post("/users", json={"name": "Ada again", "email": "ADA@example.org"}), headers=HEADERS)

# %% [markdown]
# `/users/1/tasks` is the collection of tasks that belong to user 1. Creating a task there makes user 1 its owner.
# Note the `Location`: each task has **one canonical URL**, `/tasks/{id}`, however it was reached. Nest one level
# (parent/children) and no deeper; `/users/1/tasks/4/comments/2` is a path clients cannot guess.

# %%
show(api.post("/users/1/tasks", json={"title": "review chapter 04"}), headers=HEADERS, body=False)

# %%
[(task["id"], task["title"], task["owner_id"]) for task in api.get("/users/1/tasks").json()]

# %%
[api.get("/users/99").status_code, api.get("/users/99/tasks").status_code]

# %% [markdown]
# ## An action beside a state change
# "Mark task 4 done" can be said two ways:
#
# | | `PATCH /tasks/4 {"done": true}` | `POST /tasks/4/complete` |
# |---|---|---|
# | style | state change on the resource | an action (a verb) under the resource |
# | client must know | which field means "done" | only the action's name |
# | room for rules | one generic handler for every field | its own handler: side effects (notify, stamp `completed_at`), its own permission |
# | API surface | stays small and uniform | one more route per action |
# | idempotent? | yes (PATCH to the same value) | POST is not by contract; this one is by design (completing twice = done) |
#
# The action is a router of its own, and it writes as every task route does, through `TaskWrites`; the lambda says
# what to change given the task as it is (already done: nothing):

# %%
show_source(tasks.actions_router, highlight_text=("write.change",))

# %% [markdown]
# Both end in the same state:

# %%
api.post("/tasks", json={"title": "try the action"})
by_action = api.post("/tasks/5/complete")
by_patch = api.patch("/tasks/4", json={"done": True})
[(r.request.method, r.request.url.path, r.status_code, r.json()["done"]) for r in (by_action, by_patch)]

# %% [markdown]
# Prefer the state change while "done" is just a field. Reach for an action when the operation is more than a field
# write — it triggers work, needs its own permission, or is not expressible as a new state (`/orders/7/refund`).
# An action is POST only; reading it is a 405:

# %%
show(api.get("/tasks/5/complete"), headers=HEADERS)

# %% [markdown]
# ## Storage behind a unit of work
# No route touches a dict or a database session. Each asks for a **unit of work** through a dependency
# (`UnitOfWorkDep`): the repositories of one transaction (`uow.tasks`, `uow.users`). Everything the route reads and
# writes through it is committed together by `uow.commit()`, or not at all — so "find the task, check its owner,
# change it" cannot interleave with another request's change:

# %%
from course_lib.taskapi import deps

show_source(deps.unit_of_work)

# %% [markdown]
# So swapping storage is one assignment, and the routes do not change. Chapter 06 swaps in SQL storage this way;
# here, a fresh empty in-memory one:

# %%
from course_lib.taskapi.storage import MemoryStorage

app = ch04_resources.create_app()
scratch = serve(app, name="scratch")
scratch.post("/tasks", json={"title": "in the first store"})
app.context.storage = MemoryStorage()
[scratch.get("/tasks").json(), scratch.post("/tasks", json={"title": "second store"}).status_code]

# %% [markdown]
# ## The whole map, live
# Every row is a real request; the table compares the status we expect with the one that came back.

# %%
resource_map = [
    ("GET", "/tasks", {}, 200),
    ("POST", "/tasks", {"json": {"title": "one more"}}, 201),
    ("GET", "/tasks/1", {}, 200),
    ("PUT", "/tasks/1", {"json": {"title": "replaced"}}, 200),
    ("PATCH", "/tasks/1", {"json": {"done": True}}, 200),
    ("POST", "/tasks/1/complete", {}, 200),
    ("DELETE", "/tasks/1", {}, 204),
    ("GET", "/tasks/1", {}, 404),
    ("DELETE", "/tasks", {}, 405),
    ("POST", "/tasks", {"json": {"description": "no title"}}, 422),
    ("GET", "/users/1/tasks", {}, 200),
    ("POST", "/users", {"json": {"name": "Ada", "email": "ada@example.org"}}, 409),
]
rows = []
for method, path, options, expected in resource_map:
    got = api.request(method, path, **options).status_code
    rows.append({"request": f"{method} {path}", "expected": expected, "got": got, "ok": "✓" if got == expected else "✘"})
table(rows)
assert all(row["expected"] == row["got"] for row in rows)

# %% [markdown]
# ## URLs are a contract: stability and versioning
# Once a client ships, your URLs live in compiled mobile apps, in scripts, in bookmarks, in other systems' databases
# and in caches. Rename `/tasks` to `/todos` and every one of them breaks at once, without a warning. So:
# - name things, not how they are built: no `.php`, no table names, nothing that changes when the code does;
# - add, don't change: a new route or a new optional field breaks no client; renaming or removing a field, changing
#   its type or a status code breaks them all;
# - when a breaking change cannot be avoided, publish it as a new **version** and run both for a while.
#
# A version can travel in three places:
#
# | where | example | for | against |
# |---|---|---|---|
# | path prefix | `GET /v1/tasks/7` | visible in every log and link; one `include_router(prefix=...)` or proxy rule routes it; caches keep versions apart | `/v1/tasks/7` and `/v2/tasks/7` are one task under two URLs |
# | request header | `GET /tasks/7` + `Api-Version: 2026-01-06` | URLs never change; date-named versions (Stripe's `Stripe-Version`, GitHub's `X-GitHub-Api-Version`) | invisible in a link; caches must `Vary` on the header |
# | media type | `Accept: application/vnd.example.task.v2+json` | the representation changed, so its media type says so (chapter 02's negotiation) | hard to try from a browser; `Vary: Accept` again |
#
# The path prefix is the most common and the easiest to operate; the task API would take it the day it needs a v2.
#
# **Deprecation.** An old version does not vanish overnight: every answer from it says that it is on its way out, in
# standard headers a client library can log or alert on:
# - `Deprecation: @1780272000` ([RFC 9745](https://www.rfc-editor.org/rfc/rfc9745)): deprecated from that moment
#   on (a Unix time, written as a structured-field date; it may lie in the future): it still works, but do not build
#   on it;
# - `Sunset: <HTTP-date>` ([RFC 8594](https://www.rfc-editor.org/rfc/rfc8594)): when it will stop answering (after
#   that, typically **410 Gone**);
# - `Link: <…>; rel="deprecation"` (RFC 9745): where to read how to move to the new version.
#
# Every answer of the old version must say so — the errors too: a client that only ever gets 404s from v1 still needs
# to hear that v1 ends. A dependency on the v1 router could set the headers on the `Response` its routes return, but a
# 404 the route raises, a 422 from validation and a 405 are other responses, and they would go out without them. So a
# middleware marks every answer under `/v1`, whatever produced it:

# %%
from datetime import UTC, datetime

from fastapi import APIRouter

from course_lib.web.deprecation import DeprecatedVersion

show_source(DeprecatedVersion)

# %%
v1 = APIRouter(prefix="/v1")
v2 = APIRouter(prefix="/v2")


@v1.get("/tasks/{task_id}")
def read_task_v1(task_id: int) -> dict:
    if task_id != 7:
        raise HTTPException(404, f"task {task_id} not found")
    return {"id": task_id, "name": "design the URLs"}  # v1 called the title "name": the breaking change


@v2.get("/tasks/{task_id}")
def read_task_v2(task_id: int) -> dict:
    return {"id": task_id, "title": "design the URLs"}


versioned_app = FastAPI()
versioned_app.include_router(v1)
versioned_app.include_router(v2)
versioned_app.add_middleware(DeprecatedVersion, prefix="/v1", deprecated=datetime(2026, 6, 1, tzinfo=UTC),
                             sunset=datetime(2027, 6, 30, 23, 59, 59, tzinfo=UTC),
                             migration_guide="/docs/v1-to-v2")
versioned = serve(versioned_app, name="versioned")
show(versioned.get("/v1/tasks/7"), headers=["deprecation", "sunset", "link"])

# %%
show(versioned.get("/v2/tasks/7"), headers=["deprecation", "sunset", "link"])

# %% [markdown]
# And the errors of v1 — a task that does not exist, an id that is not a number, a method the route does not take:

# %%
answers = [versioned.get("/v1/tasks/8"), versioned.get("/v1/tasks/seven"), versioned.delete("/v1/tasks/7")]
table([{"request": f"{r.request.method} {r.request.url.path}", "status": r.status_code,
        "Deprecation": r.headers.get("deprecation"), "Sunset": r.headers.get("sunset")} for r in answers])
assert all("deprecation" in r.headers and "sunset" in r.headers and "link" in r.headers for r in answers)

# %% [markdown]
# ## Try it
# - Open the Swagger UI (the link printed when the server started) and find the body schema of `PUT /tasks/{id}`.
# - `PATCH /tasks/2` with an empty body `{}`: what comes back, and did `updated_at` change?
# - What does `POST /users/99/tasks` answer, and why is that not a 422?
#
# ## Exercises

# %%
from course_lib.checks.ch04 import q1, q2, q3

# %% [markdown]
# **Exercise 1.** Write the request (`"METHOD /path"`) for each operation.

# %%
### BEGIN SOLUTION
request_for = {
    "list every task": "GET /tasks",
    "create a task": "POST /tasks",
    "read task 7": "GET /tasks/7",
    "replace task 7 with a complete new version": "PUT /tasks/7",
    "change only the title of task 7": "PATCH /tasks/7",
    "delete task 7": "DELETE /tasks/7",
    "list the tasks of user 3": "GET /users/3/tasks",
    "mark task 7 done, as an action": "POST /tasks/7/complete",
}
### STUB
request_for = {
    "list every task": None,
    "create a task": None,
    "read task 7": None,
    "replace task 7 with a complete new version": None,
    "change only the title of task 7": None,
    "delete task 7": None,
    "list the tasks of user 3": None,
    "mark task 7 done, as an action": None,
}
### END SOLUTION

# %%
q1.check(request_for)

# %% [markdown]
# **Exercise 2.** Write `add_patch_note(app, notes)`: it adds `PATCH /notes/{note_id}` to `app`. `notes` maps ids to
# dicts like `{"text": "buy milk", "done": False}`. The body is a `NoteUpdate` (every field optional); change only the
# fields the client sent, answer 200 with `{"id": ..., "text": ..., "done": ...}`, and 404 for an unknown id.

# %%
from fastapi import HTTPException

from course_lib.checks.ch04 import NoteUpdate


def add_patch_note(app, notes: dict[int, dict]) -> None:
    """Add PATCH /notes/{note_id}: only the fields sent change; 404 for an unknown note."""
    ### BEGIN SOLUTION
    @app.patch("/notes/{note_id}")
    def patch_note(note_id: int, body: NoteUpdate) -> dict:
        if note_id not in notes:
            raise HTTPException(404, f"note {note_id} not found")
        notes[note_id].update(body.model_dump(exclude_unset=True))
        return {"id": note_id, **notes[note_id]}
    ### END SOLUTION


# %%
q2.check(add_patch_note)

# %% [markdown]
# **Exercise 3.** Add the action `POST /tasks/{task_id}/reopen` to a chapter-04 app: it sets `done` back to false and
# answers 200 with the task (`TaskPublic`), or 404 when there is no such task. Write it as `complete` is written,
# through `TaskWrites`, which finds the task (404), checks its owner and precondition (once later chapters have them),
# writes and commits. `Writes` below is the dependency that hands a route its `TaskWrites`.

# %%
from typing import Annotated

from fastapi import Depends

from course_lib.taskapi.deps import TaskId
from course_lib.taskapi.routes.tasks import TaskWrites, task_writes
from course_lib.taskapi.schemas import TaskPublic


def add_reopen_route(app) -> None:
    """Add POST /tasks/{task_id}/reopen to `app`."""
    Writes = Annotated[TaskWrites, Depends(task_writes(app.context.seams))]
    ### BEGIN SOLUTION
    @app.post("/tasks/{task_id}/reopen", response_model=TaskPublic)
    def reopen_task(task_id: TaskId, write: Writes):
        return write.change(task_id, lambda task: {"done": False})
    ### END SOLUTION


# %%
q3.check(add_reopen_route)

# %% [markdown]
# ## Recap
# - Paths name resources (nouns); the method is the verb. Collection `/tasks`, member `/tasks/{id}`, sub-collection
#   `/users/{id}/tasks`, one canonical URL per resource.
# - POST → 201 + `Location`; GET/PUT/PATCH → 200; DELETE → 204 with no body; unknown id → 404; wrong method → 405 +
#   `Allow`; a clash with existing state → 409.
# - PUT replaces the whole resource; PATCH changes only what was sent (`exclude_unset`), and null is refused.
# - Input and output are separate models (`TaskCreate`, `TaskUpdate`, `TaskPublic`); `response_model` filters answers.
# - An action route (`POST /tasks/{id}/complete`) earns its place when the operation is more than a field write.
# - Routes reach storage only through a unit of work (one transaction per request), so storage can change
#   underneath them.
# - A dependency is a function FastAPI calls per request (`Annotated[T, Depends(f)]`); `dependency_overrides` swaps it.
# - URLs are a contract: add, don't change. A breaking change gets a new version (a `/v2` prefix is the common
#   choice); the old one announces its end with `Deprecation` (RFC 9745) and `Sunset` (RFC 8594) on every answer,
#   errors included — a middleware, since a route dependency's headers miss the errors.
#
# ## Going further
# - [RFC 9110 §9.3](https://www.rfc-editor.org/rfc/rfc9110#section-9.3) — the method definitions; §15.3.2 on 201
#   and `Location`.
# - [RFC 5789](https://www.rfc-editor.org/rfc/rfc5789) — PATCH; [RFC 7396](https://www.rfc-editor.org/rfc/rfc7396) —
#   JSON Merge Patch, the format our PATCH resembles.
# - Google's [API design guide: resource-oriented design](https://cloud.google.com/apis/design/resources) and its
#   [custom methods](https://cloud.google.com/apis/design/custom_methods) (their name for action routes).
# - [RFC 9745](https://www.rfc-editor.org/rfc/rfc9745) (the `Deprecation` header) and
#   [RFC 8594](https://www.rfc-editor.org/rfc/rfc8594) (the `Sunset` header); Google's
#   [versioning guide](https://cloud.google.com/apis/design/versioning).
# - FastAPI's [dependencies tutorial](https://fastapi.tiangolo.com/tutorial/dependencies/).
#
# ## Where this lives in course_lib
# `course_lib/taskapi/ch04_resources.py` (this chapter's change), `course_lib/taskapi/routes/` (one router per
# resource, written once), `course_lib/taskapi/seams.py` (what later chapters swap), `course_lib/taskapi/schemas.py`
# (the wire models), `storage.py` and `deps.py` (units of work), `course_lib/web/deprecation.py` (the end of an old
# version on every answer), `course_lib/checks/ch04.py` (the checks).
