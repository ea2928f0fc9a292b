# %% [markdown]
# # Chapter 07 — Serialization
# *What the server stores is not what the client sees: one model per direction, closed to unknown fields on the way
# in, careful on the way out.*
#
# **Learning goals**
# - tell a stored **record** from its **representations**, and give each direction its own Pydantic v2 model
#   (a model family: `TaskCreate`, `TaskUpdate`, `TaskPublic`, ...);
# - name the two directions: **deserialization** (bytes → Python objects → a validated model) and **serialization**
#   (model → JSON bytes);
# - know when validation converts a value (`"1"` → `1`, Pydantic's **lax** mode) and when it refuses to (**strict**
#   mode);
# - make sure a response can never carry an internal field — a password hash, a key digest — and prove it;
# - refuse unknown input fields with a 422 (`extra="forbid"`) instead of ignoring them, and know why that stops
#   **mass assignment**;
# - send every timestamp as ISO 8601 in UTC with a `Z`, whatever the database or the server's clock zone;
# - accept and send another spelling of a field with **aliases**.
#
# **Why it matters.** Serialization is where data crosses the trust boundary. Return your database row as it is and
# one day a new column (`password_hash`, `is_admin`, `internal_notes`) is on the internet. Bind client JSON straight
# onto a record and one day a client sends `"role": "admin"`. Both have been real breaches (GitHub's 2012 mass
# assignment hole; many leaked hashes). The fix is boring and total: explicit models for what comes in and what goes
# out.

# %%
from course_lib import serve, show, show_source, start_chapter

start_chapter(7, "Serialization")

# %% [markdown]
# ## Records and representations
# The application stores **records**. A user record has what the server needs, including secrets:

# %%
from course_lib.taskapi import records

show_source(records.User)

# %% [markdown]
# A client gets a **representation**: a JSON document shaped by a model that lists the fields it may see. Between the
# two sits serialization. Each direction gets its own model, because each direction has different rules:
#
# ```mermaid
# flowchart LR
#     C[client JSON] -->|deserialize: UserCreate<br/>no unknown fields, password in| H[handler]
#     H -->|hash password| R[(User record<br/>password_hash, ...)]
#     R -->|serialize: UserPublic<br/>only public fields| O[client JSON]
# ```
#
# | model | direction | what it holds |
# |---|---|---|
# | `TaskCreate`, `TaskReplace`, `TaskUpdate`, `UserCreate` | in (request body) | what a client may set, nothing more |
# | `TaskPublic`, `UserPublic` | out (`response_model`) | what a client may see, nothing more |
# | `UserCreated` | out, once | `UserPublic` plus the new API key |
#
# This chapter's models live in `course_lib/taskapi/schemas_strict.py`: chapter 04's family, tightened.

# %%
from course_lib.taskapi import schemas_strict

show_source(schemas_strict.UserCreate)

# %%
show_source(schemas_strict.UserPublic)

# %% [markdown]
# The API of this chapter registers chapter 05's routes again with these models, keeps chapter 06's paginated lists,
# and gives sign-up a password:

# %%
from course_lib.taskapi import ch07_serialization

show_source(ch07_serialization.swap_seams)

# %%
app = ch07_serialization.create_app()
api = serve(app)
api

# %% [markdown]
# ## A password goes in, never comes out
# Sign-up sends a password. The server hashes it with **argon2** and stores only the hash; the answer holds the
# public fields and, this one time, the API key:

# %%
from course_lib.taskapi.routes import users

show_source(users.router, highlight_text=("to_record", "models.public", "EmailTaken"))

# %%
show_source(schemas_strict.UserCreate.to_record)

# %%
signed_up = api.post("/users", json={"name": "Ada", "email": "ada@example.org",
                                     "password": "violet harbor lantern 42"})
show(signed_up, headers=["location"])
ada = {"X-API-Key": signed_up.json()["api_key"]}

