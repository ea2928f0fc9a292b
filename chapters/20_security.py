# %% [markdown]
# # Chapter 20 — Security
# *Every earlier chapter closed a door. This one counts the doors, adds the locks an API still lacks, and tries each
# one from the outside.*
#
# **Learning goals**
# - walk the roadmap's security list on the course's API, each item **live**: validation and authentication recalled
#   from chapters 07–09 and 15, the rest added here;
# - **rate limit** with counters in Redis (the maintained `limits` library, a fixed window), answer **429** as
#   problem+json with `Retry-After` and the IETF `RateLimit` / `RateLimit-Policy` fields, and be allowed again after
#   `Retry-After`;
# - limit **failed logins** harder — per account from one address, per account, and per client address — the address
#   as chapter 11 taught it: proxy headers believed only from the proxy;
# - answer **CORS** preflights for an explicit allow-list, and never echo a foreign `Origin` or tell it about
#   credentials;
# - add **security headers**, keep stack traces and secrets out of every response, read secrets only from the
#   environment, and **redact** logs;
# - know where each middleware sits, and why there;
# - walk the **OWASP API Security Top 10 (2023)** against the API, one real request per item.
#
# **Why it matters.** An API is a program that strangers call. Most of its security is already in what the course
# built: validation (07–08) refuses malformed input, authentication and authorization (09, 15) decide who may do what,
# tasks are private (15). What is left are the limits a single request cannot show: how *often* a client may ask, which
# *pages* may read the answers, what the *server* says about itself when it fails, and what its *logs* keep.

# %%
from course_lib import serve, show, show_source, start_chapter, table

start_chapter(20, "Security")

# %% [markdown]
# ## The list, and where each item lives
#
# | the roadmap's item | where in the API | shown |
# |---|---|---|
# | validation of every input | Pydantic models, limits, 413/415/422 as problem+json | chapters 07–08, the OWASP walk below |
# | authentication, authorization | API keys (05), sessions + CSRF (09), JWT + roles + private tasks (15) | the OWASP walk below |
# | rate limiting | `RateLimitMiddleware`, counters in Redis | here |
# | CORS | `StrictCORSMiddleware`, the allow-list `ALLOWED_ORIGINS` | here |
# | no stack traces | the 500 handler of chapter 08 | here, with a route that raises |
# | secrets from the environment | `Settings.secret_key` (15) | here |
# | logs that redact | `course_lib/web/redaction.py` | here |
# | security headers | `SecurityHeadersMiddleware` | here |
#
# Chapter 20's change to the API is three middleware and one logging filter, nothing in any route:

# %%
from course_lib.taskapi import ch20_security

show_source(ch20_security.extend)

# %% [markdown]
# `add_middleware` puts each new middleware *outside* the ones before it, so the last one added meets a request
# first. The whole stack of the finished API, outermost first:

# %%
from course_lib.lab.slow_service import CalendarService
from course_lib.services.settings import get_settings
from course_lib.taskapi.describe import middleware_lines

FRONT = "https://app.example.org"  # the one page allowed to call the API from a browser, in this chapter
calendar = CalendarService()
dependency = serve(calendar.app, name="calendar")  # chapter 12's calendar, for the last item of the OWASP walk
settings = get_settings().model_copy(update={"allowed_origins": [FRONT], "calendar_url": dependency.url})
app = ch20_security.create_app(settings)
api = serve(app)
print("\n".join(middleware_lines(app)))

# %% [markdown]
# ```mermaid
# flowchart LR
#     C["client"] --> H["SecurityHeaders"] --> O["StrictCORS"] --> R["RateLimit"] --> E["earlier chapters: middleware"] --> A["routes"]
#     O -- "preflight: answered here" --> H
#     R -- "over a limit: 429" --> O
# ```
#
# Why this order:
# - **security headers outermost**, so every answer our middleware sees gets them — a 429, a refused preflight, a 404
#   alike, an unhandled 500 too (below);
# - **CORS before the limiter**: a preflight is the browser asking permission, not the page's request; it must not
#   spend the page's quota. And a 429 passes back through CORS, so a listed page can *read* it instead of seeing an
#   opaque network error — its `Retry-After` and `RateLimit` fields too, because the answer names them in
#   `Access-Control-Expose-Headers` (a page may read only a few "safelisted" fields otherwise);
# - **the limiter before everything else**: a refused request costs a few Redis round trips, no password check, no
#   database. (Starlette's own catch-all, `ServerErrorMiddleware`, wraps *all* user middleware, so its 500 would
#   come from outside them, without the security headers or a request id; chapter 08's `UnhandledErrorMiddleware`
#   answers the 500 inside, where everything added since dresses it like any other answer.)

