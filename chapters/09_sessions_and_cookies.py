# %% [markdown]
# # Chapter 09 — Authentication vs authorization, cookies
# *Two questions — who are you? what may you do? — two status codes, and for browsers a cookie that must not leak.*
#
# **Learning goals**
# - tell **authentication** (who are you? → 401) from **authorization** (what may you do? → 403), side by side on
#   live requests;
# - choose between a session cookie, a bearer token and an API key, and say when each fits;
# - log browsers in with a **session cookie** on a server-side session store in Redis: a random id, rotated at login
#   and on every privilege change, deleted at logout, ended by an idle and an absolute timeout;
# - read a real `Set-Cookie` and say what `HttpOnly`, `Secure`, `SameSite`, `Path`, the `__Host-` prefix and a
#   missing `Max-Age` do;
# - refuse **CSRF** as OWASP does today: Fetch Metadata (`Sec-Fetch-Site`) with `Origin` as the fallback, and a
#   CSRF token bound to the session;
# - verify passwords so that an unknown email and a wrong password look the same — in the answer and in the time.
#
# **Why it matters.** Chapter 05 gave scripts an API key. A browser is a different client: it cannot keep a secret
# away from the page's JavaScript, and it sends cookies by itself — also with requests that *other* sites make it
# send. Most account takeovers are not broken cryptography but a cookie without a flag, a session that never ends, a
# write without a CSRF check, or a login that tells an attacker which emails exist.

# %%
from course_lib import Settings, serve, show, show_source, start_chapter, table

start_chapter(9, "Authentication vs authorization, cookies")

# %% [markdown]
# Sessions live in **Redis**: fakeredis inside this kernel by default, a real `redis-server` when `REDIS_URL` is set
# (the line above says which one is live). Everything below works the same on both.

# %% [markdown]
# ## Who is calling: a session cookie, else the API key
# The task routes have asked one dependency who is calling since chapter 01 (the **current-user seam**). Chapter 05
# built it from one login scheme, the `X-API-Key` header. This chapter puts the session cookie before it in the list
# — so every script written for chapter 05 keeps working, and no route is rewritten:

# %%
from course_lib.taskapi import ch09_sessions

show_source(ch09_sessions.swap_seams)

# %%
from course_lib.taskapi import cookie_auth

show_source(cookie_auth.session_user)

# %% [markdown]
# Two lines of it are this chapter's subject: a cookie-authenticated request passes `refuse_csrf` (below, *CSRF*),
# and a cookie whose session has ended names nobody — the browser keeps sending it by itself, which is no error — so
# the API key is tried next. When neither names a user, the answer is one **401** whose `WWW-Authenticate` offers both
# ways in: `Session login="/session", ApiKey header="X-API-Key"`. (No registered HTTP authentication scheme exists
# for a session cookie: `Session` is this API's own name, as `ApiKey` is, and only tells a developer where to log in.)
# Whether the caller may change a task is not decided here at all: that is the route's `ensure_owner`, a **403**.
#
# The chapter adds a router for `/session` — the caller's login, as a resource — and a session store:

# %%
show_source(ch09_sessions.extend)

# %%
app = ch09_sessions.create_app()
api = serve(app)
PASSWORD = "violet harbor lantern 42"
ada_key = {"X-API-Key": api.post("/users", json={"name": "Ada", "email": "ada@example.org",
                                                 "password": PASSWORD}).json()["api_key"]}
bob_key = {"X-API-Key": api.post("/users", json={"name": "Bob", "email": "bob@example.org",
                                                 "password": PASSWORD}).json()["api_key"]}
api

# %% [markdown]
# ## Logging in
# `POST /session` with an email and password. The answer is **201**: the session is created; its id travels only in
# the `Set-Cookie` header, never in the body (the body is readable by the page's JavaScript), and `no-store` keeps
# the answer out of every cache. The body carries the user and a **CSRF token** (used below). The cookie has no
# `Max-Age`: it is a *non-persistent* cookie (below, *The cookie, flag by flag*).

# %%
COOKIE_HEADERS = ["set-cookie", "location", "cache-control", "www-authenticate", "content-type"]
ada_login = api.post("/session", json={"email": "ada@example.org", "password": PASSWORD})
show(ada_login, headers=COOKIE_HEADERS)

# %% [markdown]
# A browser stores the cookie and sends `Cookie: __Host-session=…` with every later request to this API. To see each
# byte that goes over the wire, this notebook writes those headers itself:

