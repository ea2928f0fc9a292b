# %% [markdown]
# # Chapter 05 — API design in practice
# *An API is a promise: for every request, which status comes back. Write the promise down, run it, and hand it to
# every client.*
#
# **Learning goals**
# - authenticate callers with an API key as a FastAPI dependency, and tell 401 (who are you?) from 403 (not you);
# - give each failure mode its status: 401, 403, 404, 409, 422 — and know in which order they are decided;
# - document those failures in the OpenAPI, so Swagger UI and generated clients show them;
# - run a **contract collection**: every endpoint's success and failures as live rows of expected vs actual;
# - export the API as a Postman / Insomnia collection generated from the OpenAPI, checked against the format's schema,
#   with a status test on every request, and run it with Newman.
#
# **Why it matters.** Client developers code against the failures as much as the successes: a mobile app shows a
# login screen on 401, a "not yours" message on 403, a form error on 422. If the status for a situation is vague or
# changes between releases, every client breaks quietly. A contract that runs proves the promise still holds.

# %%
from course_lib import serve, show, show_source, start_chapter, table

start_chapter(5, "API design in practice")
HEADERS = ["content-type", "location", "www-authenticate", "allow"]  # the headers this chapter is about

# %% [markdown]
# ## Who is calling: API keys
# Reads of tasks stay public; every write to a task needs a key, and so does reading users. `POST /users` creates a user and answers its key **once**;
# the database keeps only the key's SHA-256 digest (in the same transaction as the new user), so not even a leaked
# database reveals keys, and every server process on that database knows every key. The key goes in the `X-API-Key`
# header. It is a **login scheme**: what a request sends to say who it is (the header), whose those credentials are
# (the user behind the key's digest, or None), and the challenge a 401 names (`ApiKey header="X-API-Key"`):

# %%
from course_lib.taskapi import api_keys

show_source(api_keys.api_key_user)

# %% [markdown]
# The task routes have declared a `CurrentUser` parameter since chapter 01: the **current-user seam**, a dependency
# that said "nobody" until now. This chapter swaps it for `logged_in_by(API_KEY)`, so every write starts with the
# caller known — and no route is rewritten:

# %%
from course_lib.taskapi import ch05_api_design

show_source(ch05_api_design.swap_seams)

# %% [markdown]
# `logged_in_by` takes an **ordered list** of schemes: one here; chapter 09 puts a session cookie before the key,
# chapter 15 a bearer token before both. It tries each scheme the request sent something for, in order; the first
# that names a user wins. When none does, it answers one 401 whose `WWW-Authenticate` carries every scheme's challenge,
# in the order they are tried (RFC 9110 §11.6.1 allows several), and whose detail says what each one wants:

# %%
from course_lib.taskapi import login_schemes

show_source(login_schemes.logged_in_by)

# %%
api = serve(ch05_api_design.create_app())
api

# %% [markdown]
# The link above opens **Swagger UI** (`/docs`), generated from the same OpenAPI document the rest of this chapter
# uses; its *Authorize* button takes an API key. (On Binder the link goes through the Jupyter server's proxy.)

# %%
api.docs_url

# %%
from course_lib.lab.task_contract import ADA, BOB

ada_created = api.post("/users", json=ADA)
show(ada_created, headers=HEADERS)

# %%
ada = {"X-API-Key": ada_created.json()["api_key"]}
bob = {"X-API-Key": api.post("/users", json=BOB).json()["api_key"]}
show(api.post("/tasks", json={"title": "write the contract"}, headers=ada), headers=HEADERS)

# %% [markdown]
# ## 401: who are you?
# No key, or a key the server does not know: **401 Unauthorized**, with a `WWW-Authenticate` header naming how to
# authenticate. (The name is historical: 401 means *unauthenticated*.)

# %%
show(api.post("/tasks", json={"title": "anonymous"}), headers=HEADERS)

# %%
show(api.delete("/tasks/1", headers={"X-API-Key": "tk_made-up"}), headers=HEADERS)

