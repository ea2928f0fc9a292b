# %% [markdown]
# # Chapter 11 — Scaling
# *One process can only grow so far. Run several copies behind a load balancer, and the question becomes: what did
# each copy keep to itself?*
#
# **Learning goals**
# - tell **vertical** scaling (a bigger machine) from **horizontal** scaling (more copies), and say what each costs;
# - run the task API as **replicas** — separate uvicorn processes — behind **nginx** on loopback, and watch it take
#   turns (round-robin) with a header naming the process that answered;
# - know what `X-Forwarded-For`, `-Proto` and `Host` tell an app behind a proxy, and **whom to believe**;
# - see state held in one process **break** across replicas, and the same state in Redis work;
# - **measure** 1 vs 2 vs 3 replicas (horizontal) and the same replicas on 1 vs 2 cores (vertical) with a load
#   generator (locust), plotted — and read the numbers honestly on the machine they came from;
# - put a shared **cache** (nginx `proxy_cache`) in front of the replicas, and lose a replica without losing a request;
# - read the `docker-compose.yml` that runs it all at home: nginx, N API replicas, PostgreSQL, Redis, a worker, and a
#   one-shot migration step.
#
# **Why it matters.** Every chapter so far ran one process. A real API runs several: to use more than one core, to
# survive one crashing, to deploy without downtime. Nothing in the code says "I am one of three" — and that is
# exactly the danger: a counter, a cache or a session kept in a Python dict works in every test and silently breaks
# in production, where the next request lands on another copy.

# %%
from course_lib import serve, show_source, start_chapter, table

start_chapter(11, "Scaling")

# %% [markdown]
# ## Vertical or horizontal
# | | vertical (scale up) | horizontal (scale out) |
# |---|---|---|
# | how | a bigger machine: more cores, more memory | more copies of the app behind a load balancer |
# | limit | the biggest machine you can buy; it is one failure | the shared parts: database, Redis, balancer |
# | code changes | none | the app must be **stateless**: nothing a later request needs may stay in one process |
# | failure | the machine goes down, the API goes down | a replica dies, the balancer sends its share to the others |
#
# Python adds a twist: one process runs Python code on one core at a time (the GIL), so even *vertical* scaling of
# an API means several processes — uvicorn's `--workers`, or the replicas of this chapter. Whatever state a process
# keeps in memory, it keeps for itself.
#
# ```mermaid
# flowchart LR
#     C[clients] --> N[nginx<br/>round-robin]
#     N --> R1[replica-1<br/>uvicorn]
#     N --> R2[replica-2<br/>uvicorn]
#     N --> R3[replica-3<br/>uvicorn]
#     R1 & R2 & R3 --> DB[(database<br/>tasks, users)]
#     R1 & R2 & R3 --> RD[(Redis<br/>sessions, counters)]
# ```

# %% [markdown]
# ## Which process answered?
# Chapter 11's change to the API is small: every response names the process that served it in an `X-Instance`
# header (from the `INSTANCE_NAME` setting), and a visit counter exists twice — once in the process's memory, once in
# Redis. A pure ASGI middleware adds the header:

# %%
from course_lib.taskapi import ch11_scaling

show_source(ch11_scaling.InstanceHeader)

# %%
show_source(ch11_scaling.visits_router)

# %% [markdown]
# One process, in this kernel, answers as `kernel`, and both counters agree — there is only one of it:

# %%
api = serve(ch11_scaling.create_app())
[api.post("/visits/in-memory").json() for _ in range(3)], api.post("/visits/in-redis").json()

# %% [markdown]
# ## Three replicas and a load balancer
# Now the real thing: three uvicorn **processes**, each `uvicorn --factory course_lib.taskapi.ch11_scaling:create_app`
# on its own loopback port, started by this kernel and tied to it (if the kernel dies, the operating system stops
# them: `PR_SET_PDEATHSIG`). They share one database — a SQLite file in WAL mode, or a schema on PostgreSQL when
# `DATABASE_URL` is set — and one Redis: `REDIS_URL`, or a fakeredis server the chapter starts on a TCP port, since
# three processes cannot share a fakeredis inside this kernel.