# %% [markdown]
# ## Rate limiting: counters in Redis
# A rate limit is a counter per client per window. Where does the counter live? In the process it would be wrong
# behind the balancer of chapter 11 — each replica would count its own share and allow N times the limit. So it lives
# in **Redis**, shared by every replica, the same Redis as the sessions and the cache (fakeredis in this kernel).
#
# The counting is the maintained [`limits`](https://limits.readthedocs.io) library's: we use its **fixed window** —
# one key per client per window, `INCR` plus an expiry in one Lua script, atomic in Redis. (Its *moving window*
# remembers every request's time and is exact, at a sorted set per client; its *sliding window counter* weighs the
# previous window's count. A fixed window lets a client send up to twice the quota across a window boundary; for a
# ceiling against floods that is fine.)
#
# The answer follows the IETF draft **draft-ietf-httpapi-ratelimit-headers-11** (May 2026). Its two fields are
# Structured Field lists (RFC 9651) — a quoted policy name with parameters:
#
# | field | syntax | says |
# |---|---|---|
# | `RateLimit-Policy` | `"requests";q=3000;w=60` | the quota `q` per window of `w` seconds |
# | `RateLimit` | `"requests";r=2999;t=60` | `r` units left, the window resets in `t` seconds |
# | `Retry-After` (RFC 9110) | `60` | on a 429: when to ask again |
#
# (Earlier drafts, and many APIs, send `X-RateLimit-Limit` / `-Remaining` / `-Reset` instead: same idea, no standard.)
# The limits are settings, with defaults you could ship:

# %%
from course_lib.services.settings import Settings

table([{"setting": name.upper(), "default": Settings.model_fields[name].default, "counts": counts}
       for name, counts in [("rate_limit", "every request, per client address"),
                            ("login_limit_per_account_and_address", "failed logins (401): one account, one address"),
                            ("login_limit_per_account", "failed logins of one account, from every address"),
                            ("login_limit_per_address", "failed logins from one address, any account")]])

# %% [markdown]
# 3,000 a minute is 50 a second sustained from one address: far above a person or a page, low enough that one
# address cannot flood the API. Every answer says so:

# %%
show(api.get("/health"), headers=["ratelimit-policy"])

# %% [markdown]
# To see a 429 without sending 3,000 requests, an app of its own with a quota of 5 per 2 seconds:

# %%
import time

strict = serve(ch20_security.create_app(settings.model_copy(update={"rate_limit": "5 per 2 seconds"})), name="strict")
answers = [strict.get("/health") for _ in range(6)]
[answer.status_code for answer in answers], [answer.headers["ratelimit"].split(";t=")[0] for answer in answers]

# %% [markdown]
# Five allowed, counting down `r`, the sixth refused:

# %%
refused = answers[-1]
show(refused, headers=["content-type", "ratelimit-policy"])
wait = int(refused.headers["retry-after"])
assert refused.headers["ratelimit"] == f'"requests";r=0;t={wait}' and 1 <= wait <= 2
f"Retry-After: {wait} s, the same as t"

# %% [markdown]
# And after `Retry-After` seconds, allowed again — a client that honours the field never sees a second 429:

# %%
time.sleep(wait)
strict.get("/health").status_code

# %% [markdown]
# That promise needed one fix. `limits` reads a window's end with Redis's `TTL`, which answers in *whole* seconds,
# rounded: with 1.4 s left it says 1, and a client told `Retry-After: 1` came back 0.4 s early, to another 429.
# The course's storage reads `PTTL` (milliseconds) and rounds up:

# %%
from course_lib.web.rate_limits import ExactExpiryRedisStorage, RateLimitMiddleware, retry_after

show_source(ExactExpiryRedisStorage)