# %% [markdown]
# ## 403: not you
# Bob's key is valid, so the server knows him — but task 1 is Ada's. **403 Forbidden**: authenticating again will
# not help. The rule lives in the task routes (`ensure_owner`, which `TaskWrites` runs before every change), which
# had no writer to check until now:

# %%
from course_lib.taskapi.routes import tasks

show_source(tasks.ensure_owner)

# %%
show(api.patch("/tasks/1", json={"done": True}, headers=bob), headers=HEADERS)

# %% [markdown]
# ## 404, 409, 422
# **404** — no such resource. **409 Conflict** — the request is well-formed but clashes with the current state
# (an email that is taken). **422** — the JSON is fine, its content breaks the schema.

# %%
show(api.get("/tasks/999"), headers=HEADERS)

# %%
show(api.post("/users", json={**BOB, "name": "Bob again"}), headers=HEADERS)

# %%
show(api.post("/tasks", json={"done": True}, headers=ada), headers=HEADERS)

# %% [markdown]
# ## Reading users: who asks decides what they see
# Until this chapter `GET /users` answered anyone with every user's email and role: a list of addresses to phish and
# of admins to aim at. The OWASP API Security Top 10 calls it *Broken Object Property Level Authorization*
# (API3:2023): a caller who may read an object may still not read every property of it. Now that callers say who they
# are, reading users needs a key, and the answer depends on who asks — your own account whole; anyone else as a
# profile, an id and a name with nothing to reach them by; an admin (chapter 15 adds the routes for admins) sees
# everyone whole. One function in the user routes decides:

# %%
from course_lib.taskapi.routes import users

show_source(users.view)

# %%
{who: api.get("/users/1", headers=headers).json() for who, headers in [("nobody", {}), ("Ada", ada), ("Bob", bob)]}

# %% [markdown]
# The same rule holds for the list, `GET /users`: Bob finds Ada by name, never her address. **What sign-up still
# tells.** `POST /users` with a taken email answers 409 to anyone, so whoever tries an address learns that it has an
# account (*account enumeration*). It stays here because a sign-up form must say "this address is taken" to the
# person typing it, and this API has no way to reach them otherwise. An API that must hide it answers every sign-up
# alike ("check your inbox") and sends the mail instead — a link to finish signing up, or "you already have an
# account" — as OWASP's Authentication Cheat Sheet advises; rate limiting (chapter 20) makes trying many
# addresses slow either way.
#
# ## In which order the checks run
# One request can be wrong in several ways at once. The order decides which status a client sees, and it should put
# the cheapest, least revealing checks first: identity before anything about the resource.
#
# ```mermaid
# flowchart TD
#     R[request] --> P{body parses as JSON?}
#     P -- no --> E400[400]
#     P -- yes --> K{valid API key?}
#     K -- no --> E401[401 + WWW-Authenticate]
#     K -- yes --> V{body and parameters valid?}
#     V -- no --> E422[422]
#     V -- yes --> F{resource exists?}
#     F -- no --> E404[404]
#     F -- yes --> O{caller owns it?}
#     O -- no --> E403[403]
#     O -- yes --> C{conflicts with state?}
#     C -- yes --> E409[409]
#     C -- no --> OK[2xx]
# ```
#
# This order is not a choice each route makes: every request passes the same steps.
# 0. The middleware comes first, before FastAPI routes anything: an `Accept` the API cannot serve is **406** (chapter
#    02), a reused or malformed `Idempotency-Key` is refused (chapter 03), an unknown method **405** (chapter 01).
# 1. FastAPI reads the body and parses the JSON. A body that is not JSON at all is refused at once — **400**, from
#    chapter 01's handler — before the route's own checks, the key included.
# 2. It runs the route's dependencies. The key check is one, so a missing or unknown key is a **401** here.
# 3. It validates the path, query and body parameters against their declared types: **422**.
# 4. The route's own code runs: it looks the task up (**404**), checks the owner (**403**), finds conflicts (**409**).
#
# So "401 before 422" holds only for bodies that are JSON. Watch the same PATCH, with three bodies and two callers:

# %%
BROKEN_JSON = {"content": b'{"title": ', "headers": {"content-type": "application/json"}}
order_probe = [
    ("nobody", "/tasks/1", BROKEN_JSON, "not JSON"),
    ("nobody", "/tasks/1", {"json": {"title": None}}, "JSON, breaks the schema"),
    ("nobody", "/tasks/1", {"json": {"done": True}}, "valid"),
    ("Bob", "/tasks/999", {"json": {"title": None}, "headers": bob}, "JSON, breaks the schema"),
    ("Bob", "/tasks/999", {"json": {"done": True}, "headers": bob}, "valid"),
    ("Bob", "/tasks/1", {"json": {"done": True}, "headers": bob}, "valid"),
]
order_rows = [{"caller": caller, "request": f"PATCH {path}", "body": body,
               "status": api.patch(path, **options).status_code}
              for caller, path, options, body in order_probe]
table(order_rows)
assert [row["status"] for row in order_rows] == [400, 401, 401, 422, 404, 403]

# %% [markdown]
# Read the rows from the top: a broken body beats a missing key (step 1 comes before step 2); a missing key beats a
# broken schema (step 2 before step 3); Bob's broken body is a 422 even on a task that does not exist (step 3 before
# step 4). Chapter 08 adds two gates in front of all of these, in a middleware that runs before FastAPI sees the
# request: a body that is too large (**413**) and a `Content-Type` that is not JSON (**415**).
#
# ## The failures belong in the OpenAPI
# FastAPI documents the success and the 422 by itself. The other failures depend on what a route uses, so this
# chapter derives them from each route's dependencies and adds them to its OpenAPI responses, each with the JSON body
# the API really sends (chapter 08 turns them into `application/problem+json`, and says so in the document too).
# 400 (a body that is not JSON) and 406 (an `Accept` the route cannot serve) are answers a client can get as well:

# %%
show_source(ch05_api_design.failure_statuses)

# %%
openapi = api.get("/openapi.json").json()
patch_task = openapi["paths"]["/tasks/{task_id}"]["patch"]
{status: spec["description"] for status, spec in patch_task["responses"].items()}

# %% [markdown]
# ## The contract collection, run live
# A contract is a list of rows: a request, the status it must get, sometimes headers that must be present, and values
# to remember for later rows (the new user's key, the new task's id). `run_contract` sends them in order:

# %%
from course_lib.lab.contract import Case, contract_table, failures, run_contract
from course_lib.lab.task_contract import CONTRACT

show_source(Case)

# %% [markdown]
# Here is the whole contract of this chapter's API (`course_lib/lab/task_contract.py`: a lab instrument, not part of
# the API): every endpoint's success, and each failure mode, run against a fresh server:

# %%
contract_api = serve(ch05_api_design.create_app(), name="contract")
outcomes = run_contract(contract_api, CONTRACT)
contract_table(outcomes)
assert failures(outcomes) == []

# %%
{status: sum(o.case.expect == status for o in outcomes) for status in (200, 201, 204, 401, 403, 404, 405, 409, 422)}

# %% [markdown]
# The unit tests run this same contract against every later chapter's API, so a chapter that breaks a promise made
# here fails CI.
#
# ## Export to Postman and Insomnia
# Postman and Insomnia import **Postman Collection v2.1** files. `collection_from_openapi` turns the OpenAPI document
# into one: a folder per tag, one request per operation, `:task_id` path variables, an example JSON body built from
# each schema, the API-key auth (reading a `{{apiKey}}` variable) on the operations that need it, and each documented
# status as a saved example response.

# %%
from course_lib.lab.postman import collection_from_openapi, save_collection

collection = collection_from_openapi(openapi, base_url=api.url)
[(folder["name"], [item["name"] for item in folder["item"]]) for folder in collection["item"]]

# %%
patch_item = next(item for folder in collection["item"] for item in folder["item"] if item["name"] == "Update Task")
{key: patch_item["request"][key] for key in ("method", "url", "auth", "body")}

