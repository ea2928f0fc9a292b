# %% [markdown]
# # Chapter 15 — JWT and roles
# *A token the server can check without asking anyone — which is also why it cannot take it back.*
#
# **Learning goals**
# - log in for an **access token** (a JWT signed with HS256: `exp`, `iat`, `sub`, `aud`, `iss` required, the
#   algorithm pinned by the server) and a **refresh token** (opaque, stored as a digest, rotated on every use);
# - see a reused refresh token **revoke its whole family**, and what that costs two tabs that refresh at once;
# - refuse every forged or broken token with **401** and `WWW-Authenticate: Bearer error="invalid_token"` — `alg=none`,
#   a tampered payload, expired, no `exp`, another audience or issuer, `nbf` in the future, the right key with another
#   algorithm, an unknown key id, garbage — and never a 500;
# - see **algorithm confusion** work against a verifier that lets the token's header choose, and fail against a pin;
# - **rotate the signing key** with `kid`: tokens name their key, the previous key verifies until its tokens expire;
# - make tasks private: another user's task is **404**, the same answer as a missing one (no BOLA);
# - guard admin routes (**403** for members, **401** for nobody) and weigh the role **in the token** against the role
#   **looked up per request**;
# - say what *logout* means for a session cookie and for a JWT.
#
# **Why it matters.** Chapter 09's session lives on the server: every request asks Redis who the cookie belongs to.
# A JWT carries the answer itself, signed, so any replica (chapter 11) or another service can check it with a key and
# no call to a session store. (This API still loads the user that `sub` names on each request — to refuse a deleted
# user and to know their role — so the token saves the Redis lookup, not the database one.) The price: a signed
# statement stays true until it expires. This chapter builds both halves — short-lived access tokens and revocable
# refresh tokens — and shows where each one's limits are.

# %%
from course_lib import serve, show_source, start_chapter

start_chapter(15, "JWT and roles")

# %% [markdown]
# Refresh tokens live in **Redis** beside chapter 09's sessions (fakeredis in this kernel unless `REDIS_URL` is set).
#
# ## What a JWT is
# Three base64url segments: a header (which algorithm), a payload (the claims), a signature over both. Anyone can
# *read* one; only the key's holder can *make* one that verifies. `course_lib/web/tokens.py` issues them:

# %%
from course_lib.web import tokens

show_source(tokens.issue)

# %%
import base64
import json

config = tokens.TokenConfig(key="a-secret-of-forty-characters-or-more-0123456789")
token = tokens.issue(config, 1, role="member")


def segment(part: str) -> dict:
    """One segment of a JWT, decoded: nothing secret about it."""
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


header, payload, signature = token.split(".")
segment(header), sorted(segment(payload))

# %%
claims = segment(payload)
{"header": segment(header), "sub": claims["sub"], "role": claims["role"], "aud": claims["aud"],
 "iss": claims["iss"], "lifetime (s)": claims["exp"] - claims["iat"]}

# %% [markdown]
# Every claim has a job: `sub` whose token it is, `aud` which API it opens (a token for the billing service must not
# open this one), `iss` who signed it, `iat`/`nbf`/`exp` when it is good. `jti` makes each token unique. The header's
# `kid` names the key that signed it (a digest of the key, not the key): the section on key rotation uses it.
#
# ## Verifying: the server decides, never the token
# `verify` pins the algorithm (`algorithms=["HS256"]`: the header's `alg` is the attacker's to write) and **requires**
# the claims it relies on — without `require`, PyJWT checks `exp` only *if it is there*, so a token without one would
# be good forever. The header's `kid` only picks one of the server's own keys; an unknown one is refused:

# %%
show_source(tokens.verify)

# %% [markdown]
# ## Logging in for tokens
# Chapter 15's API adds `/tokens` beside chapter 09's `/session`: the same email and password (argon2id, the same
# answer and the same time for a wrong email and a wrong password), but the answer is a token pair instead of a
# cookie. The status is **200**, not 201: a login creates nothing a client could `GET` (a 201 names the new resource in
# `Location`, RFC 9110 §9.3.3), and 200 is what OAuth's token endpoint answers (RFC 6749 §5.1) — clients and
# libraries written for it expect that, and `Cache-Control: no-store`.

