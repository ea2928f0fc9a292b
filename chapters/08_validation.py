# %% [markdown]
# # Chapter 08 — Validation
# *Every input is hostile until proven otherwise; every error is a document the client can act on.*
#
# **Learning goals**
# - write field rules (lengths, ranges, formats such as email and UUID), a custom validator and a cross-field rule
#   with Pydantic v2;
# - answer every error — 400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 500 — as an RFC 9457 **problem details**
#   document (`application/problem+json`) whose `status` equals the HTTP status;
# - refuse a body that is too large (**413**) or in the wrong format (**415**) before any handler reads it;
# - use a seeded random **fuzz** to show that no input makes the server fail (no 500).
#
# **Why it matters.** A handler that trusts its input crashes, stores garbage, or worse. Validation at the boundary
# keeps every later line of code simple: inside, a title is never blank and an id always fits the database. And the
# way you *refuse* matters as much as the refusal: a client can only fix its request if the error says, in a format
# it can parse, what was wrong and where.

# %%
from course_lib import serve, show, show_source, start_chapter, table

start_chapter(8, "Validation")

# %% [markdown]
# ## Layers of refusal
# A request passes several gates, each cheaper than the next, and each with its own status code. The two new ones,
# size and type, are middleware: they run before FastAPI reads the body, so they come first, even before the API key
# is looked at. The rest is the order chapter 05 measured: parse the JSON, run the dependencies (the key), validate the
# fields, and then the route's own checks.
#
# ```mermaid
# flowchart TB
#     R[request] --> S{{"size ≤ 64 KiB?"}}
#     S -->|yes| T{{JSON type?}}
#     T -->|yes| J{{parses?}}
#     J -->|yes| K{{API key?}}
#     K -->|yes| V{{rules kept?}}
#     V -->|yes| D{{state allows?}}
#     D -->|yes| H[handler: 2xx]
#     S -->|no| E413[413 too large]
#     T -->|no| E415[415 wrong type]
#     J -->|no| E400[400 not JSON]
#     K -->|no| E401[401 who are you?]
#     V -->|no| E422[422 invalid]
#     D -->|no| E4xx[404 / 403 / 409]
# ```
#
# This chapter's API is chapter 07's with models that carry field rules, problem details for every error, and the two
# guards in front:

# %%
from course_lib.taskapi import ch08_validation

show_source(ch08_validation.swap_seams)

# %%
show_source(ch08_validation.extend)

# %%
app = ch08_validation.create_app()
api = serve(app)
signed_up = api.post("/users", json={"name": "Ada", "email": "ada@example.org",
                                     "password": "violet harbor lantern 42"})
ada = {"X-API-Key": signed_up.json()["api_key"]}
api, signed_up.status_code

# %% [markdown]
# ## Field rules
# Most rules are declarations: `Field(min_length=1, max_length=200)` for lengths, `Field(ge=1, le=100)` for ranges,
# a type such as `EmailStr` or `UUID` for formats. Pydantic checks them all and reports every broken rule at once.
# The task API's rules live in one module, next to chapter 07's closed models they extend. One field turns strict
# here: `done` is a `StrictBool`, so `"true"`, `1` or `"yes"` — accepted by chapter 07's lax models — is now a 422: a
# yes/no sent as anything but `true`/`false` is more likely a client's bug than its intent.

# %%
from course_lib.taskapi import schemas_validated

show_source(schemas_validated.TaskCreate)

# %%
show(api.post("/tasks", json={"title": "x" * 201, "description": "fine"}, headers=ada))

# %% [markdown]
# Formats are types. An email address must look like one (`EmailStr`, via the `email-validator` package, which knows
# RFC 5322's addresses, internationalized domains and special-use names); a UUID must be 32 hex digits in the right
# groups. Here with a small model, directly — no HTTP needed to try a rule:

# %%
from uuid import UUID

from pydantic import BaseModel, EmailStr, Field, ValidationError


class Invite(BaseModel):
    """An invitation to a shared task list."""

    list_id: UUID
    email: EmailStr
    days_valid: int = Field(ge=1, le=30)


try:
    Invite.model_validate({"list_id": "list-7", "email": "ada@", "days_valid": 90})
except ValidationError as error:
    for problem in error.errors(include_url=False, include_input=False, include_context=False):
        print(problem["loc"], "→", problem["msg"])

# %%
Invite.model_validate({"list_id": "6f1c2a3e-8b7d-4c5e-9f0a-1b2c3d4e5f60", "email": "ada@example.org",
                       "days_valid": 7})

