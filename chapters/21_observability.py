# %% [markdown]
# # Chapter 21 — Observability
# *A server you cannot see into is a server you debug by guessing. Logs say what happened, metrics how often and how
# fast, traces where the time went.*
#
# **Learning goals**
# - give every request an **id** — the client's `X-Request-ID` when it is safe, a new one when not — echo it, and
#   stamp it on **every log line** of the request, even lines written in a worker thread;
# - write **JSON logs** that hold only what is safe to keep: method, route template, status, duration, request id,
#   user id;
# - expose **Prometheus metrics** at `/metrics` (admins only): a request counter and a latency histogram labelled by
#   route **template**, never by raw path; read an **error rate** and a **p95** from them, and plot both;
# - follow one request through **OpenTelemetry** spans — FastAPI, the database, the cache — and find a slow request,
#   and the step that made it slow, from its trace;
# - measure what all this costs, and choose what a production service keeps: **sampling**, **batch export**.
#
# **Why it matters.** So far the course has looked at its API from the client's side: a request, a status, a body.
# In production nobody sends you the request that failed. A user says "it was slow yesterday around noon", an alert
# says "5% of requests fail": you need records that were written *before* you knew you would need them, cheap enough
# to write for every request, joined by an id, and free of the passwords and tokens that pass through.

# %%
from course_lib import serve, show, show_source, start_chapter, table

start_chapter(21, "Observability")

# %% [markdown]
# ## Three records of one request
# Chapter 21's app is chapter 20's with four middleware in front, a route, and a tracer:
#
# ```mermaid
# flowchart LR
#     C["client"] -->|"X-Request-ID (optional)"| I["RequestIdMiddleware"]
#     I --> M["MetricsMiddleware"] --> L["AccessLogMiddleware"] --> U["UntracedMiddleware"]
#     U --> R["chapter 20's middleware and the routes of chapters 01 to 17"]
#     R --> D[("database")]
#     R --> K[("Redis cache")]
#     L -.->|"one JSON line"| LOG["request log"]
#     M -.->|"counter and histogram"| P["GET /metrics"]
#     R -.->|"spans"| T["traces"]
#     D -.->|"a span per statement"| T
#     K -.->|"a span per command"| T
# ```
#
# The request id is **outermost** (added last): every other layer, and every line they log, runs inside it. The fourth
# one matters only when requests are sampled (*What it costs*, below).

# %%
from course_lib.taskapi import ch21_observability

show_source(ch21_observability.extend)

# %%
from course_lib.services.settings import get_settings

app = ch21_observability.create_app()
api = serve(app)
PASSWORD = "violet harbor lantern 42"


def sign_up(name: str) -> tuple[dict, int]:
    """A new user's API key header and id."""
    user = api.post("/users", json={"name": name, "email": f"{name.lower()}@example.org", "password": PASSWORD})
    return {"X-API-Key": user.json()["api_key"]}, user.json()["id"]


ada, ada_id = sign_up("Ada")
bob, bob_id = sign_up("Bob")
url = api.post("/tasks", json={"title": "buy milk"}, headers=ada).headers["location"]
f"traced: {get_settings().trace_sample_rate:.0%} of requests"

# %% [markdown]
# ## A request id
# A request id names one request in every record it leaves: the response, each log line, its trace, the jobs it
# enqueues. A client may send its own — a support ticket number, or the id its own gateway gave the request — so
# client and server name it alike; the server echoes it in `X-Request-ID`:

# %%
answer = api.get(url, headers={**ada, "X-Request-ID": "ticket-4711"})
show(answer, headers=["x-request-id"], request_headers=["x-request-id"], body=False)

# %% [markdown]
# A client chooses those bytes, and they go into your logs. So an id is kept only when it is **well-formed**: 1 to 64
# characters, each a letter, a digit or one of `. _ : -`, ASCII only. Anything else gets a new random id. A newline
# would let a client write a second, forged line into a plain-text log; a quote breaks a naive key=value parser; a
# megabyte of id fills the disk; `é` passes `str.isalnum()` and `\w` but not every log pipeline. (JSON escaping
# alone would stop the newline — but not the rest, and not the header the id is echoed in.)

# %%
from course_lib.web.request_ids import request_id_for, well_formed