# %%
from course_lib.taskapi import ch15_jwt_roles

show_source(ch15_jwt_roles.swap_seams)

# %%
api = serve(ch15_jwt_roles.create_app())
api.client.headers["If-Match"] = "*"  # chapter 10's rule: a write names the version it changes (here: any)
PASSWORD = "violet harbor lantern 42"
for name in ("Ada", "Bob"):
    api.post("/users", json={"name": name, "email": f"{name.lower()}@example.org", "password": PASSWORD})

login = api.post("/tokens", json={"email": "ada@example.org", "password": PASSWORD})
pair = login.json()
login.status_code, login.headers["cache-control"], sorted(pair), pair["token_type"], pair["expires_in"]

# %%
ada = {"Authorization": f"Bearer {pair['access_token']}"}
created = api.post("/tasks", json={"title": "Ada's task"}, headers=ada)
created.status_code, created.json()["owner_id"]

# %%
wrong_email = api.post("/tokens", json={"email": "nobody@example.org", "password": PASSWORD})
wrong_password = api.post("/tokens", json={"email": "ada@example.org", "password": "not it"})
(wrong_email.status_code, wrong_email.json()["detail"]), (wrong_password.status_code, wrong_password.json()["detail"])

# %% [markdown]
# Who is calling is still one dependency (the **current-user seam**), built from an ordered list of login schemes:
# `logged_in_by(BEARER, SESSION, API_KEY)` — a Bearer token first (a client's code adds it on purpose), else chapter
# 09's session cookie, else chapter 05's API key. Scripts written for earlier chapters keep working. The bearer
# scheme is the one that refuses by itself: a token that does not verify is a 401 with `error="invalid_token"`
# (RFC 6750 §3), which tells a client to fetch a new token, and no cookie or key sent beside it may answer instead.

# %%
from course_lib.taskapi import bearer_auth

show_source(bearer_auth.bearer_user)

# %% [markdown]
# Nobody at all: one 401 that offers all three ways in, in the order they are tried.

# %%
anonymous = api.get("/tasks")
anonymous.status_code, anonymous.headers["www-authenticate"]

# %% [markdown]
# ## The token's journey
# ```mermaid
# sequenceDiagram
#     participant C as Client
#     participant A as API
#     participant D as Database
#     participant R as Redis
#     C->>A: POST /tokens {email, password}
#     A->>D: user by email, argon2id verify
#     A->>R: MULTI, SET family EX, HSET token digest (user, family, unspent) + EXPIRE, EXEC
#     A-->>C: 200 {access_token (JWT, 5 min), refresh_token (opaque)}
#     C->>A: GET /tasks  Authorization: Bearer JWT
#     A->>A: key by kid, verify signature, alg, aud, iss, exp, nbf (no Redis)
#     A->>D: the user named by sub, then their tasks only
#     A-->>C: 200
#     C->>A: POST /tokens/refresh {refresh_token}
#     A->>R: MULTI, HDEL unspent, TTL family, EXEC (first use? family alive?)
#     A-->>C: 200 {new access_token, new refresh_token}
#     C->>A: POST /tokens/refresh {the OLD refresh_token}
#     A->>R: nothing to HDEL: a reuse, DEL the family
#     A-->>C: 401 (and every token of the family is dead)
# ```
#
# ## Every bad token: 401, never 500
# `course_lib/lab/forged_tokens.py` makes the tokens an attacker or a broken client would send. Each carries the
# server's `kid` (anyone can copy it from a real token) unless the kid is the point. "HS512 with the server's key" is
# signed with the *right* key: only the pinned algorithm refuses it.

# %%
from course_lib.lab.forged_tokens import forged

app_config = api.server.config.app.context.tokens
refused = {}
for kind, bad in forged(app_config, 1).items():
    response = api.get("/tasks", headers={"Authorization": f"Bearer {bad}"})
    refused[kind] = (response.status_code, response.headers["www-authenticate"].split("error_description=")[-1])