# %% [markdown]
# The task API's `UserCreate` checks an address against what its OpenAPI states and nothing else: `format: email` and
# a pattern it publishes beside it (`schemas_validated.EMAIL_PATTERN`), so what a client checks before sending is
# what the server keeps. The pattern accepts what the standards accept for the parts it can describe —
# `o'brien@example.ie` (an apostrophe is RFC 5322 `atext`), `user@example.xn--p1ai` (an IDNA A-label) — in ASCII, as
# `format: email` says: an internationalized domain such as `bücher.de` is sent as its A-labels (`xn--bcher-kva.de`,
# what the client's IDNA library writes), and an A-label must decode, which the format checks and no pattern can
# (`xn--b.org` is refused). It refuses a local part outside ASCII (SMTPUTF8,
# RFC 6531): not every mail server on the way can deliver to one.

# %% [markdown]
# A password's rules are few. NIST SP 800-63B-4 (2025), §3.1.1.2, asks for a length — at least 15 characters for a
# password used on its own (8 only when it is one factor of a multi-factor login) — and forbids composition rules
# ("a digit, a capital and a symbol"): they make passwords harder to remember, not to guess. The API's cap of 128
# keeps a huge body from costing an argon2 hash. NIST also requires a **blocklist** check: a password that is
# commonly used, expected or compromised is refused, however long. The famous *correct horse battery staple* is
# 28 characters — and in every cracking dictionary since the comic that made it famous. The course's blocklist is
# small and offline (well-known passphrases, repeats, keyboard walks, a word plus digits, the service's own name, a
# few characters padded with blanks); a production service also asks a breach corpus such as Have I Been Pwned's,
# whose range API never sees the password.
# (Below, a second rule compares the password with the user's own name and e-mail.)

# %%
from course_lib.web import password_rules

show_source(password_rules.blocklist_reason)

# %%
for candidate in ("correct horse battery staple", "passwordpassword", "123456789012345", "violet harbor lantern 42"):
    print(f"{candidate!r:34} → {password_rules.blocklist_reason(candidate) or 'accepted'}")

# %%
show(api.post("/users", json={"name": "Cy", "email": "cy@example.org", "password": "correct horse battery staple"}))

# %% [markdown]
# ## A custom validator
# `min_length=1` accepts `"   "`: three characters. A title of whitespace only is still no title, and no declaration
# says so; a function does. `AfterValidator` runs it after the type check, and whatever it returns is the value
# stored — here, the title without surrounding spaces:

# %%
show_source(schemas_validated.has_text)

# %%
show(api.post("/tasks", json={"title": "   "}, headers=ada))

# %%
created = api.post("/tasks", json={"title": "  validate input  "}, headers=ada)
created.status_code, created.json()["title"]

# %% [markdown]
# A second validator refuses one invisible character: NUL (U+0000). SQLite stores it; PostgreSQL's `text` cannot, and
# its driver refuses the statement, which an API without this rule answers with a 500. A rule that depends on the
# database behind the API belongs in the API, so that every backend answers the same 422 (the `?text=` filter of
# chapter 06 says the same with a `pattern`):

# %%
show_source(schemas_validated.no_nul)

# %%
api.post("/tasks", json={"title": "two\x00words"}, headers=ada).status_code

# %% [markdown]
# ## A cross-field rule
# Some rules need two fields at once: an end after its start, a password that is not the user's own name. A
# `model_validator(mode="after")` runs once every field has passed its own rules, and sees the whole model:

# %%
show_source(schemas_validated.UserCreate.password_is_not_personal)

# %%
show(api.post("/users", json={"name": "Bob", "email": "bob@example.org", "password": "bob-is-great-at-chess"}))

# %% [markdown]
# A cross-field error belongs to no single field, so its location is the body itself (`"pointer": "#"`).
#
# ## Problem details (RFC 9457)
# Until now errors came as FastAPI's `{"detail": ...}`: fine for a human, different for each kind of error. RFC 9457
# defines one format for all of them, with its own media type, `application/problem+json`:
#
# | member | meaning |
# |---|---|
# | `type` | a URI naming the kind of problem; `about:blank` means "just the HTTP status" |
# | `title` | a short human summary of that kind (for `about:blank`: the status phrase) |
# | `status` | the HTTP status code, repeated in the body — it survives proxies that rewrite the status line and logs that keep only the body |
# | `detail` | what went wrong this time, for a human |
# | `instance` | a URI for this one occurrence (here a fresh `urn:uuid:…`, which a log line can name too) |
# | anything else | **extension members**: `errors` with one entry per field, `max_bytes`, `accepted`, ... |