# %%
from http.cookies import SimpleCookie


def session_of(login) -> str:
    """The session id a login hands out, read off its Set-Cookie."""
    cookie = SimpleCookie()
    cookie.load(login.headers["set-cookie"])
    return cookie["__Host-session"].value


def browser(session_id: str, csrf: str | None = None, origin: str | None = None,
            site: str | None = None) -> dict[str, str]:
    """The headers a browser sends with the session cookie (and, from this API's own pages, the CSRF token).

    `origin` is the page's origin (Origin), `site` how it relates to the API (Sec-Fetch-Site: same-origin, ...).
    """
    headers = {"Cookie": f"__Host-session={session_id}"}
    if csrf:
        headers["X-CSRF-Token"] = csrf
    if origin:
        headers["Origin"] = origin
    if site:
        headers["Sec-Fetch-Site"] = site
    return headers


ada_session, ada_csrf = session_of(ada_login), ada_login.json()["csrf_token"]
bob_login = api.post("/session", json={"email": "bob@example.org", "password": PASSWORD})
bob_session, bob_csrf = session_of(bob_login), bob_login.json()["csrf_token"]
show(api.get("/session", headers=browser(ada_session)), headers=[], request_headers=["cookie"])

# %% [markdown]
# ## 401 or 403: two questions, side by side
# **Authentication** establishes *who* is calling; **authorization** decides whether *that* caller may do *this*.
# They fail differently:
# - **401 Unauthorized** (a historical misnomer: it means *unauthenticated*) — no credentials, or ones the server does
#   not know. It comes with `WWW-Authenticate`; logging in (again) can help.
# - **403 Forbidden** — the server knows who you are, and the answer is no. Logging in again will not help.
#
# Ada owns task 1. The same three callers, once with API keys and once with session cookies:

# %%
task = api.post("/tasks", json={"title": "write chapter 09"}, headers=ada_key).json()
CALLERS = {
    "nobody": ({}, {}),
    "Bob (not the owner)": (bob_key, browser(bob_session, bob_csrf)),
    "Ada (the owner)": (ada_key, browser(ada_session, ada_csrf)),
}
rows = []
for caller, (with_key, with_cookie) in CALLERS.items():
    by_key = api.patch(f"/tasks/{task['id']}", json={"description": "by key"}, headers=with_key)
    by_cookie = api.patch(f"/tasks/{task['id']}", json={"description": "by cookie"}, headers=with_cookie)
    rows.append({"caller": caller, "API key": by_key.status_code, "session cookie": by_cookie.status_code,
                 "question that failed": {401: "who are you?", 403: "what may you do?"}.get(by_cookie.status_code, "")})
table(rows)

# %%
show(api.patch(f"/tasks/{task['id']}", json={"done": True}), headers=["www-authenticate", "content-type"])

# %%
show(api.patch(f"/tasks/{task['id']}", json={"done": True}, headers=browser(bob_session, bob_csrf)), headers=[])