# %% [markdown]
# The middleware itself — count, refuse or pass, add the fields:

# %%
show_source(RateLimitMiddleware.__call__)

# %% [markdown]
# Two choices in it. **Who is the client?** `scope["client"]`, the address the *server* gives: uvicorn takes it from
# `X-Forwarded-For` only when the connection comes from an address in `--forwarded-allow-ips` — the proxy of
# chapter 11, which writes the field from what it saw. A client that writes the field itself buys nothing (this
# kernel's servers trust no proxy). Three requests a minute, six "different" addresses:

# %%
spoofed = serve(ch20_security.create_app(settings.model_copy(update={"rate_limit": "3/minute"})), name="spoofed")
[spoofed.get("/health", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(6)]

# %% [markdown]
# One quota for all six. **And if Redis is down?** The request passes uncounted and a warning is
# logged: a limiter must not turn a cache outage into an API outage. (Its client gives up after 0.25 s, without
# retries — redis-py's default retries with back-off cost 8 s a request when we tried.)
#
# ## Failed logins: per account from one address, per account, per address
# Guessing a password is the one attack the general quota does not slow enough: 3,000 guesses a minute is a lot. So
# `POST /session` and `POST /tokens` have three more limits, and only **failures** (401) count — a user who logs in
# often costs nothing:
#
# - **per account from one address** (the email in the body, kept in Redis only as a digest, with the client's
#   address): 10 wrong passwords in 15 minutes, then 429 for that account *from that address* for the rest of the
#   window — **even with the right password**, or the limit would only slow guessing down;
# - **per account**, from every address together: 100 failures in 15 minutes, a ceiling for guessing one password
#   from many addresses;
# - **per address**: credential stuffing tries one leaked password on *many* accounts; 100 failures from one address
#   in 15 minutes, then 429 for every account.
#
# Why not a strict limit per account alone? Because then anyone who knows Ada's email locks her out for 15 minutes
# with a dozen wrong passwords: the limit becomes a denial of service. Keyed by account *and* address, the strict
# limit stops the guesser and leaves Ada, logging in from her own address, alone; only an attacker with many
# addresses reaches the account's ceiling. Every failed login costs an argon2 verification (chapter 15: slow on
# purpose), so to see the limits without dozens of them, an app whose limits are small enough to reach — 3 failures
# per account from one address, 5 per address, a minute each (the notebook has one address, 127.0.0.1):

# %%
from course_lib.taskapi.api_keys import sign_up

PASSWORD = "violet harbor lantern 42"
logins = serve(ch20_security.create_app(settings.model_copy(
    update={"login_limit_per_account_and_address": "3/minute", "login_limit_per_address": "5/minute"})),
    name="logins")
sign_up(logins, "Ada", password=PASSWORD)
wrong = {"email": "ada@example.org", "password": "not the password at all"}
[logins.post("/tokens", json=wrong).status_code for _ in range(4)]

# %% [markdown]
# Three wrong passwords, then Ada's account is refused from this address — even with her right password (from another
# address she would log in: `tests/web/test_rate_limits.py` shows it with two):

# %%
locked = logins.post("/tokens", json={"email": "ada@example.org", "password": PASSWORD})
show(locked, headers=["ratelimit-policy"])
assert 1 <= int(locked.headers["retry-after"]) <= 60

# %% [markdown]
# Now credential stuffing: one common password, `123456`, tried on account after account from the same address.
# Two more failures make five from this address; then every login from it waits out the window, whatever account it
# names:

# %%
stuffing = {name: logins.post("/session", json={"email": f"{name}@example.org", "password": "123456"}).status_code
            for name in ("bob", "carol", "dan", "erin")}
stuffed = logins.post("/session", json={"email": "frank@example.org", "password": "123456"})
stuffing, stuffed.status_code, stuffed.json()["policy"]

# %% [markdown]
# The refused attempts were answered before any password was checked: a 429 costs the server a few Redis round trips,
# not an argon2 verification. The price that is left: an attacker with many addresses can still reach an account's
# ceiling and lock it for the window, and the per-address limit refuses everyone behind one NAT once a hundred
# failures come from it. Production services soften these too — a growing delay, a challenge after a few failures,
# or a right password still let through from a known device — a trade-off between guessing and locking out that
# OWASP's Authentication Cheat Sheet discusses.
#
# ## CORS: which pages may read the answers
# A browser sends a page's requests to any site — with that site's cookies when the page asks for credentials and the
# cookie's `SameSite` allows it (a `Lax` cookie, like the course's, only from pages of the same site) — but lets the
# page *read* the answer only if the API says so (the same-origin policy). Cross-Origin Resource Sharing is how it says so: for a request
# that is not "simple" (a `PATCH`, an `Authorization` header, JSON), the browser first sends a **preflight**
# `OPTIONS` asking permission. Before this chapter the API answered it as chapter 01 answers any `OPTIONS` — 204 and
# the methods in `Allow` — with no `Access-Control-Allow-Origin`: a refusal, which the browser enforces by never
# sending the real request:

# %%
from course_lib.taskapi import ch16_redis_cache

before = serve(ch16_redis_cache.create_app(settings), name="before")
ask = {"Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "authorization, if-match"}
preflight_before = before.client.options("/tasks/1", headers={"Origin": FRONT, **ask})
preflight_before.status_code, preflight_before.headers.get("access-control-allow-origin")

# %% [markdown]
# Now the preflight is answered for the origins listed in `ALLOWED_ORIGINS` — the same list chapter 09's CSRF check
# reads (empty by default: no page of another origin may call the API until you name it):

# %%
show(api.client.options("/tasks/1", headers={"Origin": FRONT, **ask}),
     headers=["access-control-allow-origin", "access-control-allow-credentials", "access-control-allow-methods",
              "access-control-allow-headers", "access-control-max-age"], request_headers=["origin"])

# %% [markdown]
# and refused for any other, with no `Access-Control-*` field at all:

# %%
foreign = api.client.options("/tasks/1", headers={"Origin": "https://evil.example", **ask})
show(foreign, headers=["content-type", "vary"], request_headers=["origin"])

# %% [markdown]
# A *simple* request (a `GET`) has no preflight: the browser sends it with the user's cookie and decides afterwards
# whether the page may read the answer. So what matters is what the answer says. Starlette's `CORSMiddleware` is
# right about `Access-Control-Allow-Origin` with an explicit list — but it adds `Access-Control-Allow-Credentials:
# true` to every answer with an `Origin`, listed or not, and with `allow_origins=["*"]` plus credentials it echoes
# *any* origin back, credentials and all: any site whose requests carry the user's cookie (or token) could read the
# user's tasks. The course's
# `StrictCORSMiddleware` refuses `"*"` and says nothing at all to an origin not listed:

# %%
from course_lib.web.cors import StrictCORSMiddleware

cookie = {"Cookie": "__Host-session=ada-s-session"}
rows = []
for origin in (FRONT, "https://evil.example", "null"):
    answer = api.get("/health", headers={"Origin": origin, **cookie})
    rows.append({"Origin": origin, "status": answer.status_code,
                 "Allow-Origin": answer.headers.get("access-control-allow-origin", "—"),
                 "Allow-Credentials": answer.headers.get("access-control-allow-credentials", "—"),
                 "Expose-Headers": answer.headers.get("access-control-expose-headers", "—")})
table(rows)
try:
    StrictCORSMiddleware(app, allowed_origins=["*"])
except ValueError as error:
    print(error)

# %% [markdown]
# (The server still *answers* the foreign GET — CORS is enforced by the browser, and only protects users of browsers.
# What stops a foreign page from *writing* with the user's cookie is chapter 09's CSRF check.)
#
# ## Security headers
# Fields that tell a browser how to treat the answer, on every response (after OWASP's REST Security and HTTP Headers
# cheat sheets, for an API):

# %%
from course_lib.web.security_headers import SECURITY_HEADERS

table([{"field": name, "value": value, "on a 401": api.get("/tasks/999").headers.get(name)}
       for name, value in SECURITY_HEADERS.items()])

# %% [markdown]
# `nosniff` stops a browser from running JSON as a script; `frame-ancestors 'none'` (and `X-Frame-Options` for old
# browsers) stops another site from framing the API to trick a click; `default-src 'none'` allows a JSON answer to
# load nothing; `no-referrer` keeps URLs with ids and cursors from leaking to other sites; HSTS tells a browser to use
# HTTPS only, for two years. A route's own value is kept: the docs page sets its own policy, since it runs scripts.
#
# ## No stack traces in any response
# A traceback tells an attacker the framework, the file layout, the library versions, sometimes a connection string.
# Chapter 08 answers every unhandled exception with a bare problem; the trace goes to the server's log only. A route
# that fails, with a secret in its error message:

# %%
from course_lib.notebook.server import LOGS

broken = ch20_security.create_app(settings)


@broken.get("/boom")
def boom() -> None:
    raise RuntimeError("cannot reach postgresql://app:hunter2hunter2@db.internal/tasks")


failing = serve(broken, name="failing")
crash = failing.get("/boom")
show(crash, headers=["content-type", "x-content-type-options", "content-security-policy"])

# %% [markdown]
# No traceback, no exception name, no message. The server's log has all of it — with the password masked, by the
# redaction of the next section:

# %%
assert LOGS.wait_for("cannot reach", 5)
logged = [line for line in LOGS.lines if "cannot reach" in line][-1].splitlines()
print(logged[0], "…", logged[-1], sep="\n")

# %% [markdown]
# ## Secrets only from the environment
# The signing key (chapter 15) is read from `SECRET_KEY`, never written in code. The settings refuse to start
# without one (unless `DEVELOPMENT=1` says this is your own machine), refuse a short one and one that appears anywhere
# in the course's files — and never print it:

# %%
from course_lib.services.settings import SecretKeyError

for given in ({"secret_key": None}, {"secret_key": "short"},
              {"secret_key": "course-secret-key-change-me-in-production-0123456789"}):
    try:
        Settings(**given)
    except SecretKeyError as error:
        print(str(error)[:90] + "…")
f"the key in the settings' repr: {settings.signing_key in repr(settings)}"

# %% [markdown]
# ## Logs that redact
# Logs travel further than data: to files, to a log service, to whoever debugs. A request's `Authorization`, its
# cookies, a login body's password, a token in a query string — none may be written. `course_lib/web/redaction.py`
# masks them by name (headers, fields) and by shape (bearer credentials, JWTs, passwords in URLs), and its
# `RedactingFilter` does it to every record of the server's and the API's loggers before any handler writes it:

# %%
import logging

from course_lib.web.redaction import redact_headers, redact_text

request_headers = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "Accept": "application/json",
                   "Cookie": "__Host-session=abc", "If-Match": '"task-1-v3-json"'}
print(redact_headers(request_headers))
print(redact_text('POST /tokens {"email": "ada@example.org", "password": "violet harbor lantern 42"}'))
print(redact_text("GET /tasks?access_token=abc123&limit=20"))
[type(each).__name__ for each in logging.getLogger("uvicorn.error").filters]

# %% [markdown]
# The name stays, the value goes: a log still says *that* a request carried credentials, never which. Chapter 21's
# JSON logs put the same filter on their handler.
#
# ## The OWASP API Security Top 10 (2023), against this API
# OWASP's list of the ways APIs are actually broken into. One check per item, on the finished API — most a request
# made here; a few reuse answers of the sections above (marked with their app), and API9 compares the routes with the
# OpenAPI document:

# %%
import base64
import json
import re

from course_lib.web.problems import PROBLEM_JSON

def new_user(name: str) -> tuple[dict[str, str], int]:
    """Sign up on the main app: the user's API key header, and their id."""
    user = api.post("/users", json={"name": name, "email": f"{name.lower()}@example.org", "password": PASSWORD})
    return {"X-API-Key": user.json()["api_key"]}, user.json()["id"]


(ada, ada_id), (bob, bob_id) = new_user("Ada"), new_user("Bob")
checks = []


def check(item: str, what: str, expected, got) -> None:
    """One row of the walk: what was tried, what a safe API answers, what this one answered."""
    checks.append({"item": item, "request": what, "expected": expected, "got": got, "ok": "✓" if got == expected else "✗"})


def same_problem(a, b) -> bool:
    """Two problem bodies equal but for their occurrence id and the task id they name."""

    def shape(answer) -> str:
        return re.sub(r"\d+", "N", json.dumps({**answer.json(), "instance": None}))

    return shape(a) == shape(b)


ada_task = api.post("/tasks", json={"title": "ada's plan"}, headers=ada).headers["location"]
check("API1 object-level authorization", "Bob reads Ada's task", 404, api.get(ada_task, headers=bob).status_code)
check("API1 object-level authorization", "… its body is a missing task's (the id aside)", True,
      same_problem(api.get(ada_task, headers=bob), api.get("/tasks/999999", headers=bob)))

# %%
token = api.post("/tokens", json={"email": "bob@example.org", "password": PASSWORD}).json()["access_token"]
header, payload, signature = token.split(".")
claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
as_ada = base64.urlsafe_b64encode(json.dumps({**claims, "sub": str(ada_id)}).encode()).rstrip(b"=").decode()
unsigned = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
check("API2 authentication", "a token with its payload changed", 401,
      api.get("/tasks", headers={"Authorization": f"Bearer {header}.{as_ada}.{signature}"}).status_code)
check("API2 authentication", "a token with alg=none", 401,
      api.get("/tasks", headers={"Authorization": f"Bearer {unsigned}.{as_ada}."}).status_code)
check("API2 authentication", "Ada's right password after 3 wrong ones (logins app)", 429, locked.status_code)

# %%
sneaky = api.post("/tasks", json={"title": "mine?", "owner_id": ada_id, "id": 7, "version": 99}, headers=bob)
check("API3 object property authorization", "a task posted with owner_id, id, version", 422, sneaky.status_code)
profile = api.get(f"/users/{bob_id}", headers=bob).json()
check("API3 object property authorization", "a user's own profile has a password hash", False,
      any("password" in key for key in profile))

# %%
check("API4 resource consumption", "GET /tasks?limit=101", 422, api.get("/tasks?limit=101", headers=bob).status_code)
huge = b'{"title": "' + b"x" * 70_000 + b'"}'
check("API4 resource consumption", "a 70 kB body", 413,
      api.post("/tasks", content=huge, headers={**bob, "Content-Type": "application/json"}).status_code)
check("API4 resource consumption", "a 6th request in 2 s (strict app)", 429, answers[-1].status_code)

# %%
check("API5 function-level authorization", "a member lists every user (admin)", 403,
      api.get("/admin/users", headers=bob).status_code)
check("API5 function-level authorization", "nobody lists every user", 401, api.get("/admin/users").status_code)
check("API6 sensitive business flows", "one password on many accounts (logins app)", 429, stuffed.status_code)

# %%
schema = api.get("/openapi.json").json()
url_inputs = [name for path in schema["paths"].values() for operation in path.values()
              for name in [p["name"] for p in operation.get("parameters", []) if p["schema"].get("format") == "uri"]]
url_inputs += [name for model in schema["components"]["schemas"].values()
               for name, field in model.get("properties", {}).items() if field.get("format") == "uri"]
check("API7 server-side request forgery", "inputs the server would fetch (OpenAPI format: uri)", [], url_inputs)
check("API8 security misconfiguration", "a route that raises: a traceback in the answer", False,
      "Traceback" in crash.text or "RuntimeError" in crash.text)
check("API8 security misconfiguration", "a foreign Origin with a cookie: Allow-Origin", None,
      api.get("/health", headers={"Origin": "https://evil.example", **cookie}).headers.get("access-control-allow-origin"))
check("API8 security misconfiguration", "TRACE /tasks", 405, api.client.request("TRACE", "/tasks").status_code)

# %%
from course_lib.web.openapi_responses import api_routes

# Every route, those of included routers too (`app.routes` holds an included router as one entry, not its routes).
served_operations = {(method, path) for path, route in api_routes(app) if route.include_in_schema
                     for method in route.methods}
documented = {(method.upper(), path) for path, methods in schema["paths"].items() for method in methods}
assert len(served_operations) >= 20, "the routes were not found: the inventory check below would prove nothing"
check("API9 inventory management", "operations served but not in the OpenAPI", set(), served_operations - documented)
calendar.mode = "garbage"  # the calendar answers an HTML maintenance page instead of JSON
upstream = api.get(f"/users/{bob_id}/availability", headers=bob)
calendar.mode = "ok"
check("API10 unsafe consumption of APIs", "the calendar answers garbage", (502, PROBLEM_JSON),
      (upstream.status_code, upstream.headers["content-type"]))
table(checks)
assert all(row["ok"] == "✓" for row in checks)

# %% [markdown]
# Every row is a check made in this notebook. What each item means, in one line:
#
# | item | the attack | what stops it here |
# |---|---|---|
# | API1 BOLA | change the id in the URL | ownership in every query (15); another's task is 404, like a missing one |
# | API2 broken authentication | forge, tamper or guess | signed tokens with a pinned algorithm (15); failed logins limited (20) |
# | API3 property-level | send fields you may not set, read fields you may not see | strict input models (`extra="forbid"`, 08), output models without secrets (07) |
# | API4 resource consumption | ask for everything, send huge bodies, flood | page bounds (06), body limit (08), rate limit (20) |
# | API5 function-level | call the admin route | roles checked per route (15): 403 member, 401 nobody |
# | API6 business flows | automate a flow meant for humans (logins, sign-ups) | per-account, per-address and per-pair limits on login (20) |
# | API7 SSRF | make the server fetch a URL you choose | no input is a URL; the one outbound call's host is configuration (12) |
# | API8 misconfiguration | read errors, headers, CORS, methods | problem+json without traces (08), security headers and strict CORS (20), 405 for a method a route lacks, 501 for one the server does not know (01) |
# | API9 inventory | find the forgotten endpoint | every operation in the OpenAPI (05); one app, no old versions left running |
# | API10 unsafe consumption | a dependency that lies or hangs | the calendar's answer validated (502) within a deadline (504) (12) |
#
# API6 is the one a list of checks covers least: which flows are "sensitive" depends on the business (sign-ups,
# purchases, invitations). Here it is the login; a real product names its own and limits each.

# %% [markdown]
# ## Try it
# - Set `rate_limit` to `"2/second"` on the strict app: how many of six requests pass? What do `r` and `t` say?
# - Send a preflight from `FRONT` asking for the header `X-Debug`: what is refused, and why is that right?
# - Why does the login limit count only 401s, and not every login? What would a limit on *every* login do to a
#   user with three devices, or to the held-over tests of chapters 09 and 15?
# - Remove `ExactExpiryRedisStorage` in your head: how often would a client that honours `Retry-After` still get a
#   429 with a one-second window?

# %% [markdown]
# ## Exercises

# %%
from course_lib.checks.ch20 import q1, q2, q3

# %% [markdown]
# **Exercise 1.** A request has just been counted: it is the `used`-th in a window of `window` seconds whose quota is
# `quota`, and the window resets in `seconds_left` seconds (a float). Write `rate_limit_fields(name, quota, window,
# used, seconds_left)`: the header fields of its answer, as a dict — `RateLimit-Policy` (`"<name>";q=<quota>;w=<window>`)
# and `RateLimit` (`"<name>";r=<left>;t=<seconds>`), where `left` never goes below 0 and `seconds` is `seconds_left`
# rounded **up** to whole seconds, at least 1; and when the request is over the quota, `Retry-After` with the same
# seconds. No spaces inside the values (they are Structured Fields).

# %%
### BEGIN SOLUTION
import math


def rate_limit_fields(name: str, quota: int, window: int, used: int, seconds_left: float) -> dict[str, str]:
    wait = max(1, math.ceil(seconds_left))
    fields = {"RateLimit-Policy": f'"{name}";q={quota};w={window}',
              "RateLimit": f'"{name}";r={max(0, quota - used)};t={wait}'}
    if used > quota:
        fields["Retry-After"] = str(wait)
    return fields
### STUB
rate_limit_fields = None  # YOUR CODE HERE
### END SOLUTION

# %%
q1.check(rate_limit_fields)

# %% [markdown]
# **Exercise 2.** The client's address behind proxies, as uvicorn should find it. Write `client_address(peer,
# forwarded_for, trusted_proxies)`: `peer` is the address of the connection, `forwarded_for` the `X-Forwarded-For`
# value (or None), `trusted_proxies` a set of addresses. Believe the header only when `peer` is a trusted proxy. Then
# each proxy *appended* the address it saw, so read the list from the **right**: the first entry that is not a trusted
# proxy is the client — everything left of it was written by someone you do not trust. If every entry is a trusted
# proxy, the leftmost is the farthest known. Entries are separated by commas, with optional spaces.

# %%
### BEGIN SOLUTION
def client_address(peer: str, forwarded_for: str | None, trusted_proxies: set[str]) -> str:
    if peer not in trusted_proxies or not forwarded_for:
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",")]
    for hop in reversed(hops):
        if hop not in trusted_proxies:
            return hop
    return hops[0]