# %%
from course_lib.lab.replicas import shared_backends, start_replicas

backends = shared_backends()
replicas = start_replicas(3, backends, report=print)  # a few seconds: each line says one more is up

# %% tags=["nbval-ignore-output"]
print(backends.describe())

# %% [markdown]
# In front of them goes **nginx**, with a config this chapter writes: everything nginx writes (pid, logs, temp
# files) under a folder of its own, one `upstream` block listing the replicas, `keepalive` so nginx reuses its
# connections to them. Where nginx is not installed (a laptop), the chapter says so and runs the course's own reverse
# proxy (`course_lib/lab/proxy.py`) in its place, round-robin too.

# %%
from course_lib.lab.balancer import INSTALL_NGINX, load_balancer

balancer = load_balancer(replicas.urls)
if balancer.kind != "nginx":
    print(f"nginx is not installed here: using the course's proxy instead. To install nginx: {INSTALL_NGINX}")

# %% tags=["nbval-ignore-output"]
def shown(config: str) -> str:
    """The config with each port named for what listens there (the ports change every run)."""
    for replica in replicas.members:
        config = config.replace(f"127.0.0.1:{replica.port}", f"127.0.0.1:<{replica.name}'s port>")
    return config.replace(f"listen {balancer.url.removeprefix('http://')};", "listen 127.0.0.1:<a free port>;")


print(f"load balancer: {balancer.kind}")
print(shown(balancer.config) or "(the course's proxy: no config file)")

# %% [markdown]
# Nine requests through the balancer: each replica serves three, in turn.

# %%
from collections import Counter

import httpx

client = httpx.Client(base_url=balancer.url, timeout=30)
served = [client.get("/health").headers["x-instance"] for _ in range(9)]
dict(sorted(Counter(served).items()))

# %% [markdown]
# ## Who is the client? Proxy headers, and whom to believe
# Behind a proxy, every request reaches the app from the proxy's address, over the proxy's connection. What the app
# would have seen itself travels in header fields the proxy adds:
#
# | field | says | the app uses it for |
# |---|---|---|
# | `X-Forwarded-For` | the client's address (a list when several proxies append to it) | `request.client`: logs, rate limits |
# | `X-Forwarded-Proto` | `http` or `https`, as the client connected | `request.url.scheme`: absolute links, `Secure` cookies |
# | `Host` (or `X-Forwarded-Host`) | the host name the client asked for | absolute links, once checked against the API's own names (Starlette's `TrustedHostMiddleware`) |
#
# (`Forwarded`, RFC 7239, is the standard form of all three; the `X-` fields are what most proxies send.) They are
# only text, and a client can write them too. So two rules: the app believes them **only from its proxy's address**
# (uvicorn's `--forwarded-allow-ips`, default `127.0.0.1,::1`), and the proxy that meets the client **writes them from
# what it saw**, replacing whatever the client sent — nginx's `proxy_set_header X-Forwarded-For $remote_addr` above.
# The tempting `$proxy_add_x_forwarded_for` *appends* to the client's list: `X-Forwarded-For: 6.6.6.6, 203.0.113.7`,
# and an app that trusts every address (`--forwarded-allow-ips '*'`, which uvicorn reads from the left) takes
# `6.6.6.6`, the client's own words. Appending is right only behind a proxy you also trust (a CDN in front of nginx),
# each hop believing exactly the one before it. A tiny app that says who it thinks the client is:

# %%
from fastapi import FastAPI, Request

whoami_app = FastAPI()


@whoami_app.get("/whoami")
def whoami(request: Request) -> dict:
    """Who uvicorn says the client is, and how it says the client connected."""
    return {"client": request.client.host, "scheme": request.url.scheme}