refused

# %%
assert all(status == 401 for status, _ in refused.values())
api.get("/tasks", headers=ada).status_code  # the genuine token still works

# %% [markdown]
# ## Algorithm confusion, for real
# This API signs with a secret (HS256), so it has no public key to confuse. A server that signs with a **key pair**
# (ES256 here, RS256 alike) publishes its public key so others can verify. If its verifier let the token's header
# choose the algorithm, an attacker would write `alg: HS256` and sign with that *public* key as the HMAC secret —
# and the server, passing the one key it has, would compute the same HMAC. `header_trusting_verify` is that mistake
# written out (what libraries did before CVE-2015-9235):

# %%
import jwt

from course_lib.lab.forged_tokens import claims as claims_for
from course_lib.lab.forged_tokens import confused_token, es256_key_pair, header_trusting_verify

private_pem, public_pem = es256_key_pair()  # the server keeps the first, publishes the second
genuine = jwt.encode(claims_for(config, 2), private_pem, algorithm="ES256")
attack = confused_token(public_pem, claims_for(config, 2, role="admin"))  # made from public material only


def outcome(verify) -> str:
    """What a verifier made of the attacker's token."""
    try:
        return f"accepted, role={verify()['role']!r}"
    except Exception as error:  # any exception: which one each verifier raises is the point
        return f"refused: {type(error).__name__}"


{"the genuine ES256 token, header trusted": outcome(lambda: header_trusting_verify(genuine, public_pem)),
 "the attack, header trusted (hand-written verifier)": outcome(lambda: header_trusting_verify(attack, public_pem)),
 "the attack, PyJWT with algorithms from the header": outcome(lambda: jwt.decode(
     attack, public_pem, algorithms=[jwt.get_unverified_header(attack)["alg"]], audience=config.audience)),
 "the attack, PyJWT with algorithms=['ES256']": outcome(lambda: jwt.decode(
     attack, public_pem, algorithms=["ES256"], audience=config.audience))}

# %% [markdown]
# Read the three refusals closely. The hand-written verifier that trusts the header **accepts the forgery as an
# admin**. PyJWT refuses it even with the algorithm taken from the header — but only because its HMAC code refuses
# key bytes shaped like a PEM, SSH, DER or JWK key, a list that had to grow when a format slipped through
# (CVE-2022-29217, fixed in PyJWT 2.4.0). And it refuses with `InvalidKeyError`, which is *not* a `jwt.InvalidTokenError`:
# a server that catches only the latter answers that forgery with a 500. The pin refuses it with
# `InvalidAlgorithmError` before any key is touched, whatever the key's format or the library's version: the
# algorithm is the server's choice (RFC 8725 §3.1).

# %% [markdown]
# ## Refresh tokens: rotation, and reuse revokes the family
# An access token lives 5 minutes; the refresh token gets the next one. Each refresh spends the token it is given.
# A spent token that comes back means two parties hold it — the user and a thief — and the server cannot tell which
# is which, so it revokes the whole family. Spending is one `HDEL`: atomic (two refreshes cannot both delete the
# field), and unlike `HINCRBY` it cannot recreate a key that expired a moment before — such a key would have no TTL
# and stay in Redis for ever. The same `MULTI`/`EXEC` reads the family's TTL: a second refresh can revoke the family
# only after it finds the field gone, so the winner has already read "alive" — read in a second step, the loser's
# revocation could fall in between and leave no winner at all. For the same reason a login writes the family and
# its first token, each with its `EXPIRE`, in one `MULTI`/`EXEC`:

# %%
from course_lib.web.refresh_tokens import RefreshStore

show_source(RefreshStore.start)

# %%
show_source(RefreshStore.rotate)

# %%
first = pair["refresh_token"]
second = api.post("/tokens/refresh", json={"refresh_token": first})
stolen_copy = api.post("/tokens/refresh", json={"refresh_token": first})
owner_next = api.post("/tokens/refresh", json={"refresh_token": second.json()["refresh_token"]})
second.status_code, (stolen_copy.status_code, stolen_copy.json()["reused"]), owner_next.status_code