# %% [markdown]
# ## Three ways to say who you are
# | | session cookie (this chapter) | bearer token, e.g. a JWT (chapter 15) | API key (chapter 05) |
# |---|---|---|---|
# | travels in | `Cookie`, sent by the browser by itself | `Authorization: Bearer …`, added by the client's code | `X-API-Key` (or `Authorization`), added by the client's code |
# | the server keeps | the session (here in Redis) | nothing, if the token is self-contained and signed | the key's digest, in the database |
# | ends | at once: delete the session | when it expires (or with a deny-list: state again) | when revoked in the database |
# | CSRF | **exposed**: the browser attaches it to other sites' requests → Origin check + CSRF token | not exposed: no browser adds the header by itself | not exposed |
# | XSS | `HttpOnly`: page scripts cannot read it (they can still *use* it while they run) | a token kept in JavaScript can be stolen by any injected script | never in a browser |
# | fits | a browser front end: your own pages, or its own backend (below) | mobile and desktop apps, service-to-service calls, short-lived delegated access (OAuth) | scripts, servers, CI jobs, third-party integrations |
#
# One API can take several: this one takes the session cookie and the API key, each checked the way it needs.
#
# **And a single-page app on another origin?** Handing it bearer tokens to keep in JavaScript is what the IETF's
# *OAuth 2.0 for Browser-Based Applications* (a Best Current Practice) ranks least secure: any script injected into
# the page can read them and send them away. Its first choice, "strongly recommended for business applications,
# sensitive applications, and applications that handle personal data", is a **backend for frontend** (BFF): a small
# server on the app's own origin keeps the tokens and forwards the app's calls, and the browser holds only a
# `HttpOnly` session cookie — this chapter's cookie, with this chapter's CSRF defence. For an app and an API on one
# site it goes further: the app "can rely on traditional cookie-based session state" instead of tokens.
#
# ## The login flow
# ```mermaid
# sequenceDiagram
#     participant B as Browser
#     participant A as API
#     participant D as Database
#     participant R as Redis
#     B->>A: POST /session {email, password}  (Sec-Fetch-Site: same-origin)
#     A->>D: user by email
#     A->>A: argon2id verify (against a dummy hash when there is no such user)
#     A->>R: DEL the session of any cookie sent (rotation)
#     A->>R: HSET session:sha256(id) user_id, csrf_token, ends_at + EXPIRE idle + SADD to the user's index
#     A-->>B: 201 Set-Cookie __Host-session=id (HttpOnly, Secure, SameSite=Lax, Path=/) + {user, csrf_token}
#     B->>A: PATCH /tasks/1  Cookie: __Host-session=id, X-CSRF-Token: token
#     A->>R: HGETALL session:sha256(id) + EXPIRE idle (used: the idle timeout starts again)
#     A->>A: CSRF rule (Sec-Fetch-Site or Origin, token), then ensure_owner (403 when not yours)
#     A-->>B: 200
#     B->>A: DELETE /session  Cookie + X-CSRF-Token
#     A->>R: DEL session:sha256(id)
#     A-->>B: 204 Set-Cookie __Host-session="" (Max-Age=0: the browser drops it)
# ```
#
# ## Passwords: alike in the answer and in the time
# Chapter 07 stores an argon2id hash of each password; logging in verifies the password against it. A login must not
# tell an attacker whether an email has an account: the same status and message for an unknown email and a wrong
# password — and the same *time*. Verifying a password costs a deliberately slow argon2 run; skipping it for
# unknown emails would answer those at once, and a stopwatch would list the accounts. So an unknown email is
# verified against a dummy hash of the same cost:

# %%
from course_lib.taskapi import password_login

show_source(password_login.authenticate)

# %%
unknown = api.post("/session", json={"email": "nobody@example.org", "password": PASSWORD})
wrong = api.post("/session", json={"email": "ada@example.org", "password": "not Ada's password at all"})
without_instance = [{k: v for k, v in response.json().items() if k != "instance"} for response in (unknown, wrong)]
[unknown.status_code, wrong.status_code], without_instance[0] == without_instance[1], without_instance[0]

# %% tags=["nbval-ignore-output"]
import statistics
import time