# %%
from course_lib.web import problems

show_source(problems.problem_body)

# %% [markdown]
# Exception handlers turn every error into one: `HTTPException` (404, 401, 403, 409 ...), validation errors (422, or
# 400 when the body is not even JSON), and any bug (500, with no internals). Some errors never become exceptions — a
# route or a middleware may build its own error response, say `JSONResponse({"error": "..."}, status_code=400)` — so a
# last middleware rewrites any error response that is not yet a problem document (the course's own middleware, such
# as chapter 02's 406, already answer with one). A bug's 500 is answered by a middleware of its own, inside every
# middleware added later: Starlette's catch-all sits outside them all, so its 500 would miss what they add to every
# answer (chapter 20's security headers, chapter 21's request id):

# %%
show_source(problems.install_problem_details)

# %% [markdown]
# The 422 carries one entry per broken field: where it was (`in`: body, query, path, header), which field, a JSON
# Pointer into the body, the message and a machine-readable `type`. The rejected *value* is never repeated back: it
# could be megabytes, or a password.

# %%
show_source(problems.field_errors)

# %%
show(api.post("/tasks", json={"title": "", "done": "maybe", "owner_id": 2}, headers=ada))

# %% [markdown]
# A required field that is missing altogether is one more entry, of type `missing`; its pointer names the place where
# the field should have been:

# %%
missing = api.post("/tasks", json={"description": "but no title"}, headers=ada)
show(missing)
assert missing.status_code == 422 and [(e["in"], e["pointer"], e["type"]) for e in missing.json()["errors"]] == [
    ("body", "#/title", "missing")]

# %% [markdown]
# ## Every error, one format
# Each row is a live request; the table checks the content type and that the body's `status` equals the HTTP status.
# (The 403 needs a second user, Bob, who does not own task 1.)

# %%
bob = {"X-API-Key": api.post("/users", json={"name": "Bob", "email": "bob@example.org",
                                             "password": "violet harbor lantern 42"}).json()["api_key"]}
JSON = {"content-type": "application/json"}
error_demo = [
    ("POST", "/tasks", {"content": b'{"title": ', "headers": {**ada, **JSON}}, "not JSON"),
    ("POST", "/tasks", {"json": {"title": "no key"}}, "no API key"),
    ("PATCH", "/tasks/1", {"json": {"done": True}, "headers": bob}, "not the owner"),
    ("GET", "/tasks/99", {}, "no such task"),
    ("DELETE", "/tasks", {}, "wrong method"),
    ("GET", "/tasks/1", {"headers": {"Accept": "image/png"}}, "no acceptable representation"),
    ("POST", "/users",
     {"json": {"name": "Ada", "email": "ADA@example.org", "password": "violet harbor lantern 42"}}, "email taken"),
    ("POST", "/tasks", {"content": b'{"title": "' + b"x" * 70_000 + b'"}', "headers": {**ada, **JSON}}, "too large"),
    ("POST", "/tasks", {"content": b"title=x", "headers": {**ada, "content-type": "text/plain"}}, "not JSON type"),
    ("POST", "/tasks", {"json": {"title": "  "}, "headers": ada}, "blank title"),
]
rows = []
for method, path, options, why in error_demo:
    response = api.request(method, path, **options)
    rows.append({"request": f"{method} {path}", "why": why, "status": response.status_code,
                 "content-type": response.headers["content-type"], "body status": response.json()["status"]})
table(rows)
assert all(row["content-type"] == problems.PROBLEM_JSON and row["status"] == row["body status"] for row in rows)

# %% [markdown]
# Headers that belong to an error stay: the 401 still says how to authenticate, the 405 still lists what is allowed.

# %%
show(api.delete("/tasks"), headers=["allow", "content-type"])

# %% [markdown]
# ## 413: a limit on the body
# Without a limit, one request with a 2 GB body occupies a worker and its memory. The limit is documented (64 KiB,
# far above any real task) and enforced in two ways: a `Content-Length` over the limit is refused before reading a
# byte; a body sent in chunks without a length is counted as it arrives and cut off once it passes the limit.

# %%
from course_lib.web import limits

show_source(limits.BodySizeLimitMiddleware)

# %%
def chunks(total: int, size: int = 8192):
    """A body without Content-Length: httpx sends a generator with Transfer-Encoding: chunked."""
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