### STUB
client_address = None  # YOUR CODE HERE
### END SOLUTION

# %%
q2.check(client_address)

# %% [markdown]
# **Exercise 3.** Write `redact_headers(headers)`: a *new* dict with the same names, where the values of
# `Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie` and `X-API-Key` — in any letter case — are replaced
# by `"[REDACTED]"`, and every other value is kept as it is.

# %%
### BEGIN SOLUTION
SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: "[REDACTED]" if name.lower() in SECRET_HEADERS else value for name, value in headers.items()}
### STUB
redact_headers = None  # YOUR CODE HERE
### END SOLUTION

# %%
q3.check(redact_headers)

# %% [markdown]
# ## Recap
# - Rate limits count in **Redis** so every replica shares them; a **fixed window** from the `limits` library, the
#   end of a window read in milliseconds. Over the quota: **429** problem+json with `Retry-After`, and on every
#   answer the draft-11 fields `RateLimit-Policy: "requests";q=3000;w=60` and `RateLimit: "requests";r=…;t=…`.
# - **Failed** logins are limited three times: 10 per account from one address, 100 per account and 100 per address in
#   15 minutes — so a dozen wrong passwords lock out the guesser, not the account's owner. The address is the one the
#   server gives, believing `X-Forwarded-For` from the configured proxy only (chapter 11).
# - **CORS** answers preflights for `ALLOWED_ORIGINS` only, never `"*"` with credentials, and tells an unlisted origin
#   nothing. It sits outside the limiter: a preflight costs no quota, and a 429 stays readable.
# - **Security headers** on every answer, an unhandled 500 too; **no trace** in any answer; **secrets** from the environment only, refused
#   when missing, short or public; **logs redacted** by a filter on every logger that writes.
# - The OWASP API Top 10 (2023), one live check each: all ten hold on this API.
#
# ## Going further
# - [draft-ietf-httpapi-ratelimit-headers](https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/)
#   (the fields may still change before they become an RFC) and RFC 6585 §4 (429 Too Many Requests).
# - [`limits` strategies](https://limits.readthedocs.io/en/stable/strategies.html): fixed window, moving window,
#   sliding window counter — what each costs in Redis and how much burst each lets through.
# - [OWASP API Security Top 10 (2023)](https://owasp.org/API-Security/editions/2023/en/0x11-t10/), the
#   [REST Security](https://cheatsheetseries.owasp.org/cheatsheets/REST_Security_Cheat_Sheet.html),
#   [HTTP Headers](https://cheatsheetseries.owasp.org/cheatsheets/HTTP_Headers_Cheat_Sheet.html) and
#   [Logging](https://cheatsheetseries.owasp.org/cheatsheets/Logging_Cheat_Sheet.html) cheat sheets.
# - [Fetch: CORS protocol](https://fetch.spec.whatwg.org/#http-cors-protocol) — what a browser sends and checks.
# - NIST SP 800-63B-4, rate limiting (throttling) of authentication attempts: at most 100 consecutive failures per
#   account.
#
# ## Where this lives in course_lib
# `course_lib/web/rate_limits.py` (policies, counters, the middleware, the fields), `course_lib/web/cors.py`
# (`StrictCORSMiddleware`), `course_lib/web/security_headers.py`, `course_lib/web/redaction.py` (`redact`,
# `redact_headers`, `redact_text`, `RedactingFilter`), `course_lib/taskapi/ch20_security.py` (the chapter: three
# middleware, the logging filter, every 429 documented), `course_lib/services/settings.py` (`RATE_LIMIT`,
# `LOGIN_LIMIT_PER_ACCOUNT`, `LOGIN_LIMIT_PER_ADDRESS`), `course_lib/checks/ch20.py` (the checks).