# %% [markdown]
# The password must have 15 to 128 characters. Fifteen is the floor that NIST SP 800-63B-4 (2025) sets for a password
# that is the only thing standing between an attacker and an account (8 are allowed only when the password is one
# factor of several, as in multi-factor login). Length, not a mix of digits and symbols, is what makes a password
# hard to guess, so the rule asks for nothing else; the cap of 128 (the guideline asks to allow at least 64) keeps a
# megabyte-long "password" from costing a hash.

# %% [markdown]
# What the server keeps is the record. Its `password_hash` is an argon2id string: algorithm, version, cost
# parameters, a random salt, the hash. The first part is the same for every user; the rest changes with every hash,
# even of the same password:

# %%
record = app.context.storage.users.get(1)
record.password_hash.split("$")[1:4]

# %% [markdown]
# Argon2 is slow **on purpose**: a login pays it once, an attacker with a stolen table pays it for every guess. Here
# it is next to a plain SHA-256, which is the wrong tool for passwords exactly because it is fast:

# %% tags=["nbval-ignore-output"]
import hashlib
import time

from course_lib.web.passwords import hash_password, verify_password

started = time.perf_counter()
hash_password("violet harbor lantern 42")
argon2_seconds = time.perf_counter() - started
started = time.perf_counter()
for _ in range(1000):
    hashlib.sha256(b"violet harbor lantern 42").hexdigest()
sha256_seconds = (time.perf_counter() - started) / 1000
print(f"argon2id: {argon2_seconds * 1000:.0f} ms per hash · sha256: {sha256_seconds * 1e6:.1f} µs per hash · "
      f"{argon2_seconds / sha256_seconds:,.0f}× slower")
assert argon2_seconds > 100 * sha256_seconds

# %%
verify_password("violet harbor lantern 42", record.password_hash), verify_password("guess", record.password_hash)

# %% [markdown]
# ## Proving that nothing leaks
# "The model has no `password_hash` field" is a claim; a test makes it a fact. Collect every response the API gives
# about users and tasks — successes, errors, even the OpenAPI document — and search them for the secrets:

# %%
api.post("/tasks", json={"title": "serialize carefully"}, headers=ada)
responses = [signed_up, api.get("/users", headers=ada), api.get("/users/1", headers=ada), api.get("/users/1/tasks"),
             api.get("/tasks"), api.get("/tasks/1"), api.get("/openapi.json"),
             api.post("/users", json={"name": "Bob", "email": "bob@example.org", "password": "hunter2"})]
secrets = ["violet harbor lantern 42", "hunter2", record.password_hash, "$argon2", "password_hash"]
[(r.request.method, r.request.url.path, r.status_code, [s for s in secrets if s in r.text]) for r in responses]

# %% [markdown]
# Every list of leaks is empty. The last request was refused (`hunter2` has 7 characters, not 15), and even its error
# does not repeat the password back. How the filter works: the route declares `response_model=UserPublic`, and
# FastAPI builds the answer from that model, so a field the model does not declare cannot be in it — whatever the
# handler returns. The model is also what keeps the password out of logs: it is a `Secret`, shown as stars unless read
# on purpose.

# %%
body = schemas_strict.UserCreate(name="Ada", email="ada@example.org", password="violet harbor lantern 42")
body, body.model_dump_json(), body.password.get_secret_value()

# %% [markdown]
# ## Deserialization: from bytes to a model
# **Serialization** turns a model into bytes for the wire; **deserialization** is the way in, and it has two steps:
# *parse* the bytes into Python objects (a dict of strings, numbers, booleans, lists), then *validate* those objects
# into a model, which checks every rule and converts values to the declared types. FastAPI does both for every body
# (a body that does not parse is chapter 05's 400; one that does not validate, a 422). By hand:

# %%
import json

wire = b'{"title": "parse me", "done": false}'  # what arrives: bytes
data = json.loads(wire)  # 1. parse: bytes -> Python objects
task_in = schemas_strict.TaskCreate.model_validate(data)  # 2. validate: objects -> a model that keeps its rules
print(type(wire).__name__, "->", type(data).__name__, "->", repr(task_in))
print("both steps at once:", schemas_strict.TaskCreate.model_validate_json(wire) == task_in)