streamed = api.post("/tasks", content=chunks(200_000), headers={**ada, **JSON})
streamed.status_code, streamed.json()["detail"]

# %% [markdown]
# ## 415: the wrong format
# A JSON endpoint sent `text/plain` or a form used to fail with a confusing 422 ("input should be an object"). The
# honest answer is **415 Unsupported Media Type**, with an `Accept` header saying what to send instead. The
# middleware looks up the route the request is for, so form routes of later chapters still take forms:

# %%
show_source(limits.ContentTypeMiddleware)

# %%
show(api.post("/tasks", data={"title": "from a form"}, headers=ada), headers=["accept", "content-type"])

# %% [markdown]
# Both guards are middleware, so they answer before FastAPI parses the body or asks for the API key. Four anonymous
# requests, each failing every gate from its row down, show the order of the layers diagram at the top:

# %%
gates = [
    ("over 64 KiB, text/plain", {"content": b"x" * 70_000, "headers": {"content-type": "text/plain"}}),
    ("text/plain", {"content": b"title=x", "headers": {"content-type": "text/plain"}}),
    ("JSON type, broken JSON", {"content": b'{"title": ', "headers": JSON}),
    ("valid JSON, blank title", {"json": {"title": "  "}}),
]
gate_rows = [{"anonymous POST /tasks with": why, "status": api.post("/tasks", **options).status_code}
             for why, options in gates]
table(gate_rows)
assert [row["status"] for row in gate_rows] == [413, 415, 400, 401]

# %% [markdown]
# ## Fuzzing: no input yields a 500
# Rules you thought of are tested by examples. For the ones you did not think of, throw many odd requests at the API
# and watch for 5xx: wrong types, huge numbers, empty and enormous strings, broken JSON, unknown fields, odd ids in
# paths. `course_lib.lab.fuzz` does this with a seeded random generator, so the same seed sends the same requests:

# %%
from course_lib.lab.fuzz import fuzz, mutate

show_source(mutate)

# %%
ENDPOINTS = ["GET /tasks", "POST /tasks", "GET /tasks/{id}", "PUT /tasks/{id}", "PATCH /tasks/{id}",
             "DELETE /tasks/{id}", "POST /tasks/{id}/complete", "GET /users", "GET /users/{id}",
             "GET /users/{id}/tasks", "POST /users/{id}/tasks"]
EXAMPLES = {"POST /tasks": {"title": "a", "description": "b", "done": False},
            "PUT /tasks/{id}": {"title": "a", "description": "b", "done": True},
            "PATCH /tasks/{id}": {"title": "c", "done": True}, "POST /users/{id}/tasks": {"title": "a"}}
QUERY = {"GET /tasks": ["limit", "page", "sort", "done", "text"]}

# %% [markdown]
# Odd ids are the classic crash: an id too big for the database's integer column makes the query fail
# (`OverflowError` on SQLite, "integer out of range" on PostgreSQL) — a 500. The task routes have carried the rule
# since chapter 01, in the type of every id in a path: digits only, from 1 to 2³¹−1 (PostgreSQL's `INTEGER`), checked
# before the handler runs:

# %%
from course_lib.taskapi import deps

show_source(deps, highlight_text=("TaskId", "digits_only"))

# %%
show(api.get("/tasks/10000000000000000000000"))

# %% [markdown]
# And the same fuzz against this chapter's API: no 5xx, and every error a problem document.

# %%
report = fuzz(api, ENDPOINTS, count=200, seed=1, examples=EXAMPLES, query=QUERY, headers=ada)
print(report.summary())
assert report.ok and not report.not_problem

# %% [markdown]
# A fuzz proves nothing about inputs it did not send — 200 requests are a sample, not a proof. Chapter 18 goes further
# with property-based testing (Hypothesis) and schemathesis, which derives requests from the OpenAPI document.
#
# ## Try it
# - Send `PUT /tasks/1` with a `description` of 2001 characters, then 2000.
# - Post a body of 70 000 bytes with `Content-Length` and without it (a generator): both are 413.
# - Change the fuzz seed and count; look at `report.statuses`.
#
# ## Exercises

# %%
from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, field_validator, model_validator

from course_lib.checks.ch08 import VALID_EVENT, q1, q2, q3
from course_lib.web.problems import problem

# %% [markdown]
# **Exercise 1.** Write `EventCreate` for `POST /events`:
# - `title`: 1 to 100 characters, not whitespace only, stored without surrounding spaces (a custom validator);
# - `venue_id`: a UUID; `organizer_email`: an email address; `seats`: 1 to 500;
# - `starts_at`, `ends_at`: datetimes, and the end strictly after the start (a cross-field rule);
# - no other fields.
#
# The check validates `VALID_EVENT` and ten broken variants of it.