# %% [markdown]
# The thief's replay failed *and* the owner's current token died with it: both must log in again, and only the owner
# can. Detection needs the real client to come back, though: until the owner's next refresh, a thief who refreshed
# first holds the family's only live token and can keep rotating it (RFC 9700 §4.14.2). The owner's next refresh is
# the reuse that ends it — if the owner never returns, the thief keeps going until the family expires (14 days here).
#
# **The price: two tabs.** Reuse detection cannot tell a thief from the owner's second tab. Two tabs (or two threads
# of one app) that refresh at the same moment with the same token — one wins, the other looks like a replay, and
# the family dies: the user is logged out of both.

# %%
from concurrent.futures import ThreadPoolExecutor

shared = api.post("/tokens", json={"email": "ada@example.org", "password": PASSWORD}).json()["refresh_token"]
with ThreadPoolExecutor(2) as tabs:  # two tabs, one refresh token, the same moment
    answers = list(tabs.map(lambda _: api.post("/tokens/refresh", json={"refresh_token": shared}), range(2)))
winner = next(answer for answer in answers if answer.status_code == 200)
(sorted(answer.status_code for answer in answers),
 api.post("/tokens/refresh", json={"refresh_token": winner.json()["refresh_token"]}).status_code)

# %% [markdown]
# We keep the strict rule and put the fix in the client: one refresh at a time, its result shared by every tab (a
# Web Locks API lock, or a backend-for-frontend that holds the refresh token for the browser). Some servers accept
# the just-spent token again for a few seconds instead; that grace window is also a window for a thief who replays
# quickly, and it needs the server to hand the same successor out twice.
#
# **When Redis is down.** Every route here needs Redis. redis-py retries a failed connection for about 5 s by
# default, then raises, and an uncaught exception is a 500 — the answer of a bug. This API gives the refresh-token
# client 0.5 s timeouts and one retry, and answers **503** with `Retry-After`: the fault is a dependency's, and
# retrying later can help. Here the store's client is swapped for one whose server is down:

# %%
import fakeredis

store = api.server.config.app.context.refresh_tokens
working, down = store.redis, fakeredis.FakeServer()
down.connected = False
store.redis = fakeredis.FakeRedis(server=down, decode_responses=True)
outage = api.post("/tokens", json={"email": "bob@example.org", "password": PASSWORD})
store.redis = working
outage.status_code, outage.headers["retry-after"], outage.headers["content-type"], outage.json()["detail"]
#
# ## Ownership: another user's task is 404
# The task routes ask a new seam, **task_access**, which tasks the caller may see. Chapter 15 answers "your own":

# %%
show_source(bearer_auth.OwnTasksOnly)

# %%
bob = {"Authorization": "Bearer " + api.post("/tokens", json={"email": "bob@example.org",
                                                              "password": PASSWORD}).json()["access_token"]}
ada = {"Authorization": "Bearer " + api.post("/tokens", json={"email": "ada@example.org",
                                                              "password": PASSWORD}).json()["access_token"]}
task_url = created.headers["location"]
theirs, missing = api.get(task_url, headers=bob), api.get("/tasks/999", headers=bob)
{"Ada's task, asked by Bob": (theirs.status_code, theirs.json()["detail"]),
 "a missing task": (missing.status_code, missing.json()["detail"])}

# %%
statuses = {f"{method} {path}": api.request(method, path, json=body, headers=bob).status_code
            for method, path, body in [("GET", task_url, None), ("PUT", task_url, {"title": "mine"}),
                                       ("PATCH", task_url, {"done": True}), ("DELETE", task_url, None),
                                       ("POST", f"{task_url}/complete", None)]}
statuses, api.get("/tasks", headers=bob).json(), api.get(task_url, headers=ada).json()["title"]