# %% [markdown]
# Serialization is the same road back: `model_dump()` gives Python objects, `model_dump_json()` the JSON text that goes
# on the wire (FastAPI encodes it to bytes):

# %%
task_in.model_dump(), task_in.model_dump_json()

# %% [markdown]
# ## Coercion: lax and strict
# Validation does more than check: by default Pydantic **coerces**, converting a value to the declared type when the
# conversion is unambiguous — `"1"` becomes `1`, `"true"` becomes `True`, `"2026-01-15T09:30:00Z"` a `datetime`. That
# is **lax mode**. **Strict mode** (`strict=True` on a call, `Field(strict=True)` on a field, or
# `ConfigDict(strict=True)` on a model) refuses those conversions: an `int` field takes an int and only an int. It
# still allows the few that lose nothing — an `int` for a `float` field; and when it parses JSON text
# (`model_validate_json`), an ISO 8601 string for a `datetime` and a UUID string for a `UUID`, since JSON has no such
# types.

# %%
from pydantic import BaseModel, ConfigDict, ValidationError


class Filter(BaseModel):
    """Two typed fields, as a list filter might have."""

    page: int
    done: bool


sent = {"page": "1", "done": "true"}
print("lax:   ", repr(Filter.model_validate(sent)))
try:
    Filter.model_validate(sent, strict=True)
except ValidationError as error:
    print("strict:", [(problem["loc"], problem["type"]) for problem in error.errors()])

# %% [markdown]
# The task API of this chapter is lax, like FastAPI's default: a client that sends `"done": "true"` gets a task that
# is done. Chapter 08 makes one field strict (`done: StrictBool`): a yes/no that arrives as `"true"`, `1` or `"yes"` is
# more likely a client's bug than its intent, and guessing would hide it.

# %%
lax = api.post("/tasks", json={"title": "coerced", "done": "true"}, headers=ada)
lax.status_code, lax.json()["done"]

# %% [markdown]
# Strict mode over HTTP has a catch. FastAPI parses the JSON first and validates the resulting Python objects, and
# in strict mode a Python *string* is no `datetime` — so a strict model refuses every timestamp a client can send (JSON
# has no datetime type; `model_validate_json` would accept it, FastAPI does not call it):

# %%
from datetime import datetime

from fastapi import FastAPI


class Reminder(BaseModel):
    """A strict model: no conversions at all."""

    model_config = ConfigDict(strict=True)

    task_id: int
    at: datetime


reminders = FastAPI()


@reminders.post("/reminders")
def add_reminder(reminder: Reminder) -> dict:
    return {"task_id": reminder.task_id}


strict_api = serve(reminders, name="strict")
[(body, response.status_code, [error["loc"][-1] for error in response.json().get("detail", [])])
 for body in ({"task_id": "1", "at": "2026-01-15T09:30:00Z"}, {"task_id": 1, "at": "2026-01-15T09:30:00Z"})
 for response in [strict_api.post("/reminders", json=body)]]

# %% [markdown]
# `"1"` is refused, as asked — and so is a perfectly good timestamp. Where a conversion would hide a client's bug
# (an amount sent as `"10"`), mark that one field strict (`Field(strict=True)`, or `StrictInt`); leave the model lax.
# Query parameters and headers are text by nature (`?limit=20` arrives as `"20"`), so they are always coerced.
#
# A word on names: `extra="forbid"`, below, is **not** strict mode. Strict is about the *types* a value may have;
# forbidding extras is about which *fields* may come at all. A model that forbids extras is **closed**.
#
# ## Mass assignment: refuse what you did not ask for
# By default Pydantic **ignores** unknown fields. That looks harmless, but it hides mistakes (a typo `"titel"` is
# silently dropped) and invites a classic bug: code that copies "whatever the client sent" onto a record lets the
# client set `owner_id`, `role` or `is_admin`. Chapter 04's open model and this chapter's closed one, side by side:

# %%
from pydantic import ValidationError

from course_lib.taskapi import schemas