whoami = serve(whoami_app, name="whoami", trust_loopback_proxies=True)  # uvicorn's default: believed from loopback
front = load_balancer([whoami.url])
spoof = {"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https"}
table([{"request": "to the app, nothing added", **httpx.get(f"{whoami.url}/whoami").json()},
       {"request": "to the app, spoofed headers", **httpx.get(f"{whoami.url}/whoami", headers=spoof).json()},
       {"request": "through the balancer, spoofed headers", **httpx.get(f"{front.url}/whoami", headers=spoof).json()}])

# %% [markdown]
# Through the balancer the spoof is gone: the client is the address the balancer saw. Straight to the app it works,
# because the request comes from 127.0.0.1 — the address the app trusts, since the balancer is there too. That is
# why, in a deployment, only the proxy can reach a replica: `deploy/docker-compose.yml` publishes no port of the API,
# gives nginx a fixed address and sets `FORWARDED_ALLOW_IPS` to it alone. (The course's own proxy drops client-sent
# forwarding headers the same way.) The course's `serve()` trusts no forwarding headers at all unless asked, as above:
# in a notebook every client is on loopback.

# %%
front.stop()
whoami.stop()

# %% [markdown]
# ## State that breaks, state that works
# The in-memory counter, six visits through the balancer. Each replica counts only the visits it served:

# %%
[client.post("/visits/in-memory").json()["visits"] for _ in range(6)]

# %% [markdown]
# Six visits, and no answer ever says more than 2. Nothing crashed, no error was logged: the number is just wrong,
# and it would look right in every single-process test. The Redis counter, the same six visits:

# %%
import redis

redis.Redis.from_url(backends.redis_url).delete(ch11_scaling.VISITS_KEY)  # a fresh count for this run
[client.post("/visits/in-redis").json()["visits"] for _ in range(6)]

# %% [markdown]
# Right, because `INCR` runs inside Redis — one place, one atomic step — whichever replica asks. The same holds for
# what earlier chapters built: **users and tasks** live in the database, **sessions** (chapter 09) in Redis. Sign up
# and log in through the balancer, then use the session on every replica:

# %%
from http.cookies import SimpleCookie

PASSWORD = "violet harbor lantern 42"
created = client.post("/users", json={"name": "Ada", "email": "ada@example.org", "password": PASSWORD})
login = client.post("/session", json={"email": "ada@example.org", "password": PASSWORD})
session_id = SimpleCookie(login.headers["set-cookie"])["__Host-session"].value
cookie = {"Cookie": f"__Host-session={session_id}"}
sessions = [client.get("/session", headers=cookie) for _ in range(6)]
created.headers["x-instance"] != login.headers["x-instance"], sorted(
    {(answer.status_code, answer.headers["x-instance"]) for answer in sessions})

# %% [markdown]
# Signed up on one replica, logged in on another, and the session is known to all three. The rule: **a replica keeps
# nothing a later request needs**. What must last goes to a shared service (database, Redis, object storage), what
# a process may keep is what it can rebuild from the same inputs (settings, a compiled template, a connection pool).

# %% [markdown]
# ## Measured: more replicas, more cores
# The load generator is **locust**, run headless in its own process (`course_lib/lab/load.py`): `users` clients, each
# sending the next request as soon as the last one answered, for a few seconds; it reports requests, failures,
# throughput and latency percentiles. Every configuration gets the same load through the balancer — only the upstream
# list changes — against `GET /tasks` (20 tasks, API key, JSON):

# %%
from course_lib.lab.load import measure

show_source(measure)

# %%
key = {"X-API-Key": created.json()["api_key"]}
for number in range(20):
    client.post("/tasks", json={"title": f"task {number}"}, headers=key)
len(client.get("/tasks", params={"limit": 50}, headers=key).json())

# %% [markdown]
# **Horizontal**: 1, 2 and 3 replicas, each run printing its line as it ends (a few seconds each).

# %% tags=["nbval-ignore-output"]
import os