# %% [markdown]
# Why 404 and not chapter 05's 403? A 403 says "it exists, and it is not yours": enough to tell which of the ids
# Bob tries are someone else's tasks. Broken Object Level Authorization (BOLA) is the first risk of the OWASP API
# Security Top 10; the fix is the owner check on *every* route — here one seam all task routes ask — and an answer
# that tells nothing about another user's task. What ids still tell, by design: they count up, so Bob's next new
# task shows roughly how many exist (random ids would hide that too); and `/users` shows any logged-in caller each
# user's id and name — never their email or role (chapter 05) — so users can find each other.
#
# ## Roles: in the token, or looked up?
# Users have a role, `member` or `admin`. The first admin is made by an operator on the server (no API route can
# create the first admin); admins then manage roles through `/admin`:

# %%
from course_lib.taskapi.routes import admin

show_source(admin.router)

# %%
with api.server.config.app.context.storage.unit_of_work() as uow:  # the operator's one-off, on the server
    uow.users.set_role(1, "admin")
    uow.commit()
ada_admin = api.post("/tokens", json={"email": "ada@example.org", "password": PASSWORD}).json()
ada = {"Authorization": f"Bearer {ada_admin['access_token']}"}
{path: (api.get(path).status_code, api.get(path, headers=bob).status_code, api.get(path, headers=ada).status_code)
 for path in ("/admin/users", "/admin/stats")}

# %% [markdown]
# (nobody, Bob the member, Ada the admin) → (401, 403, 200) on both routes. Now they differ. `/admin/users` checks
# the role **in the database** on each request (`admin_by_lookup`: one query); `/admin/stats` trusts the **claim** in
# the token (`admin_by_claim`: no query). Demote Ada — with a second admin, through the API — and ask again with her
# old token:

# %%
show_source(bearer_auth.admin_by_claim)

# %%
api.post("/users", json={"name": "Root", "email": "root@example.org", "password": PASSWORD})
with api.server.config.app.context.storage.unit_of_work() as uow:
    uow.users.set_role(3, "admin")
    uow.commit()
root = {"Authorization": "Bearer " + api.post("/tokens", json={"email": "root@example.org",
                                                               "password": PASSWORD}).json()["access_token"]}
demoted = api.put("/admin/users/1/role", json={"role": "member"}, headers=root)
demoted.json()["role"], {"by lookup: /admin/users": api.get("/admin/users", headers=ada).status_code,
                         "by claim: /admin/stats": api.get("/admin/stats", headers=ada).status_code}

# %%
refreshed = api.post("/tokens/refresh", json={"refresh_token": ada_admin["refresh_token"]}).json()
api.get("/admin/stats", headers={"Authorization": f"Bearer {refreshed['access_token']}"}).status_code

# %% [markdown]
# | the role is… | cost per request | a demotion counts | fits |
# |---|---|---|---|
# | a claim in the token | no query for the role: the signature is the proof | at the next token (≤ the access token's lifetime) | read-mostly, low-stakes routes; other services that cannot reach your database |
# | looked up per request | one query (or a cache hit) | at once | anything that changes data or money, user management |
#
# A refresh reads the role again, so the access token's lifetime bounds the staleness: 5 minutes here. That bound is
# the real reason access tokens are short.
#
# ## What logout means
# A session cookie names a record on the server: logout deletes it, and the cookie is worthless at once. A JWT names
# nothing: the server checks a signature, and the signature stays valid until `exp`. Logging out of tokens means
# revoking the **refresh** family (no new access tokens) — the access token already out keeps working until it
# expires, unless every request also checks a denylist (which is a lookup again).

# %%
tokens_now = api.post("/tokens", json={"email": "bob@example.org", "password": PASSWORD}).json()
bearer = {"Authorization": f"Bearer {tokens_now['access_token']}"}
logout = api.post("/tokens/revoke", json={"refresh_token": tokens_now["refresh_token"]})
{"POST /tokens/revoke": logout.status_code,
 "refresh after logout": api.post("/tokens/refresh", json={"refresh_token": tokens_now["refresh_token"]}).status_code,
 "the access token after logout": api.get("/tasks", headers=bearer).status_code}

# %%
from course_lib import Settings