sneaky = {"title": "mine now", "owner_id": 2}
print("open:  ", schemas.TaskCreate.model_validate(sneaky))
try:
    schemas_strict.TaskCreate.model_validate(sneaky)
except ValidationError as error:
    print("closed:", error.errors(include_url=False, include_input=False))

# %% [markdown]
# `model_config = ConfigDict(extra="forbid")` is the whole change. Over HTTP it is a **422** that names the field, so
# the client learns at once that its request was not what it thought:

# %%
show(api.post("/tasks", json={"title": "mine now", "owner_id": 2}, headers=ada))

# %%
show(api.post("/users", json={"name": "Eve", "email": "eve@example.org", "password": "violet harbor lantern 42",
                              "role": "admin"}))

# %% [markdown]
# The OpenAPI document says so too — `"additionalProperties": false` — so generated clients know before they send:

# %%
openapi = api.get("/openapi.json").json()
{name: openapi["components"]["schemas"][name].get("additionalProperties")
 for name in ("TaskCreate", "TaskUpdate", "UserCreate", "TaskPublic")}

# %% [markdown]
# ## Time on the wire: UTC, ISO 8601, Z
# A timestamp without a zone is a guess. The API sends every timestamp the same way: ISO 8601, converted to UTC,
# with `Z` for "zero offset" — `2026-01-15T09:30:00Z`. Clients convert to local time for display; the server never
# does. Two small functions do it, and an annotated type attaches them to every datetime field of the output models:

# %%
show_source(schemas_strict.as_utc)

# %%
show_source(schemas_strict.to_wire)

# %% [markdown]
# The same instant written in Berlin, in New York, and by a database that forgot the zone (SQLite stores naive
# values; this API stores UTC, so naive means UTC):

# %%
from datetime import datetime, timedelta, timezone

berlin = datetime(2026, 1, 15, 10, 30, tzinfo=timezone(timedelta(hours=1)))
new_york = datetime(2026, 1, 15, 4, 30, tzinfo=timezone(timedelta(hours=-5)))
naive = datetime(2026, 1, 15, 9, 30)
for moment in (berlin, new_york, naive):
    print(f"{moment.isoformat():<26} → {schemas_strict.to_wire(moment)}")

# %% [markdown]
# And on the live API (the exact time is whenever this cell ran):

# %%
task = api.get("/tasks/1").json()
task["created_at"], task["created_at"].endswith("Z")

# %% [markdown]
# ## Aliases: one field, two spellings
# Sometimes the wire name and the Python name differ: a JavaScript client speaks `camelCase`, or a field was renamed
# and old clients still send the old name. Aliases handle both without changing the code that uses the model. The
# task API itself keeps `snake_case`; this small model shows the mechanics:

# %%
from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class TaskCard(BaseModel):
    """A task for a camelCase client; `summary` is the old name of `title`."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, validate_by_alias=True,
                              serialize_by_alias=True, extra="forbid")

    title: str = Field(validation_alias=AliasChoices("title", "summary"))
    owner_id: int
    created_at: schemas_strict.UTCDateTime


card = TaskCard.model_validate({"summary": "old clients still work", "ownerId": 1,
                                "createdAt": "2026-01-15T10:30:00+01:00"})
card.title, card.model_dump_json()

# %% [markdown]
# In Python the fields keep their Python names (`card.owner_id`); on the wire they are `ownerId`, `createdAt`; the
# old name `summary` is accepted on input. Aliases are a translation table at the boundary, nothing more.
#
# ## Try it
# - Send `PATCH /tasks/1` with `{"done": true, "updated_at": "2000-01-01T00:00:00Z"}` and read the 422.
# - Add a field to `records.User` in your head — say `is_admin` — and check which responses would change (none:
#   `UserPublic` decides).
# - Open `/docs` (the link above) and look at `UserCreate`: the password is marked write-only.
#
# ## Exercises

# %%
from datetime import UTC

from course_lib.checks.ch07 import Account, q1, q2, q3

# %% [markdown]
# **Exercise 1.** The app below stores `Account` records with two secrets. Write `AccountPublic`, the output model of
# `GET /accounts/{id}`: exactly `id`, `email` and `created_at`. The check serves it as a `response_model` and looks
# for the secrets in the answer.

# %%
show_source(Account)

# %%
### BEGIN SOLUTION
class AccountPublic(BaseModel):
    id: int
    email: str
    created_at: datetime
### STUB
AccountPublic = None  # YOUR CODE HERE: class AccountPublic(BaseModel): ...
### END SOLUTION

# %%
q1.check(AccountPublic)

# %% [markdown]
# **Exercise 2.** `PATCH /me` lets a user change `name` and `bio`, each optional. Write `ProfileUpdate` so that a
# body with any other field — `{"role": "admin"}` — is refused with a 422 rather than ignored (or worse, applied).

# %%
### BEGIN SOLUTION
class ProfileUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    bio: str | None = None
### STUB
ProfileUpdate = None  # YOUR CODE HERE
### END SOLUTION

# %%
q2.check(ProfileUpdate)

# %% [markdown]
# **Exercise 3.** Write `to_wire(dt)`: the timestamp as ISO 8601 in UTC, ending in `Z`. An aware datetime is
# converted to UTC; a naive one is taken to be UTC already.

# %%
def to_wire(dt: datetime) -> str:
    """`dt` as ISO 8601 in UTC with a Z."""
    ### BEGIN SOLUTION
    dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    return dt.isoformat().replace("+00:00", "Z")
    ### END SOLUTION


# %%
q3.check(to_wire)

# %% [markdown]
# ## Recap
# - A record is what you store; a representation is what you send. Give each direction its own model.
# - `response_model` filters: a field the output model does not declare cannot leave the server. Test it anyway, by
#   searching real responses for the secrets.
# - Store passwords as argon2 hashes (slow, salted); carry them as `Secret` so they never land in a log.
# - Deserialization parses bytes into Python objects and validates them into a model; serialization goes back
#   (`model_dump`, `model_dump_json`).
# - Validation coerces in lax mode (`"1"` → `1`, FastAPI's default); strict mode converts nothing — use it per field,
#   since a strict model refuses even timestamps sent as JSON strings.
# - `extra="forbid"` closes a model: unknown fields are a 422, no silent drops, no mass assignment. (Closed is not
#   strict: one is about fields, the other about types.)
# - Passwords used alone: at least 15 characters (NIST SP 800-63B-4), no composition rules.
# - Timestamps: ISO 8601, UTC, `Z`. Convert for display on the client, never on the server.
# - Aliases translate wire names (camelCase, old names) at the boundary.
#
# ## Going further
# - [Pydantic: serialization](https://docs.pydantic.dev/latest/concepts/serialization/),
#   [aliases](https://docs.pydantic.dev/latest/concepts/alias/),
#   [strict mode](https://docs.pydantic.dev/latest/concepts/strict_mode/) and the
#   [conversion table](https://docs.pydantic.dev/latest/concepts/conversion_table/) (what lax mode converts).
# - [NIST SP 800-63B-4](https://pages.nist.gov/800-63-4/sp800-63b.html), §3.1.1 — passwords: 15 characters when used
#   alone, no composition rules, no forced rotation.
# - [OWASP API Security Top 10: API3:2023 Broken Object Property Level Authorization](https://owasp.org/API-Security/editions/2023/en/0xa3-broken-object-property-level-authorization/)
#   — excessive data exposure and mass assignment, one category.
# - [OWASP Password Storage Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html)
#   — why argon2id, and with which parameters.
# - [RFC 3339](https://www.rfc-editor.org/rfc/rfc3339) — the ISO 8601 profile the internet uses for timestamps.
#
# ## Where this lives in course_lib
# `course_lib/taskapi/schemas_strict.py` (this chapter's models, `UTCDateTime`), `course_lib/taskapi/ch07_serialization.py`
# (the API), `course_lib/web/passwords.py` (argon2 via pwdlib), `course_lib/checks/ch07.py` (the checks).