# %% [markdown]
# Before handing the file out, check it against the collection format's own JSON schema (the official v2.1.0 schema,
# kept in `tests/data/`), so that an import cannot fail:

# %%
import json
from pathlib import Path

import jsonschema

schema = json.loads((Path.cwd().parent / "tests" / "data" / "postman_collection_v2.1.0.schema.json").read_text())
errors = [error.message for error in jsonschema.Draft4Validator(schema).iter_errors(collection)]
errors

# %%
# In this clone's build/ folder (not a shared /tmp name another user of the machine could overwrite or read)
(Path.cwd().parent / "build").mkdir(exist_ok=True)
path = save_collection(collection, Path("..") / "build" / "task-api.postman_collection.json")
print(f"Postman: Import → File → {path.resolve().relative_to(Path.cwd().parent)}\n"
      f"Insomnia: Import → From File → the same file")

# %% [markdown]
# Every request in the collection **tests** its documented success status (`pm.test(...)`), and the requests run in
# an order that works on a fresh server: the sign-up first (its test stores the API key and the new user's id in
# collection variables), creates before reads, deletes last. So the collection is a runnable smoke test, not just a
# list of requests:

# %%
sign_up_item = collection["item"][0]["item"][0]
print("\n".join(sign_up_item["event"][0]["script"]["exec"]))

# %% [markdown]
# **Newman**, Postman's command-line runner, runs a collection the way CI would. It is a Node.js program:
# `make newman` installs the course's pinned version into `build/newman` (with `npm ci`, nothing global). This cell
# runs the collection against a fresh server when Newman is there, and says how to get it when it is not.

# %% tags=["nbval-ignore-output"]
from course_lib.lab.newman import HOW_TO_INSTALL, newman_bin, run_newman

if newman_bin() is None:
    print("Newman is not installed, so it did not run.", HOW_TO_INSTALL)
else:
    newman_api = serve(ch05_api_design.create_app(), name="newman")
    newman_run = run_newman(collection_from_openapi(openapi, base_url=newman_api.url))
    print(f"Newman: {newman_run.requests} requests, {newman_run.assertions} tests, {newman_run.failed} failed")
    assert newman_run.ok, newman_run.output
    newman_api.stop()

# %% [markdown]
# In Postman, set the collection variable `apiKey` to a key from `POST /users`, and every protected request sends it
# (or run the collection from the top: the sign-up sets it).
#
# ## Try it
# - In Swagger UI, click *Authorize*, paste Ada's key, and delete Bob's task: which status, and why?
# - Add a row to the contract for `PUT /tasks/{task}` with a body that has no title. What must it expect?
# - Change `failure_statuses` to forget 403 and see which test fails.
#
# ## Exercises

# %%
from course_lib.checks.ch05 import SETUP, q1, q2, q3

# %% [markdown]
# **Exercise 1.** Write the contract of `DELETE /tasks/{task}` as a list of `Case` rows: success (204), no key (401),
# someone else's key (403), a task that does not exist (404). Before your rows run, the check runs `SETUP` — Ada and
# Bob sign up (their keys are remembered as `ada_key`, `bob_key`) and Ada creates task `{task}`. Order matters.

# %%
table([{"case": case.name, "request": f"{case.method} {case.path}", "expect": case.expect, "saves": case.save}
       for case in SETUP])

# %%
### BEGIN SOLUTION
delete_cases = [
    Case("delete without a key", "DELETE", "/tasks/{task}", 401),
    Case("delete someone else's task", "DELETE", "/tasks/{task}", 403, key="bob_key"),
    Case("delete own task", "DELETE", "/tasks/{task}", 204, key="ada_key"),
    Case("delete it again", "DELETE", "/tasks/{task}", 404, key="ada_key"),
]
### STUB
delete_cases = None  # a list of Case(...)
### END SOLUTION

# %%
q1.check(delete_cases)