USERS, SECONDS = 16, 1.5
fronts = {1: load_balancer(replicas.urls[:1]), 2: load_balancer(replicas.urls[:2]), 3: balancer}
print(f"{balancer.kind} in front of 1, 2 and 3 replicas: {USERS} users for {SECONDS:g} s each")
runs = {}
for count in (1, 2, 3):
    runs[(count, "all")] = measure(f"{fronts[count].url}/tasks", users=USERS, seconds=SECONDS, headers=key)
    print(f"{count} replica(s): {runs[(count, 'all')]}")
fronts[1].stop()
fronts[2].stop()

# %% [markdown]
# **Vertical**: the same three replicas on a smaller machine — Linux lets a process run on chosen cores only
# (`sched_setaffinity`), so `replicas.pin({0})` gives the replicas one core without restarting them (nginx and the
# load generator keep both), then `pin(None)` gives them every core back.

# %% tags=["nbval-ignore-output"]
cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_setaffinity") else []
if len(cores) >= 2:
    replicas.pin({cores[0]})
    try:
        runs[(3, "one")] = measure(f"{balancer.url}/tasks", users=USERS, seconds=SECONDS, headers=key)
    finally:
        replicas.pin(None)
    print(f"3 replicas on one core: {runs[(3, 'one')]}")
else:
    print("skipped: pinning to one core needs Linux and a machine with at least 2 cores")

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt

label = {"all": f"{len(cores) or os.cpu_count()} cores", "one": "1 core"}
rows = [{"replicas": count, "cores for the replicas": label[cpus], "requests": r.requests, "failures": r.failures,
         "requests/s": round(r.throughput)} for (count, cpus), r in runs.items()]
print(f"{os.cpu_count()} CPU cores; {USERS} users, {SECONDS:g} s per run; balancer: {balancer.kind}")
table(rows)
figure, axes = plt.subplots(figsize=(6, 3))
axes.bar([f"{count} × {label[cpus]}" for count, cpus in runs], [r.throughput for r in runs.values()],
         color=["#4c72b0"] * 3 + ["#dd8452"] * (len(runs) - 3))
axes.set(title="throughput through the balancer", xlabel="replicas × cores they may use", ylabel="requests / s")
figure.tight_layout()
plt.show()

# %%
assert all(r.failures == 0 and r.requests > 0 for r in runs.values()), "every request served"
assert runs[(3, "all")].throughput >= 0.1 * runs[(1, "all")].throughput, "three replicas must not collapse one"
"every configuration served every request without a failure"

# %% [markdown]
# **Reading the numbers honestly.** The table is what *this* machine measured, once, with whatever else it was
# doing; re-run it and the numbers move, which is why the cells above print them without comparing them. Three things
# to read from them:
#
# - **More replicas help only where there are idle cores.** A replica is one Python process: it runs Python on one
#   core at a time. On a machine with many idle cores throughput grows with replicas until the cores or the database
#   run out. On a small one it does not: the course's CI has 2 cores, and the load generator, nginx and the replicas
#   all share them; a third process adds context switches, not cores. While this chapter was written, on a 2-core
#   machine busy with other jobs, three replicas gave between less than 0.5× and about 1.6× the throughput of one,
#   from run to run. The check asks only that every request was served and that three replicas did not collapse the
#   throughput (at least 0.1× of one: a balancer that waits on a dead or slow upstream serves next to nothing in a
#   run this short).
# - **Vertical scaling is the last row against the third.** The same three replicas on one core instead of two: a
#   smaller machine and a bigger one. A second core buys throughput only when the replicas are what is short of CPU
#   and the core is otherwise idle. Here it is not idle: locust and nginx run on the same two cores (and on a busy
#   machine, everything else), so the second core may buy little — or, with fewer processes fighting over each
#   core, the one-core run may even come out ahead. Re-run the two cells and see which way your machine leans.
# - **With the course's proxy instead of nginx** (no nginx installed), expect throughput to *fall* as replicas are
#   added: the proxy is one Python process doing all the forwarding, it is the bottleneck, and every replica takes
#   CPU away from it. nginx does the same job in C with a fraction of the CPU.
#
# **Why no latency panel.** Each of the 16 users sends its next request when the last one returns (a *closed* loop), so
# at any moment 16 requests are in flight and Little's law fixes the average latency at users ÷ throughput (at, say, 400
# requests/s: 16 ÷ 400 = 40 ms). A latency plot would show the throughput plot upside down, not how fast a request is;
# and a p99 from a few hundred requests is a handful of samples. Measuring latency honestly takes an *open* loop —
# requests sent at a fixed rate whether or not earlier ones returned — and runs long enough for the tail to hold
# thousands of requests.