show_source(request_id_for)
sent = ["ticket-4711", "a" * 65, 'x" level="error', "café", None]
table([{"sent": repr(s if s is None or len(s) < 20 else s[:12] + "…"), "kept": request_id_for(s) == s,
        "answered id is well-formed": well_formed(request_id_for(s))} for s in sent])

# %% [markdown]
# (`httpx` itself refuses to *send* a header with a newline, which is why the newline is not in the list above: a
# raw socket could send it, and the middleware would replace it the same way.)
#
# The middleware keeps the id in a **context variable** for the life of the request. FastAPI runs a plain `def`
# dependency or route in a worker thread with a *copy* of the context, so the id is there too. Copies go one way: a
# value *set* inside the thread does not come back to the middleware. That is why who-is-calling is noted on the
# request's `RequestInfo` object (one line in the login dependency), not by setting another variable:

# %%
from course_lib.web import request_ids

show_source(request_ids.RequestIdMiddleware)

# %% [markdown]
# ## JSON logs
# One line per request, as JSON: a log store indexes the fields without a regular expression, and `json.dumps`
# escapes every newline, so one record is always one line. What goes in is chosen field by field: the method, the
# route **template**, the status, the duration, the request id and the user id. Nothing from a header, the query
# string or the body — they carry tokens, cookies and passwords. (Chapter 20 writes the redaction that any logged
# header must go through; here the one place a header could enter the log, `loggable_headers`, lets none in.)

# %%
from course_lib.web.json_logs import AccessLogMiddleware

show_source(AccessLogMiddleware._write)


# %%
def printable(line: dict) -> dict:
    """A log line without what changes on every run (when, how long, the random trace id)."""
    return {key: ("…" if key in ("time", "duration_ms", "trace_id") else value) for key, value in line.items()}


log = app.context.request_log
[printable(line) for line in log.for_request("ticket-4711")]

# %% [markdown]
# `user_id` is there because the request logged in; `trace_id` leads to its trace (below). "Every line of the
# request" means lines from any code the request runs, not only the access line. Log each SQL statement's verb and
# table (never its parameters: they are user data) from a logger under the app's — it runs in the worker thread that
# runs the route, and still gets the request's id:

# %%
import re

from sqlalchemy import event

engine = app.context.storage.database.engine
sql_log = log.logger.getChild("sql")


def log_statement(conn, cursor, statement, parameters, context, executemany) -> None:
    table_name = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", statement)
    sql_log.info("sql", extra={"fields": {"verb": statement.split()[0],
                                          "table": table_name and table_name.group(1)}})


event.listen(engine, "before_cursor_execute", log_statement)
api.patch(url, json={"title": "buy oat milk"}, headers={**ada, "If-Match": "*", "X-Request-ID": "patch-1"})
event.remove(engine, "before_cursor_execute", log_statement)
table(log.for_request("patch-1"), columns=["logger", "message", "request_id", "user_id", "verb", "table", "status"])

# %% [markdown]
# Every line carries `patch-1`. The first line has no `user_id` yet — it is the lookup that finds who is calling —
# and the lines after it do. With a thousand requests a second interleaved in one log, that id is what puts
# one request's lines back together.
#
# **Passed on to jobs.** A job that a request enqueues runs later, in a worker, outside the request: its lines would
# lose the id. So the request hands it over — `current_request_id()` read while the request runs, stored in the job's
# meta (`queue.enqueue(f, ..., meta={"request_id": current_request_id()})`), and set again in the worker around the
# job's work (`with request_context(job.meta.get("request_id")): ...`). Then "what did request `ticket-4711` do"
# includes what its job did an hour later.

# %%
from course_lib.web.request_ids import current_request_id

show_source(current_request_id)
current_request_id()  # None: this cell is not serving a request

# %% [markdown]
# ## Metrics at `/metrics`
# Logs answer "what happened to *this* request". Metrics answer "how many, how fast, how often wrong" for all of
# them, cheaply: a counter is one number per series however many requests pass. Prometheus scrapes `GET /metrics`
# every 15 to 60 seconds (its `scrape_interval`) and stores the series. This app exposes two, from `prometheus_client` — in a **registry of the
# app's own**, since many apps live in this kernel (the library's global registry would mix them):
#
# - `http_requests_total{method, route, status}` — a counter; the **error rate** is the share of 5xx answers;
# - `http_request_duration_seconds{method, route}` — a **histogram**: how many answers took at most 1 ms, 2.5 ms,
#   5 ms … 5 s (cumulative buckets, `le` = "less or equal").
#
# **Who may read it?** Metrics tell an attacker which routes exist, how busy the service is and where it is slow.
# Two common answers: a separate port that the proxy never exposes, or the API's own authorization. This API uses
# the second — admins only, the role check of chapter 15 — because it runs as one process on one port here, behind
# one nginx in chapter 11, and Prometheus can send an admin's credentials with each scrape (`authorization` in its
# scrape config). A second port would need a second server per replica and a proxy rule to hide it.