def login_time(email: str, password: str, runs: int = 3) -> float:
    """Median seconds for a failed login."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        api.post("/session", json={"email": email, "password": password})
        times.append(time.perf_counter() - started)
    return statistics.median(times)


unknown_time = login_time("nobody@example.org", PASSWORD)
wrong_time = login_time("ada@example.org", "not Ada's password at all")
print(f"unknown email: {unknown_time * 1000:.0f} ms · wrong password: {wrong_time * 1000:.0f} ms")
assert unknown_time > 0.4 * wrong_time  # without the dummy hash: about 1 ms against a full argon2 verify

# %% [markdown]
# (A stopwatch can still count *tries*: chapter 20 limits the rate of failed logins per account and per
# address.)
#
# ## The session lives on the server, in Redis
# The cookie holds only a random id: 256 bits from `secrets`, unguessable. Everything else — whose session it is,
# its CSRF token, when it must end — is in Redis, under the SHA-256 digest of the id, so a copy of Redis holds no
# usable cookie. Redis deletes an unused session by itself when the key's TTL runs out: no clean-up job. A set per
# user indexes that user's sessions, so that all of them can end at once (*privilege changes*, below).

# %%
from course_lib.web.sessions import SessionStore

show_source(SessionStore.create)

# %%
store = app.context.sessions
stored = store.redis.hgetall(store.key(ada_session))
{"the id appears in a Redis key": any(ada_session in key for key in store.redis.keys()),
 "the session's fields": sorted(stored) == ["csrf_token", "ends_at", "user_id"] and stored["csrf_token"] == ada_csrf,
 "ends if unused for 30 minutes": 0 < store.ttl_of(ada_session) <= 30 * 60,
 "ends 8 hours after login": abs(float(stored["ends_at"]) - time.time() - 8 * 3600) < 60}

# %% [markdown]
# This is the difference from a *signed* cookie (Starlette's `SessionMiddleware`, Flask's default session) or a
# self-contained token: those carry the data to the client and the server keeps nothing — so the server cannot end
# them before they expire. A server-side session is one `DEL` away from gone. The price: every request reads Redis,
# and every app process must reach the same Redis (chapter 11 runs replicas on it).
#
# ## The cookie, flag by flag
# Read off the real `Set-Cookie` of Ada's login:

# %%
cookie = SimpleCookie()
cookie.load(ada_login.headers["set-cookie"])
morsel = cookie["__Host-session"]
PREVENTS = {
    "HttpOnly": ("httponly", "page JavaScript reading it (document.cookie): an injected script cannot steal it"),
    "Secure": ("secure", "sending it over plain HTTP, where anyone on the network path reads it"),
    "SameSite": ("samesite", "sending it with other sites' POSTs, fetches and frames (Lax: top-level GET links only)"),
    "Path": ("path", "nothing by itself: / means every path of the API gets it"),
    "Max-Age": ("max-age", "(absent: a non-persistent cookie) the id lingering on disk after the browser closes"),
    "Domain": ("domain", "(absent: host-only) sibling subdomains receiving it"),
}
table([{"flag": flag, "value": morsel[key] or "—", "prevents": prevents} for flag, (key, prevents) in PREVENTS.items()]
      + [{"flag": "__Host- prefix", "value": morsel.key.startswith("__Host-"),
          "prevents": "anyone setting or overwriting it but this host over HTTPS (Secure, Path=/, no Domain enforced)"}])

# %% [markdown]
# No `Max-Age` (nor `Expires`) makes it a *non-persistent* cookie, kept in the browser's memory. OWASP: "it is
# highly recommended to use non-persistent cookies for session management purposes, so that the session ID does not
# remain on the web client cache for long periods of time". A `Max-Age` could not say when the session ends anyway —
# each request renews it on the server (*Timeouts*, below). (A browser that restores its last session on restart
# restores such cookies too; the server's timeouts still end the session.)
#
# The browser enforces every one of these flags: the server only asks. The `__Host-` prefix is the browser's promise
# back: it accepts a cookie with that name only with `Secure`, `Path=/` and no `Domain`, so a sibling subdomain or a
# plain-HTTP page cannot plant or overwrite the session cookie (*cookie tossing*). The `SessionCookie` settings refuse
# a combination browsers would reject:

# %%
from course_lib.web.sessions import SessionCookie

try:
    SessionCookie(name="__Host-session", secure=False)
except ValueError as error:
    print(error)

# %% [markdown]
# ### Secure, live: Python's cookie jar on plain HTTP
# The in-kernel server speaks plain HTTP on `127.0.0.1`. httpx's cookie jar (Python's `http.cookiejar`) stored the
# cookie of Ada's login — and does what `Secure` asks: it never sends it over `http://`. So without the hand-written
# header, the API does not know the client:

# %%
[(c.name, c.secure) for c in api.client.cookies.jar], api.get("/session").status_code

# %% [markdown]
# Browsers make one exception: `localhost` and `127.0.0.1` count as *secure contexts* (W3C Secure Contexts), and
# Chrome and Firefox accept and send `Secure` (and `__Host-`) cookies on `http://localhost` and `http://127.0.0.1` —
# so Swagger UI at `/docs` on your laptop works with the production cookie (other browsers may not make that
# exception). On Binder the page is HTTPS anyway. A client that never sends `Secure` cookies over HTTP — Python's jar
# here, any browser on a non-local `http://` site — needs the plain-HTTP cookie, one setting away:

# %%
plain = serve(ch09_sessions.create_app(Settings(session_cookie_secure=False)), name="plain-http")
plain.post("/users", json={"name": "Ada", "email": "ada@example.org", "password": PASSWORD})
plain_login = plain.post("/session", json={"email": "ada@example.org", "password": PASSWORD})
plain_login.headers["set-cookie"], plain.get("/session").status_code

# %% [markdown]
# Production keeps the default: `__Host-session; Secure; HttpOnly; SameSite=Lax; Path=/`, behind HTTPS
# (`SESSION_COOKIE_SECURE=false` is for plain-HTTP development and tests only).
#
# ### SameSite: which requests carry the cookie
# `SameSite` is about the *site* (scheme + registrable domain) that makes the browser send a request:
#
# | request to the API, started by | `Strict` | `Lax` (default here) | `None` (needs `Secure`) |
# |---|---|---|---|
# | the API's own pages | sent | sent | sent |
# | a link on another site (top-level GET) | not sent | sent | sent |
# | a form POST from another site | not sent | **not sent** | sent |
# | `fetch`, `<img>`, `<iframe>` from another site | not sent | not sent | sent |
# | a page on a sibling subdomain (`evil.example.org` → `api.example.org`) | **sent**: same site | sent | sent |
#
# `Lax` stops the classic forged form — but not a sibling subdomain, not an older browser, not a GET that changes
# state. So it is one layer, and the API adds its own.
#
# ## Rotation: a new id at every login
# **Session fixation**: an attacker plants a session id in the victim's browser (a sibling subdomain setting a
# cookie, a shared computer), the victim logs in, and the attacker's id is now logged in. The defence: the id after
# login is always new, and the session the browser had before is deleted. Logging in from a browser that carries a
# planted or an old id:

# %%
again = api.post("/session", json={"email": "ada@example.org", "password": PASSWORD},
                 headers=browser(ada_session))
new_session, new_csrf = session_of(again), again.json()["csrf_token"]
{"new id": new_session != ada_session,
 "old id": api.get("/session", headers=browser(ada_session)).status_code,
 "new": api.get("/session", headers=browser(new_session)).status_code}

# %% [markdown]
# ## CSRF: the request another site makes
# A page on `https://evil.example` can hold a form that posts to this API, and submit it when you open the page.
# The browser attaches your session cookie to that request — it is a request *to* the API. **Cross-site request
# forgery**. OWASP's CSRF Prevention Cheat Sheet gives the defences this API layers, for every cookie-authenticated
# write:
# 1. **Fetch Metadata**: every major browser since 2023 says who made a request, in `Sec-Fetch-Site` — `same-origin`
#    (the API's own pages), `same-site` (a sibling subdomain), `cross-site` (any other site) or `none` (the user
#    typed or bookmarked the URL). A page cannot forge or drop it. A write that is `cross-site` or `same-site` is
#    refused; no token needed to know.
# 2. **Origin**, the fallback OWASP requires for older browsers without Fetch Metadata: an `Origin` header that is
#    not one of the **allowed origins** is refused. Those come from the settings (`ALLOWED_ORIGINS`: the site's
#    public origin, for those older browsers, and any front end served from another origin), never from the
#    request's own `Host` header: the client chooses that one, and behind a proxy it names the proxy's upstream, not
#    the site. The default is empty: this notebook's server has a new port each run, and every browser that opens
#    its Swagger UI — here or on Binder — sends `Sec-Fetch-Site: same-origin`.
# 3. **A CSRF token bound to the session** (the *synchronizer token* pattern, OWASP's choice for stateful servers):
#    the session's token (from the login answer or `GET /session`) must come back in the `X-CSRF-Token` header.
#    Another site can make the browser *send* the cookie, but it cannot *read* the token (the same-origin policy
#    hides other sites' answers), nor add a custom header without a CORS preflight this API never grants. It also
#    covers what carries no browser headers at all.

# %%
from course_lib.web.sessions import cross_site_refusal, csrf_refusal

show_source(cross_site_refusal)

# %%
show_source(csrf_refusal)

# %%
EVIL = "https://evil.example"
attempts = {
    "evil.example's form: cookie only": browser(new_session, origin=EVIL, site="cross-site"),
    "evil.example's fetch, a guessed token": browser(new_session, "guess", EVIL, "cross-site"),
    "a sibling subdomain, even with the right token": browser(new_session, new_csrf, "https://x.example.org",
                                                              "same-site"),
    "an old browser (no Fetch Metadata) on evil.example, right token": browser(new_session, new_csrf, EVIL),
    "no browser headers, no token": browser(new_session),
    "Ada's own page: same-origin, token": browser(new_session, new_csrf, api.url, "same-origin"),
    "a script with Ada's API key, from evil.example": {**ada_key, "Origin": EVIL, "Sec-Fetch-Site": "cross-site"},
}
table([{"request": name, "status": api.post("/tasks", json={"title": name}, headers=headers).status_code}
       for name, headers in attempts.items()])

# %% [markdown]
# The API key needs no CSRF check: no browser adds an `X-API-Key` header on another site's behalf. The refusal is a
# problem document of its own type:

# %%
show(api.post("/tasks", json={"title": "forged"}, headers=browser(new_session, new_csrf, EVIL, "cross-site")),
     headers=[])

# %% [markdown]
# Taking the allowed origin from the `Host` header would let a request name its own: `Host: evil.example` with
# `Origin: http://evil.example` matched. With a configured list, nothing a client sends makes an origin allowed:

# %%
api.post("/tasks", json={"title": "forged"},
         headers={**browser(new_session, new_csrf, "http://evil.example"), "Host": "evil.example"}).status_code

# %% [markdown]
# Logging in is a write too: a forged login would sign the victim into the *attacker's* account (and whatever the
# victim then saves, the attacker reads). `POST /session` refuses a cross-site request as well:

# %%
api.post("/session", json={"email": "ada@example.org", "password": PASSWORD},
         headers={"Origin": EVIL, "Sec-Fetch-Site": "cross-site"}).status_code

# %% [markdown]
# ### Without server state: the signed double-submit cookie
# The synchronizer token lives in the session, on the server. An API that keeps no session (say, one that takes
# signed tokens) uses OWASP's *signed double-submit cookie* instead: the server sets the CSRF token in a second
# cookie that the page's JavaScript can read, and the page copies it into a header; another site can neither read
# the cookie nor set the header. The *naive* version — any random value, the cookie equal to the header — OWASP now
# discourages: a sibling subdomain or a plain-HTTP response can plant a cookie of its own choosing, with the matching
# header value. So the token is an HMAC, with the server's key, of the session's id and a random value: a planted
# token, made for another session or without the key, does not verify.

# %%
import secrets

from course_lib.web.sessions import signed_csrf_token, signed_csrf_token_valid

show_source(signed_csrf_token)

# %%
key = secrets.token_bytes(32)  # the server's secret, from the settings in a real deployment
token = signed_csrf_token(key, "ada's-session-id")
{"for Ada's session": signed_csrf_token_valid(key, "ada's-session-id", token),
 "planted from the attacker's session": signed_csrf_token_valid(key, "attacker's-session-id", token),
 "made without the key": signed_csrf_token_valid(secrets.token_bytes(32), "ada's-session-id", token)}

# %% [markdown]
# ## Logout ends the session on the server
# `DELETE /session` (a cookie-authenticated write: token needed) deletes the session in Redis and asks the browser to
# drop the cookie — with the same flags, or the browser ignores the request. A copy of the cookie someone kept is
# worthless from that moment:

# %%
logout = api.delete("/session", headers=browser(new_session, new_csrf))
show(logout, headers=["set-cookie"])

# %%
show(api.post("/tasks", json={"title": "with a stolen cookie"}, headers=browser(new_session, new_csrf)), headers=[])

# %% [markdown]
# ## Privilege changes end every session
# Logging in is one **privilege change** — from nobody to someone. OWASP's Session Management Cheat Sheet: "The
# session ID must be renewed or regenerated by the web application after any privilege level change", naming
# "password changes, permission changes, or switching from a regular user role to an administrator role". A change
# made on the server (an admin changing Ada's role in chapter 15, Ada changing her password) cannot hand Ada's other
# browsers a new cookie, so it **ends every session of the user**; each browser logs in again and gets a new id.
# After a password change that matters most: whoever stole the old password, or a cookie, is out. One call does it,
# through the per-user index. (This API has no password-change route yet: the one you add calls
# `cookie_auth.end_sessions_of(request, user.id)` after saving the new hash, as chapter 15's role change does.)

# %%
show_source(SessionStore.end_all)

# %%
phone = session_of(api.post("/session", json={"email": "ada@example.org", "password": PASSWORD}))
laptop = session_of(api.post("/session", json={"email": "ada@example.org", "password": PASSWORD}))
ended = store.end_all(1)  # Ada's password changed: every session of hers ends
{"sessions ended": ended, "phone": api.get("/session", headers=browser(phone)).status_code,
 "laptop": api.get("/session", headers=browser(laptop)).status_code,
 "Bob's session": api.get("/session", headers=browser(bob_session)).status_code}

# %% [markdown]
# ## Timeouts: idle and absolute
# OWASP's Session Management Cheat Sheet asks for two timeouts on every session. An **idle** timeout: "Common idle
# timeouts ranges are 2-5 minutes for high-value applications and 15-30 minutes for low risk applications". A to-do
# list is low-risk: **30 minutes**, the Redis TTL, which every request that uses the session starts again. And an
# **absolute** timeout, however active the session: "If the application is intended to be used by an office worker
# for a full day, an appropriate absolute timeout range could be between 4 and 8 hours" — **8 hours**, stored with
# the session as `ends_at` and never renewed; the idle TTL never reaches past it. Both are enforced on the server
# (a client could stretch any timer it holds). The settings `SESSION_IDLE_TIMEOUT` and `SESSION_ABSOLUTE_TIMEOUT`
# change them; an app with a one-second idle timeout shows Redis forgetting:

# %%
short = serve(ch09_sessions.create_app(Settings(session_idle_timeout=1)), name="short-sessions")
short.post("/users", json={"name": "Ada", "email": "ada@example.org", "password": PASSWORD})
short_session = session_of(short.post("/session", json={"email": "ada@example.org", "password": PASSWORD}))
before = short.get("/session", headers=browser(short_session)).status_code
time.sleep(1.1)  # waiting for the clock, not for a server
after = short.get("/session", headers=browser(short_session))
before, after.status_code, after.json()["detail"]

# %% [markdown]
# ## When Redis is down
# Every cookie-authenticated request reads Redis. When it cannot be reached, the fault is a dependency's, not the
# request's: **503 Service Unavailable** with `Retry-After` (RFC 9110 §15.6.4), never a 500. And fast: redis-py's
# defaults wait 5 s per attempt and retry with backoff, so the session store's client gives up after 1 s of silence
# and retries a broken connection once, at once (a restarted Redis). An app pointed at a port where nothing listens:

# %%
import socket

with socket.create_server(("127.0.0.1", 0)) as probe:
    nothing_there = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
down = serve(ch09_sessions.create_app(Settings(redis_url=nothing_there)), name="redis-down")
down.post("/users", json={"name": "Ada", "email": "ada@example.org", "password": PASSWORD})
refused = down.post("/session", json={"email": "ada@example.org", "password": PASSWORD})
started = time.perf_counter()
with_cookie = down.get("/session", headers=browser("an-id-from-before-the-outage"))
down_seconds = time.perf_counter() - started  # a refused connection: milliseconds (a silent Redis: the 1 s timeout)
down.stop()  # nothing to clean up in a Redis that is not there
show(refused, headers=["retry-after", "content-type"])
assert refused.status_code == with_cookie.status_code == 503 and down_seconds < 2

# %% [markdown]
# ## Try it
# - Locally, open Swagger UI (`api.docs_url`) in Chrome or Firefox, log in with `POST /session`, and look at the cookie in the
#   browser's developer tools: which flags does it show? Then try `document.cookie` in the console.
# - Log in twice and count the keys under `store.prefix` in Redis. Log out: how many are left?
# - Serve an app with `Settings(session_idle_timeout=60)`, log in, read `store.ttl_of(...)`, wait ten seconds, send
#   `GET /session` and read it again.
# - Send a write with your session from Swagger UI and look at its request headers: which `Sec-Fetch-Site` does
#   the browser send?
#
# ## Exercises

# %%
from course_lib.checks.ch09 import SCENARIOS, q1, q2, q3

# %% [markdown]
# **Exercise 1.** For each situation, which status does this chapter's API answer: 401 (who are you?) or 403 (what
# may you do?)? Map each scenario text of `SCENARIOS` to `401` or `403`.

# %%
list(SCENARIOS)

# %%
### BEGIN SOLUTION
answers = {
    "no cookie and no API key: POST /tasks": 401,
    "an expired session cookie: POST /tasks": 401,
    "an unknown API key: DELETE /tasks/1": 401,
    "a wrong password: POST /session": 401,
    "Bob's session and CSRF token: PATCH Ada's task": 403,
    "Ada's session without X-CSRF-Token: POST /tasks": 403,
    "Ada's session and token, sent by https://evil.example: POST /tasks": 403,
    "Bob's API key: DELETE Ada's task": 403,
}
### STUB
answers = None  # {scenario: 401 or 403, for every scenario in SCENARIOS}
### END SOLUTION

# %%
q1.check(answers)

# %% [markdown]
# **Exercise 2.** Write the Origin and token half of the CSRF rule (the API adds `Sec-Fetch-Site` before it):
# `csrf_allows(method, origin, own_origin, sent_token, session_token)` is `True` when a cookie-authenticated request
# may run. Safe methods (`GET`, `HEAD`, `OPTIONS`) always run. Any other method is refused when an `Origin` is sent
# and is not `own_origin`, and runs only with a non-empty `sent_token` equal to `session_token`, **compared in
# constant time** with `secrets.compare_digest` (`==` stops at the first character that differs: its time tells an
# attacker how much of a guess was right). `origin` is `None` when the request has no `Origin` header; `sent_token`
# comes from a header and may hold any text.

# %%
import secrets


def csrf_allows(method: str, origin: str | None, own_origin: str, sent_token: str | None,
                session_token: str) -> bool:
    """True when a request authenticated by the session cookie passes the CSRF rule."""
    ### BEGIN SOLUTION
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    if origin is not None and origin != own_origin:
        return False
    return bool(sent_token) and secrets.compare_digest(sent_token.encode(), session_token.encode())
    ### END SOLUTION


# %%
q2.check(csrf_allows)

# %% [markdown]
# **Exercise 3.** Write `log_in(store, old_session_id, user_id)`, the session part of a login that has already
# checked the password: it returns the id of a new session of `user_id` in `store` (a `SessionStore`), and makes sure
# the session the browser had before (`old_session_id`, `None` when there was none) no longer works. Other users'
# sessions must stay. The new id must be unguessable and the new session must time out, as every session of
# `store` does.

# %%
def log_in(store: SessionStore, old_session_id: str | None, user_id: int) -> str:
    """Rotate at login: end the browser's old session, start a new one for `user_id`, return its id."""
    ### BEGIN SOLUTION
    store.delete(old_session_id)
    session_id, _ = store.create(user_id)
    return session_id
    ### END SOLUTION