# %% [markdown]
# ## A shared cache in front
# nginx can also keep answers: `proxy_cache` stores what `Cache-Control` lets a shared cache keep, and answers the
# next request for it without a replica. The API's script (chapter 02) says `public, max-age=3600`; the task list
# says `private` (chapter 10). A request with credentials — `Authorization`, an API key, a cookie — asks for one
# user's data, so the config also neither reads nor fills the cache for one (`proxy_cache_bypass`,
# `proxy_no_cache`), whatever the answer says (RFC 9111 §3.5): a cache must not hand one user's data to another
# because an origin forgot `private`.

# %%
from course_lib.lab.nginx import CACHE, CACHE_PATH

print(CACHE_PATH.strip())
print("\n".join(line.strip() for line in CACHE.strip().splitlines()))

# %%
cached = load_balancer(replicas.urls, cache=True)
with httpx.Client(base_url=cached.url) as through_cache:
    script = [through_cache.get("/client.js") for _ in range(4)]
    listed = [through_cache.get("/tasks", headers=key) for _ in range(3)]
cached.stop()
print("GET /client.js, 4 times:", [a.headers.get("x-cache-status") or a.headers.get("x-cache") for a in script],
      f"— {len({a.headers['x-instance'] for a in script})} replica served them")
print("GET /tasks with an API key, 3 times: served by", sorted(a.headers["x-instance"] for a in listed))

# %% [markdown]
# One replica served the script once; nginx answered the other three (`HIT`). The task list, asked with a key, went
# to a replica every time. (Without nginx the course's proxy stands in, with an `X-Cache` header; it follows RFC 9111
# §3.5 to the letter, so an answer marked `public` may also serve a request with credentials, where this nginx config
# is stricter.)
# Chapter 16 caches *inside* the API, in Redis, where a write can invalidate what it changed — a shared cache in front
# can only wait for `max-age` to run out.

# %% [markdown]
# ## Losing a replica
# Stop replica-3, as a crash would, and keep sending requests through the balancer:

# %%
from course_lib.lab import children

children.stop(replicas.members[2].process)  # SIGTERM, as docker stop or a crash would end it
answers = [client.get("/health") for _ in range(6)]
sorted({(answer.status_code, answer.headers["x-instance"]) for answer in answers})

# %% [markdown]
# Every request answered, by the two replicas left. What nginx does, precisely: a request whose connection to
# replica-3 fails is passed to the next server (`proxy_next_upstream error timeout`, the default — for a POST only
# when nothing was sent yet, since sending it twice could create two tasks); after `max_fails=1` failure within
# `fail_timeout=10s` (the defaults) nginx leaves replica-3 out for 10 s, then tries it again with one live request,
# which fails over again while it is still down. So the client sees no error — each retry costs one refused
# connection, well under a millisecond on loopback; a replica that hangs instead costs a timeout
# (`proxy_read_timeout`, 60 s by default) before the next one is tried. The course's proxy (`RoundRobinProxy`)
# follows the same rules. A replica that answers 500 is *not* skipped: to nginx that is an answer, not a failure.