# %%
with app.context.storage.unit_of_work() as uow:  # the operator's one-off, on the server (chapter 15)
    uow.users.set_role(ada_id, "admin")
    uow.commit()
{"nobody": api.get("/metrics").status_code, "Bob (member)": api.get("/metrics", headers=bob).status_code,
 "Ada (admin)": api.get("/metrics", headers=ada).status_code}

# %% [markdown]
# **Label by template, never by raw path.** Each distinct set of labels is a new series, kept in the process for its
# life and by Prometheus for its retention (15 days by default). Labelled by
# raw path, `/tasks/1`, `/tasks/2` … would each be a series, and a client could create millions with a loop. The
# route's template — `request.scope["route"].path` once the router chose it — keeps one series per route, and a path
# no route matches is `(unmatched)`. A method the API does not know is `_OTHER`: no label value is the client's choice.

# %%
from course_lib.web.metrics import route_template

show_source(route_template)
for n in range(10):
    api.get(f"/tasks/{1000 + n}", headers=ada)  # 10 ids nobody has: 404 each
    api.get(f"/no/such/path/{n}", headers=ada)
exposition = api.get("/metrics", headers=ada).text
[line for line in exposition.splitlines() if line.startswith("http_requests_total") and "status=\"404\"" in line]

# %% [markdown]
# Twenty requests on twenty different paths, two series.
#
# ## A slow route, an outage, and the plots
# Make one thing slow on purpose: every database read sorted by title takes 100 ms more (a statement hook sleeps, as
# a missing index would on a big table). The task list is cached since chapter 16, so only a read after a write — a
# cache miss — pays it. Then send traffic in ten rounds; in rounds 6 and 7 Redis is unreachable, so writes are
# refused with 503 (chapter 16) while reads carry on from the database:

# %% tags=["nbval-ignore-output"]
import time

import redis
from tqdm import tqdm

from course_lib.services.cache_aside import FAIL_FAST

SLOW_SECONDS = 0.1


def slow_title_sort(conn, cursor, statement, *rest) -> None:
    if "ORDER BY tasks.title" in statement:
        time.sleep(SLOW_SECONDS)


for n in range(5):
    api.post("/tasks", json={"title": f"errand {n}"}, headers=ada)
metrics, cache = app.context.metrics, app.context.cache
event.listen(engine, "before_cursor_execute", slow_title_sort)
rounds, before = [], metrics.counts()
for r in tqdm(range(1, 11), desc="rounds"):  # a progress bar: this takes a few seconds
    working = cache.redis
    if r in (6, 7):
        cache.redis = redis.Redis(host="127.0.0.1", port=1, **FAIL_FAST)  # nothing listens on port 1
    for _ in range(8):
        api.get(url, headers=ada)
    for n in range(2):
        api.patch(url, json={"title": f"round {r}.{n}"}, headers={**ada, "If-Match": "*"})
    api.get("/tasks?sort=title", headers=ada)
    cache.redis = working
    now = metrics.counts()
    delta = {key: now[key] - before.get(key, 0) for key in now}
    errors = sum(n for (_, _, status), n in delta.items() if status >= 500)
    rounds.append({"round": r, "answers": int(sum(delta.values())), "5xx": int(errors),
                   "error rate": errors / sum(delta.values())})
    before = now
event.remove(engine, "before_cursor_execute", slow_title_sort)

# %%
table([{**row, "error rate": f"{row['error rate']:.1%}"} for row in rounds])

# %% [markdown]
# Each round sent 11 requests; in rounds 6 and 7 the two PATCHes answered 503: an error rate of 2 in 11, 18.2%.
# The counter only ever grows, so a rate is always a *difference* between two scrapes — which is what PromQL's
# `rate(http_requests_total{status=~"5.."}[5m]) / rate(http_requests_total[5m])` computes.
#
# Now the latency histogram, read from the same registry `/metrics` exposes. A histogram keeps counts per bucket, not
# the durations, so a quantile read from it is a bucket bound: "95% of answers took at most this long":

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt

ROUTES = ["/tasks/{task_id}", "/tasks"]
figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
for offset, route in enumerate(ROUTES):
    cumulative = metrics.buckets(route)
    counts = [count - (cumulative[i - 1][1] if i else 0) for i, (_, count) in enumerate(cumulative)]
    labels = [f"≤{bound * 1000:g}" if bound != float("inf") else "more" for bound, _ in cumulative]
    left.bar([x + offset * 0.4 for x in range(len(labels))], counts, 0.4, label=f"GET {route}")
left.set_xticks(range(len(labels)), labels, rotation=45)
left.set_xlabel("answered within (ms)")
left.set_ylabel("answers")
left.set_title("latency histogram (GET), by route template")
left.legend()
right.bar([row["round"] for row in rounds], [row["error rate"] * 100 for row in rounds], color="tab:red")
right.set_xlabel("round")
right.set_ylabel("5xx answers (%)")
right.set_title("error rate per round")
plt.tight_layout()
plt.show()
p95 = {route: metrics.quantile(route, 0.95) for route in ROUTES}
table([{"route": f"GET {route}", "answers": int(metrics.buckets(route)[-1][1]), "p95 at most (ms)": f"{p95[route] * 1000:g}"}
       for route in ROUTES])
median = metrics.quantile("/tasks/{task_id}", 0.5)
assert p95["/tasks"] >= SLOW_SECONDS > median, (p95, median)

# %% [markdown]
# The list route's p95 is at or above 100 ms — every list read after a write was a slow miss — while the single-task
# reads stay below it: the cell asserts that their median does, and the table prints their p95 (the counts include
# the requests of the sections above, which the same histogram recorded). The error rate is zero in every round
# but 6 and 7. What neither plot says is *why* the list is slow. For that, a trace.
#
# ## Traces: where the time went
# A **trace** is the tree of one request's **spans**: a span is a named step with a start and an end; its parent is
# the step that called it. FastAPI (0.165 and later) opens the server span `GET /tasks/{task_id}` and spans for
# dependencies, the endpoint and serialization by itself, once it has a tracer provider; the SQLAlchemy and Redis
# instrumentations of OpenTelemetry add a span per SQL statement and per Redis command. Here the spans go to memory
# (`RecentSpans`, the last 5,000), where a service would export them over OTLP to a collector (Jaeger, Tempo):

# %%
from course_lib.web import tracing

show_source(tracing.Tracing.__init__)

# %% [markdown]
# One request's trace, each span under its parent (names depend a little on the database and Redis in use, so this
# cell's output is not compared):

# %% tags=["nbval-ignore-output"]
def tree(spans) -> list[str]:
    """The spans of one trace, indented under their parents, with their durations."""
    children = {}
    for span in spans:
        children.setdefault(span.parent.span_id if span.parent else None, []).append(span)
    ids = {span.context.span_id for span in spans}
    roots = [span for span in spans if span.parent is None or span.parent.span_id not in ids]
    lines = []

    def walk(span, depth: int) -> None:
        system = span.attributes.get("db.system")
        name = {None: span.name, "redis": f"Redis {span.name}"}.get(system, f"SQL {span.attributes.get('db.statement', '')[:40]}")
        lines.append(f"{'    ' * depth}{name}  {(span.end_time - span.start_time) / 1e6:.2f} ms")
        for child in sorted(children.get(span.context.span_id, []), key=lambda s: s.start_time):
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    return lines


app.context.tracing.exporter.clear()
api.get(url, headers={**ada, "X-Request-ID": "one-trace"})
one = app.context.tracing.trace_of("one-trace")
print("\n".join(tree(one)))
assert any(s.name.startswith("GET /tasks/") for s in one) and any(s.attributes.get("db.system") for s in one)

# %% [markdown]
# The server span carries the request id (`request.id`), and each log line the trace id: from an alert to a log line
# to its trace, or back.
#
# **A slow request, found from its trace.** The histogram said the list is slow. Read the list again — once after a
# write (a miss: the slow query, made 300 ms slow this time), then three cache hits — take the slowest trace whose
# server span is `GET /tasks`, and measure each span's **own time** — its duration minus its
# children's. The server span is always the longest (it contains everything); the span with the most time *of its
# own* is where the time went:

# %%
SLOW_SECONDS = 0.3  # slower still: the step must stand out of a busy machine's thread hops


def slow_title_sort(conn, cursor, statement, *rest) -> None:
    if "ORDER BY tasks.title" in statement:
        time.sleep(SLOW_SECONDS)


app.context.tracing.exporter.clear()
event.listen(engine, "before_cursor_execute", slow_title_sort)
api.patch(url, json={"title": "again"}, headers={**ada, "If-Match": "*"})
for n in range(4):  # the first misses the cache (slow), the others hit it
    api.get("/tasks?sort=title", headers={**ada, "X-Request-ID": f"list-{n}"})
event.remove(engine, "before_cursor_execute", slow_title_sort)
app.context.tracing.trace_of("list-3")  # its server span ends just after the answer: wait until it has


def server_span(spans):
    return next(s for s in spans if s.kind.name == "SERVER")


lists = [spans for spans in app.context.tracing.traces().values() if server_span(spans).name == "GET /tasks"]
slowest = max(lists, key=lambda spans: server_span(spans).end_time - server_span(spans).start_time)
own = tracing.own_times(slowest)
step = max(slowest, key=lambda s: own[s.context.span_id])
{"slow request": server_span(slowest).name,
 "its slow step": (f"{step.name.split()[0]} … ORDER BY tasks.title"
                   if "ORDER BY tasks.title" in step.attributes.get("db.statement", "") else step.name),
 "own time ≥ 300 ms": own[step.context.span_id] >= SLOW_SECONDS,
 "its log lines": len(log.for_request(server_span(slowest).attributes["request.id"]))}

# %% [markdown]
# A `SELECT … ORDER BY tasks.title` holds the time. On a real database the next step is its plan (`EXPLAIN`,
# chapter 12) and an index; here the hook is removed.
#
# ## What it costs
# Every layer runs on every request. The course's benchmark (`make bench`, the `observability` group) measures the
# cost as a ratio to chapter 20's app (the one it builds on) on the same request, `GET /tasks/{id}` (a cache hit, a login by API key) in
# process, in CPU time per request: every request traced with each span exported at once (`SimpleSpanProcessor`), and
# as a production service would run it — **10% of requests traced**, spans exported in **batches** from a background
# thread, logs and metrics on. A small version of it, here:

# %% tags=["nbval-ignore-output"]
from course_lib.lab.observability_cost import PLAIN, PRODUCTION, TRACED, compare_in_process

ROUNDS = 5
with tqdm(total=3 + 3 * ROUNDS, desc="apps, then samples") as bar:  # a top-level await: the kernel runs a loop
    cpu = await compare_in_process(requests=20, rounds=ROUNDS, progress=bar.update)
table([{"app": name, "CPU µs per request (least of 5)": f"{us:,.0f}", "× chapter 20": f"{us / cpu[PLAIN]:.2f}"}
       for name, us in cpu.items()])
assert cpu[PRODUCTION] < cpu[TRACED], cpu

# %% [markdown]
# Tracing every request with a simple processor costs the most: every span is built, and each is exported on the
# request's own time. Sampling at the door traces one request in ten; the other nine cost a random number — no span
# is opened for them, and the database and Redis instrumentations are switched off for the request
# (`UntracedMiddleware`) — and the batch processor exports from another thread. A sample this small moves with the
# load on the machine; `make bench` measures the same on 200 requests a sample, where the goal for the production
# settings is at most 1.15× chapter 20's CPU time. Sampling has a price too: the slow request you are looking for is in
# the sample one time in ten. Production services often keep every *slow* or *failed* trace and a sample of the rest
# (tail sampling, in the OpenTelemetry Collector).
#
# ## Try it
# - Send `X-Request-ID: 00000000-0000-0000-0000-000000000000` twice: what is the id good for when clients reuse it?
# - Label the histogram by raw path (`scope["path"]`) in a copy of `MetricsMiddleware` and send 1,000 ids: count the
#   lines of `/metrics`.
# - Set `TRACE_SAMPLE_RATE=0.1`, restart the kernel and repeat the slow-request hunt: how many runs before you catch it?

# %% [markdown]
# ## Exercises

# %%
from course_lib.checks.ch21 import q1, q2, q3