cookie_api = serve(ch15_jwt_roles.create_app(Settings(session_cookie_secure=False)), name="cookies")
cookie_api.post("/users", json={"name": "Bob", "email": "bob@example.org", "password": PASSWORD})
session = cookie_api.post("/session", json={"email": "bob@example.org", "password": PASSWORD}).json()
before = cookie_api.get("/tasks").status_code
cookie_api.delete("/session", headers={"X-CSRF-Token": session["csrf_token"]})
{"session: before logout": before, "session: after logout": cookie_api.get("/tasks").status_code}

# %% [markdown]
# | | session cookie | access token (JWT) | refresh token |
# |---|---|---|---|
# | where the truth lives | Redis, per session | in the token, signed | Redis, per family |
# | check per request | one Redis lookup, then the user | a signature, then the user by `sub` (one query) | — (only when refreshing) |
# | logout | `DEL`: dead at once | still valid until `exp` | family revoked: dead at once |
# | stolen | valid until logout or expiry | valid until `exp` (minutes) | the thief rotates it until the owner's next refresh is seen as a reuse |
#
# ## Rotating the signing key: `kid`
# A key is replaced on a schedule, or at once when it may have leaked. Tokens already out were signed with the old
# key, and they must not all fail the moment the new one arrives. So each token names its key in the header (`kid`),
# and the server keeps a small key set: the **current** key signs and verifies, the **previous** ones only verify.
# Once the access-token lifetime (5 minutes) has passed since the switch, every token the old key signed has
# expired: drop it. The kid is only looked up in the server's own set — the token never supplies a key.

# %%
show_source(tokens.TokenConfig)

# %%
import secrets

old_key, new_key = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
yesterday = tokens.issue(tokens.TokenConfig(key=old_key), 1)
rotated = tokens.TokenConfig(key=new_key, previous_keys=(old_key,))  # SECRET_KEY=new, PREVIOUS_SECRET_KEYS=[old]
dropped = tokens.TokenConfig(key=new_key)  # 5 minutes later


def verdict(config: tokens.TokenConfig, token: str) -> str:
    """'valid' or the reason verify() refuses `token`."""
    try:
        tokens.verify(config, token)
        return "valid"
    except tokens.InvalidToken as refused:
        return str(refused)


{"old token, kid = old key": tokens.unverified_header(yesterday)["kid"] == tokens.key_id(old_key),
 "new tokens, kid = new key": tokens.unverified_header(tokens.issue(rotated, 1))["kid"] == tokens.key_id(new_key),
 "old token, during the rotation": verdict(rotated, yesterday),
 "old token, after the old key is dropped": verdict(dropped, yesterday)}

# %% [markdown]
# The served API reads its key set from the settings `SECRET_KEY` and `PREVIOUS_SECRET_KEYS`, and answers an unknown
# kid with the same 401 as every other bad token (the "unknown kid" row above). With a key pair (ES256, EdDSA) the
# same idea is published as a JWKS: a JSON list of public keys, each with its `kid`.
#
# ## Try it
# - Open Swagger UI (`api.docs_url`): the **Authorize** button now offers `HTTPBearer` beside `APIKeyHeader`.
# - Paste an access token into a JWT decoder (or `segment()` above): everything in it is readable. Never put
#   secrets in claims.
# - Serve with `Settings(access_token_ttl=2)` and watch a token go from 200 to 401.
#
# ## Exercises

# %%
from course_lib.checks.ch15 import AUDIENCE, ISSUER, q1, q2

# %% [markdown]
# **Exercise 1.** Write `verify_token(token, key)`: return the claims of a good token, raise for any other. The
# server signs with HS256 only. The check hands it a good token, one that expired 2 seconds ago (clock skew between
# servers: let it pass), and every forged token of this chapter plus tokens missing each required claim. It also
# reads your code: given an HMAC key, PyJWT refuses `alg=none` and a PEM as the secret by itself, so a verifier that
# lets the token's header choose the algorithm would pass these tokens and still be wrong — the algorithm must never
# come from the token. Use `jwt.decode` with `AUDIENCE` and `ISSUER`.

# %%
import jwt