# %% [markdown]
# ## At home: docker-compose
# `deploy/docker-compose.yml` is the same architecture for a machine with Docker: nginx in front, three API replicas
# (`deploy.replicas`), PostgreSQL, Redis, an RQ worker for background jobs (chapters 17 and 22), and a one-shot
# `migrate` service. `deploy/Dockerfile` builds the API image: only the API's packages, a non-root user, one process per
# container. The course's tests validate the file with `docker-compose config -q`, run its migrate command, and lint the
# Dockerfile with hadolint.
#
# **Where the schema is migrated.** Once per deploy, in its own short-lived step that runs the Alembic migrations to
# head (chapter 13 writes them) and exits; the replicas start only after it succeeded
# (`condition: service_completed_successfully`). Not in each replica's start-up: a migration that fails would then
# crash every replica in a loop instead of stopping one step with its error; a long data migration would hold every
# replica's health check; and three replicas would run it at once, leaving it to a lock to make two of them wait.
# (Chapter 13's app also upgrades at start, under a lock, so that a single process started alone is never behind; in
# a deploy that step finds the database at head and does nothing.) During a rolling deploy the old replicas keep
# running on the new schema, so a migration must keep the previous release working: add a column before the code
# that needs it, drop one a release after the code stopped using it.

# %%
from pathlib import Path

import course_lib

DEPLOY = Path(course_lib.__file__).resolve().parents[1] / "deploy"
compose = (DEPLOY / "docker-compose.yml").read_text()
print(compose[:compose.index("  db:")])

# %% [markdown]
# ## Try it
# - Stop a second replica (`children.stop(replicas.members[1].process)`) and send requests: who answers now? Stop
#   the last one: what does the balancer answer (502), and why is that not a 500?
# - Change the measurement to `users=1`: with one client at a time, more replicas cannot help at all. Why?
# - In the compose file, why does only nginx publish a port, and only on 127.0.0.1? What could a client do if a
#   replica's port were published too, given `FORWARDED_ALLOW_IPS`?

# %% [markdown]
# ## Exercises

# %%
from course_lib.checks.ch11 import STATE_ITEMS, q1, q2, q3

# %% [markdown]
# **Exercise 1.** Write `upstream_block(servers, keepalive)`: the nginx block `upstream api { ... }` for `servers`
# (a dict "host:port" → weight), with `weight=N` on every server whose weight is not 1 (nginx sends it N times as
# many requests), and `keepalive N;` to keep that many idle connections to the upstreams open.

# %%
### BEGIN SOLUTION
def upstream_block(servers: dict[str, int], keepalive: int) -> str:
    lines = ["upstream api {"]
    for address, weight in servers.items():
        lines.append(f"    server {address};" if weight == 1 else f"    server {address} weight={weight};")
    lines += [f"    keepalive {keepalive};", "}"]
    return "\n".join(lines)
### STUB
upstream_block = None  # YOUR CODE HERE
### END SOLUTION

# %%
q1.check(upstream_block)

# %% [markdown]
# **Exercise 2.** Behind a load balancer over three replicas, which of these **breaks**? Answer `True` (breaks) or
# `False` (works) for every item of `STATE_ITEMS`.

# %%
STATE_ITEMS

# %%
### BEGIN SOLUTION
breaks = {
    "a visit counter in a module-level variable": True,
    "logged-in sessions in a Python dict": True,
    "logged-in sessions in Redis (chapter 09)": False,
    "tasks in PostgreSQL": False,
    "Idempotency-Key records in the process's memory": True,
    "settings read from environment variables at start": False,
    "rate-limit counters in the process's memory": True,
    "uploaded files saved to the replica's local disk": True,
    "a signed token (JWT) checked with the SECRET_KEY all replicas share": False,
    "an in-process cache of GET /tasks responses, 60 s TTL": True,
}
### STUB
breaks = {item: None for item in STATE_ITEMS}  # YOUR CODE HERE: True or False for each
### END SOLUTION

# %%
q2.check(breaks)

# %% [markdown]
# **Exercise 3.** Write `count_visit(redis, page)`: count one visit to `page` in Redis and return the new count, so
# that every replica shares one counter per page. The check runs it in two replica **processes** at once (forked from
# this kernel), 4 threads each, on one Redis: reading the count and writing it back is two steps another replica can
# slip between, and a lock in one process does not stop the other.