# %%
q3.check(log_in)

# %% [markdown]
# ## Recap
# - **401** = the server does not know who you are (send `WWW-Authenticate`); **403** = it knows, and says no.
#   Authentication is a dependency (`CurrentUser`); authorization is the route's rule (`ensure_owner`).
# - Session cookie for a browser front end (directly, or through its backend for frontend), bearer tokens for
#   mobile and server clients, API keys for scripts and servers; one API can take several.
# - A server-side session: a random id in the cookie, the data in Redis under the id's digest, a new id at every
#   login, every session of a user ended on a privilege change (password, role), `DEL` at logout, an idle timeout
#   (30 minutes, the Redis TTL renewed by each request) and an absolute one (8 hours after login).
# - Production cookie: `__Host-session; Secure; HttpOnly; SameSite=Lax; Path=/`, without `Max-Age`
#   (non-persistent). Browsers enforce the flags; they treat `localhost` as secure, Python's cookie jar does not.
# - Cookie-authenticated writes need CSRF defence: refuse what `Sec-Fetch-Site` says is cross-site or same-site,
#   else an `Origin` outside the configured allowed origins, and require the session's token in a header, compared
#   in constant time. API-key requests need none. Without server state: a signed, session-bound double-submit cookie.
# - A browser front end on another origin: a backend for frontend holds the tokens; the browser, a session cookie.
# - Redis down: 503 with `Retry-After`, within about a second.
# - One answer for a wrong email and a wrong password, in the same time: verify against a dummy hash.
#
# ## Going further
# - [RFC 9110 §15.5.2 and §15.5.4](https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2) — 401 and 403;
#   [RFC 6265bis](https://datatracker.ietf.org/doc/draft-ietf-httpbis-rfc6265bis/) — cookies, `SameSite`, prefixes.
# - OWASP cheat sheets: [Session Management](https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html),
#   [CSRF Prevention](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html),
#   [Authentication](https://cheatsheetseries.owasp.org/cheatsheets/Authentication_Cheat_Sheet.html).
# - [Fetch Metadata Request Headers](https://www.w3.org/TR/fetch-metadata/) (W3C) — `Sec-Fetch-Site` and its
#   siblings; Go's `net/http.CrossOriginProtection` puts a rule of the same kind in a standard library.
# - [OAuth 2.0 for Browser-Based Applications](https://datatracker.ietf.org/doc/draft-ietf-oauth-browser-based-apps/)
#   (IETF, Best Current Practice) — the backend-for-frontend pattern and why tokens in the browser rank last.
# - Chapter 15 issues JWTs with roles; chapter 20 rate-limits failed logins and answers CORS.
#
# ## Where this lives in course_lib
# `course_lib/web/sessions.py` (the session store, the cookie's flags, the CSRF rule),
# `course_lib/taskapi/cookie_auth.py` (the session cookie as a login scheme, the CSRF rule),
# `course_lib/taskapi/password_login.py` (email and password, checked alike), `course_lib/taskapi/routes/sessions.py`
# (`/session`: log in, who am I, log out), `course_lib/taskapi/ch09_sessions.py` (this chapter's API),
# `course_lib/checks/ch09.py` (the checks).