def verify_token(token: str, key: str) -> dict:
    """The claims of `token` if it is good; an exception otherwise."""
    ### BEGIN SOLUTION
    return jwt.decode(token, key, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER, leeway=5,
                      options={"require": ["exp", "iat", "sub", "aud", "iss"]})
    ### END SOLUTION


# %%
q1.check(verify_token)

# %% [markdown]
# **Exercise 2.** Write `status_for(caller_id, role, owner_id, admin_route)`: the status this chapter's API answers.
# `caller_id` is None when nobody is logged in; `owner_id` is the task's owner, None when the task does not exist;
# `admin_route` is True for `/admin/...` (no task involved). Answer 200, 401, 403 or 404.

# %%
def status_for(caller_id: int | None, role: str | None, owner_id: int | None, admin_route: bool) -> int:
    """401, 403, 404 or 200 for this caller, this task and this route."""
    ### BEGIN SOLUTION
    if caller_id is None:
        return 401
    if admin_route:
        return 200 if role == "admin" else 403
    return 200 if owner_id == caller_id else 404
    ### END SOLUTION


# %%
q2.check(status_for)

# %% [markdown]
# ## Recap
# - An access token is a signed statement: `header.payload.signature`, readable by anyone. The server pins the
#   algorithm, requires `exp`, `iat`, `sub`, `aud`, `iss`, and allows seconds of leeway.
# - Every bad token is a **401** with `WWW-Authenticate: Bearer error="invalid_token"`: verification turns PyJWT's
#   every refusal into one answer, never a 500. Algorithm confusion beats a verifier that lets the header choose;
#   the pin beats it whatever the key's format.
# - A login and a refresh answer **200** (nothing was created to `GET`); Redis down is **503** + `Retry-After`.
# - Keys rotate by `kid`: the current key signs, previous keys verify until their tokens expire, an unknown kid is 401.
# - Access tokens are short; refresh tokens are opaque, stored as digests, **rotated** on use, and a reused one
#   **revokes its family** — a thief's copy works only until the owner's next refresh, and two tabs refreshing at once
#   log the user out.
# - Ownership on every route: another user's task is **404**, like a missing one. Admin routes: **401** nobody,
#   **403** members.
# - A role in the token costs nothing and is stale until expiry; a role looked up costs a query and is always current.
# - Logout: a session dies at once; a JWT lives until `exp`; revoking the refresh family stops the next one.
#
# ## Going further
# - [RFC 7519](https://www.rfc-editor.org/rfc/rfc7519) (JWT), [RFC 8725](https://www.rfc-editor.org/rfc/rfc8725)
#   (JWT best practices: pin algorithms, validate every claim), [RFC 7515 §4.1.4](https://www.rfc-editor.org/rfc/rfc7515#section-4.1.4)
#   (`kid`), [RFC 6749 §5.1](https://www.rfc-editor.org/rfc/rfc6749#section-5.1) (the token response: 200, no-store),
#   [RFC 6750 §3](https://www.rfc-editor.org/rfc/rfc6750#section-3)
#   (the Bearer challenge), [RFC 9700 §4.14](https://www.rfc-editor.org/rfc/rfc9700#section-4.14) (refresh token
#   rotation and reuse detection).
# - [OWASP API Security Top 10: API1 Broken Object Level Authorization](https://owasp.org/API-Security/editions/2023/en/0xa1-broken-object-level-authorization/).
# - EdDSA (`algorithm="EdDSA"`, an Ed25519 key pair): other services verify with the public key and cannot mint
#   tokens; publish it as a JWKS.
#
# ## Where this lives in course_lib
# `course_lib/web/tokens.py` (issue and verify access tokens), `course_lib/web/refresh_tokens.py` (families, rotation,
# reuse), `course_lib/lab/forged_tokens.py` (the bad tokens), `course_lib/taskapi/bearer_auth.py` (Bearer, else
# cookie, else key; own tasks only; admin by claim or by lookup), `course_lib/taskapi/routes/tokens.py` and
# `routes/admin.py`, `course_lib/taskapi/ch15_jwt_roles.py` (this chapter's API), `course_lib/checks/ch15.py`.