# %% [markdown]
# **Exercise 1.** Write `request_id_for(sent)`: the id a request gets. `sent` is the `X-Request-ID` the client sent
# (None when it sent none). Keep it exactly when it is 1 to 64 characters, each an ASCII letter, a digit or one of
# `. _ : -`; otherwise answer a new random id of at least 16 characters that is itself well-formed, a different one
# on every call.

# %%
### BEGIN SOLUTION
import re
import uuid


def request_id_for(sent: str | None) -> str:
    if sent is not None and re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", sent):
        return sent
    return uuid.uuid4().hex
### STUB
request_id_for = None  # YOUR CODE HERE
### END SOLUTION

# %%
q1.check(request_id_for)

# %% [markdown]
# **Exercise 2.** A latency histogram arrives as cumulative buckets, `[(le, count), ...]` in increasing `le`, the last
# one `(inf, total)`: `count` answers took at most `le` seconds. Write `quantile(buckets, q)`: the smallest `le` whose
# count is at least `q × total` (the p95 for `q = 0.95`, as `metrics.quantile` answered above), or None when no
# request was counted.

# %%
### BEGIN SOLUTION
def quantile(buckets: list[tuple[float, float]], q: float) -> float | None:
    total = buckets[-1][1]
    if total == 0:
        return None
    return next(le for le, count in buckets if count >= q * total)
### STUB
quantile = None  # YOUR CODE HERE
### END SOLUTION

# %%
q2.check(quantile)

# %% [markdown]
# **Exercise 3.** A trace arrives as a list of spans, each a dict `{"name", "span_id", "parent_id", "start", "end"}`
# (times in ms; the server span's `parent_id` is None; the list is in no particular order). Write
# `slowest_step(spans)`: the name of the span with the most time of its own — its duration minus the durations of its
# direct children.

# %%
### BEGIN SOLUTION
def slowest_step(spans: list[dict]) -> str:
    own = {s["span_id"]: s["end"] - s["start"] for s in spans}
    for s in spans:
        if s["parent_id"] is not None:
            own[s["parent_id"]] -= s["end"] - s["start"]
    return max(spans, key=lambda s: own[s["span_id"]])["name"]
### STUB
slowest_step = None  # YOUR CODE HERE
### END SOLUTION

# %%
q3.check(slowest_step)

# %% [markdown]
# ## Recap
# - A **request id** names a request in every record: kept from `X-Request-ID` when well-formed (1–64 of
#   `A–Z a–z 0–9 . _ : -`), else new; echoed; held in a context variable that worker threads see; handed to jobs in
#   their meta.
# - **JSON logs**, one line per request, with only safe fields: method, route template, status, duration, request id,
#   user id. No headers, queries or bodies.
# - **Metrics** in the app's own registry at `/metrics` (admins only): a counter and a latency histogram labelled by
#   route **template**; rates are differences between scrapes; quantiles come from buckets, as bounds.
# - **Traces**: FastAPI's spans, a span per SQL statement and Redis command; the slow step is the span with the most
#   *own* time, not the longest.
# - It costs: trace everything only where you read everything. In production: sample, export in batches, measure.
#
# ## Going further
# - [Prometheus: instrumentation practices](https://prometheus.io/docs/practices/instrumentation/) and
#   [naming](https://prometheus.io/docs/practices/naming/) (units in names, label cardinality), and
#   [histograms and summaries](https://prometheus.io/docs/practices/histograms/).
# - [OpenTelemetry: sampling](https://opentelemetry.io/docs/concepts/sampling/) (head vs tail) and the
#   [HTTP semantic conventions](https://opentelemetry.io/docs/specs/semconv/http/http-spans/).
# - The four golden signals (latency, traffic, errors, saturation): Google's *Site Reliability Engineering*, ch. 6.
# - [W3C Trace Context](https://www.w3.org/TR/trace-context/): the `traceparent` header that carries a trace across
#   services.
#
# ## Where this lives in course_lib
# `course_lib/web/request_ids.py` (the id, its check, the middleware, the context variable),
# `course_lib/web/json_logs.py` (the formatter, the filter, the access log), `course_lib/web/metrics.py` (the registry,
# route templates, the middleware), `course_lib/web/tracing.py` (the provider, sampling, the database and cache spans),
# `course_lib/taskapi/ch21_observability.py` (the chapter), `tools/bench/observability.py` (the cost),
# `course_lib/checks/ch21.py` (the checks).