# %%
VALID_EVENT

# %%
### BEGIN SOLUTION
class EventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=100)
    venue_id: UUID
    organizer_email: EmailStr
    seats: int = Field(ge=1, le=500)
    starts_at: datetime
    ends_at: datetime

    @field_validator("title")
    @classmethod
    def title_has_text(cls, title: str) -> str:
        if not title.strip():
            raise ValueError("title must contain more than whitespace")
        return title.strip()

    @model_validator(mode="after")
    def ends_after_start(self) -> "EventCreate":
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self
### STUB
EventCreate = None  # YOUR CODE HERE
### END SOLUTION

# %%
q1.check(EventCreate)

# %% [markdown]
# **Exercise 2.** A shop raises `OutOfStock(sku)` when an item has run out. Write the exception handler
# `out_of_stock(request, exc)`: a **409** problem details response whose `detail` names the item and which carries
# the sku as an extension member `"sku"`. (`problem(status, detail, **extensions)` from `course_lib.web.problems` helps.)

# %%
### BEGIN SOLUTION
async def out_of_stock(request, exc):
    return problem(409, f"{exc.sku} is out of stock", sku=exc.sku)
### STUB
out_of_stock = None  # YOUR CODE HERE
### END SOLUTION

# %%
q2.check(out_of_stock)

# %% [markdown]
# **Exercise 3.** This handler splits a bill, reading the body with your model `SplitBill` (`total`, `people`,
# `currency`):
#
# ```python
# SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
#
# @app.post("/split")
# def split(bill: SplitBill) -> dict:
#     return {"each": f"{SYMBOLS[bill.currency]}{bill.total // bill.people}"}
# ```
#
# With plain `int` and `str` fields, some inputs crash it. Add rules to `SplitBill` so that the check's fuzz
# (150 requests) finds no 500, while `{"total": 100, "people": 4, "currency": "EUR"}` still answers `€25`.

# %%
### BEGIN SOLUTION
class SplitBill(BaseModel):
    total: int = Field(ge=0)
    people: int = Field(ge=1)
    currency: Literal["EUR", "USD", "GBP"]
### STUB
SplitBill = None  # YOUR CODE HERE: start from total: int, people: int, currency: str, and add rules
### END SOLUTION

# %%
q3.check(SplitBill)

# %% [markdown]
# ## Recap
# - Refuse early and cheaply: 413 (size) and 415 (format) before parsing, 400 for broken JSON, 401 for a missing key,
#   422 for broken rules, 404/403/409 for state.
# - Declare rules where you can (`Field`, `EmailStr`, `UUID`, `Literal`), write a validator where you must, and use a
#   model validator for rules across fields.
# - Passwords (NIST SP 800-63B-4): 15+ characters, no composition rules, and a blocklist of common ones.
# - RFC 9457: `application/problem+json` with `type`, `title`, `status` (= the HTTP status), `detail`, `instance`,
#   plus extensions such as per-field `errors`. Never echo the rejected input.
# - Install it cross-cutting (exception handlers + one middleware), so routes added later answer the same way.
# - A seeded fuzz finds the inputs nobody thought of; a 500 is always a bug.
#
# ## Going further
# - [RFC 9457, Problem Details for HTTP APIs](https://www.rfc-editor.org/rfc/rfc9457).
# - [Pydantic: validators](https://docs.pydantic.dev/latest/concepts/validators/) and
#   [fields](https://docs.pydantic.dev/latest/concepts/fields/).
# - [OWASP Input Validation Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Input_Validation_Cheat_Sheet.html).
# - [NIST SP 800-63B-4](https://pages.nist.gov/800-63-4/sp800-63b.html), §3.1.1.2 — the password rules: 15 characters
#   when used alone, no composition rules.
# - Starlette ships a `RequestBodyLimitMiddleware` and FastAPI a `max_body_size` option; ours exists to show how one
#   works and to answer in problem details.
#
# ## Where this lives in course_lib
# `course_lib/web/problems.py` (RFC 9457 handlers and middleware), `course_lib/web/limits.py` (413 and 415),
# `course_lib/lab/fuzz.py` (the seeded fuzz), `course_lib/taskapi/schemas_validated.py` (the rules),
# `course_lib/taskapi/ch08_validation.py` (the API), `course_lib/checks/ch08.py` (the checks).