# %% [markdown]
# **Exercise 2.** Write `add_whoami(app, keys)`: it adds `GET /whoami` to `app`, where `keys` maps the SHA-256 hex
# digest of each API key to a name — the keys themselves are stored nowhere, as in the task API. With a key whose
# digest is in `keys` in `X-API-Key` it answers `{"name": ...}`; without a key, or with any other value (a digest
# copied from the table included), it answers 401 with a `WWW-Authenticate` header. Put the key check in a
# dependency, as `api_keys.api_key_user` (inside `logged_in_by`) does.

# %%
import hashlib
from typing import Annotated

from fastapi import Depends, Header, HTTPException


def add_whoami(app, keys: dict[str, str]) -> None:
    """Add GET /whoami: the name behind the X-API-Key, or 401."""
    ### BEGIN SOLUTION
    def current_name(x_api_key: str | None = Header(default=None)) -> str:
        name = keys.get(hashlib.sha256(x_api_key.encode()).hexdigest()) if x_api_key else None
        if name is None:
            raise HTTPException(401, "send a valid X-API-Key", headers={"WWW-Authenticate": "ApiKey"})
        return name

    @app.get("/whoami")
    def whoami(name: Annotated[str, Depends(current_name)]) -> dict:
        return {"name": name}
    ### END SOLUTION


# %%
q2.check(add_whoami)

# %% [markdown]
# **Exercise 3.** A client reads the contract from the OpenAPI. Write `secured_operations(openapi)`: the set of
# `"METHOD /path"` strings (e.g. `"POST /tasks"`) of every operation that requires the API key.

# %%
def secured_operations(openapi: dict) -> set[str]:
    """Every operation of `openapi` that requires a security scheme, as 'METHOD /path'."""
    ### BEGIN SOLUTION
    return {f"{method.upper()} {path}"
            for path, operations in openapi["paths"].items()
            for method, operation in operations.items()
            if operation.get("security")}
    ### END SOLUTION


# %%
q3.check(secured_operations)

# %% [markdown]
# ## Recap
# - 401 = no or unknown credentials (send `WWW-Authenticate`); 403 = known caller, not allowed; 404 = no such
#   resource; 409 = clashes with current state; 422 = valid JSON, invalid content; 400 = not JSON at all.
# - The order is FastAPI's: parse the JSON (400), run the dependencies (401), validate the parameters (422), then the
#   route's own checks (404, 403, 409).
# - Authentication is a dependency (`CurrentUser`); authorization (ownership) is the route's rule.
# - API keys are random, shown once, stored as digests.
# - Failure statuses belong in the OpenAPI; a contract collection runs them live, and tests rerun it in later chapters.
# - A Postman v2.1 collection generated from the OpenAPI, checked against the format's schema, hands the contract to
#   any client developer; its status tests make it a smoke test that Newman runs.
#
# ## Going further
# - [RFC 9110 §15.5](https://www.rfc-editor.org/rfc/rfc9110#section-15.5) — the 4xx codes, and §11.6.1 on
#   `WWW-Authenticate`.
# - [OWASP API Security Top 10](https://owasp.org/API-Security/) — API1: broken object-level authorization, the bug
#   that `ensure_owner` prevents.
# - [Postman Collection Format v2.1](https://schema.postman.com/) and Insomnia's import of it.
# - Chapter 08 turns these error bodies into RFC 9457 problem details; chapter 15 replaces API keys with JWTs.
# - The document is only a contract if the API keeps it: `make contract` runs schemathesis against the latest API's
#   OpenAPI (generated requests, every check, a fixed seed), and chapter 18 (testing) explains how.
#
# ## Where this lives in course_lib
# `course_lib/taskapi/api_keys.py` (API keys: issued, checked, the `sign_up` helper),
# `course_lib/taskapi/login_schemes.py` (an ordered list of login schemes, one `current_user`),
# `course_lib/taskapi/ch05_api_design.py` (this chapter's API), `course_lib/lab/task_contract.py` (`CONTRACT`), `course_lib/lab/contract.py` (the contract runner), `course_lib/lab/postman.py` (OpenAPI → Postman),
# `course_lib/checks/ch05.py` (the checks).