# %%
### BEGIN SOLUTION
def count_visit(redis, page: str) -> int:
    return redis.incr(f"visits:{page}")
### STUB
count_visit = None  # YOUR CODE HERE
### END SOLUTION

# %%
q3.check(count_visit)

# %% [markdown]
# ## Clean up
# The chapter stops what it started — balancer, replicas, the fakeredis server — and drops the replicas' database.
# (Had the kernel died instead, the operating system would have stopped the processes; running the chapter again
# also stops the previous run's first.)

# %%
client.close()
balancer.stop()
replicas.stop()
backends.stop()
api.stop()
assert children.live() == [], children.live()
"no processes left"

# %% [markdown]
# ## Recap
# - **Vertical** scaling buys a bigger machine; **horizontal** scaling runs copies behind a load balancer and needs
#   a **stateless** app. In Python even one machine's cores are used by several processes.
# - nginx's `upstream` block lists the replicas; round-robin is the default, `weight=` skews it, `keepalive` reuses
#   connections. A header naming the replica (`X-Instance`) makes the balancing visible.
# - State in one process's memory (counters, sessions in a dict, in-process caches, local files) breaks across
#   replicas without an error. State in a shared service (database, Redis with atomic commands) works.
# - Behind a proxy, `X-Forwarded-For`/`-Proto`/`Host` carry what the app would have seen: the first proxy writes them
#   from what it saw (`$remote_addr`), and the app believes them from that proxy's address only.
# - Measure before believing: on this machine 1, 2 and 3 replicas served every request; how much faster more
#   replicas (or more cores) are depends on idle cores the load generator does not already use. A closed loop's
#   latency is users ÷ throughput: measure latency with an open loop.
# - A shared cache (`proxy_cache`) answers what `Cache-Control` allows and never a request with credentials; a
#   balancer passes a failed connection to the next replica and leaves the dead one out for `fail_timeout`.
# - `deploy/docker-compose.yml` is the same shape for home: nginx, replicas, PostgreSQL, Redis, a worker, and a
#   one-shot migration before the replicas start.
#
# ## Going further
# - [nginx: HTTP load balancing](https://nginx.org/en/docs/http/load_balancing.html) and the
#   [upstream module](https://nginx.org/en/docs/http/ngx_http_upstream_module.html) (`least_conn`, `ip_hash`,
#   health checks).
# - [The Twelve-Factor App, VI. Processes](https://12factor.net/processes): "stateless and share-nothing".
# - [locust documentation](https://docs.locust.io/): load shapes, distributed load generation.
# - [uvicorn: deployment](https://www.uvicorn.org/deployment/) (`--workers`, behind a proxy, `--proxy-headers`) and
#   [nginx: proxy_cache](https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_cache),
#   [proxy_next_upstream](https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_next_upstream).
# - [RFC 7239: Forwarded](https://www.rfc-editor.org/rfc/rfc7239) and
#   [RFC 9111 §3.5: storing responses to authenticated requests](https://www.rfc-editor.org/rfc/rfc9111#section-3.5).
# - Chapter 12 measures what one request costs; chapter 16 puts a Redis cache behind the API; chapter 22 runs
#   worker processes and kills them mid-job.
#
# ## Where this lives in course_lib
# `course_lib/taskapi/ch11_scaling.py` (X-Instance, the two counters), `course_lib/lab/replicas.py` (replica processes,
# shared database and Redis), `course_lib/lab/nginx.py` (the config, `nginx -t`), `course_lib/lab/balancer.py` (nginx or
# the course's proxy, round-robin, failed replicas left out), `course_lib/lab/load.py` and
# `course_lib/lab/locustfile.py` (locust), `course_lib/lab/children.py` (processes tied to the kernel), `deploy/`
# (compose, Dockerfile, nginx.conf), `course_lib/checks/ch11.py` (the checks).
