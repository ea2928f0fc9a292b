# %% [markdown]
# # Chapter 13 — ORM design
# *Let the database keep the time, the version and the schema's history; let every query say what it loads.*
#
# **Learning goals**
# - set `created_at` and `updated_at` **in the database** (server defaults, an `onupdate` expression), in **UTC** on
#   SQLite (no time zone type) and PostgreSQL (`timestamptz`), and prove `updated_at` moves forward on every update;
# - map **relationships** (`Task.owner`, `User.tasks`) and choose a **loading strategy** by the statements it sends:
#   lazy (N+1), `selectinload` (2), `joinedload` (1);
# - see a **read-modify-write race** lose updates, then fix it with a **version column** (optimistic: `UPDATE …
#   WHERE version = :read`) and with a **lock** (`SELECT … FOR UPDATE` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite);
# - evolve the schema with **Alembic**: autogenerate a draft, adjust it, upgrade, downgrade, and migrate data;
# - give every whitelisted sort the **index** that serves it, and read the query plan that proves it.
#
# **Why it matters.** Since chapter 06 the app has told the database what time it is: each process stamped rows with
# its own clock, and each process's idea of the schema was whatever `create_all` made on its first start. With three
# replicas (chapter 11) that is three clocks and three chances to disagree about the tables. An ORM is not there to
# hide SQL: it is the place where a team writes down, once, what the database is responsible for.
#
# The chapter runs on SQLite by default and on **PostgreSQL** when `DATABASE_URL` is set; the line below says which.

# %%
from course_lib import serve, show, show_source, start_chapter, table

start_chapter(13, "ORM design")

# %% [markdown]
# ## The models: what the database sets
# Chapter 13 maps the same three tables again (`course_lib/taskapi/orm_models.py`): chapter 06's columns
# (`TaskColumns`), with the columns the database is now responsible for declared again, and what is new highlighted:

# %%
from course_lib.taskapi import orm_models

show_source(orm_models.TaskRow, highlight_text=("server_default", "onupdate", "version_id_col", "relationship"))

# %% [markdown]
# - `server_default=utc_now()` puts a `DEFAULT` into the table: an INSERT that leaves the column out gets the
#   database's time. `eager_defaults` makes SQLAlchemy read it back in the same statement (`INSERT … RETURNING`).
# - `onupdate=next_updated_at()` is added to every UPDATE **that SQLAlchemy emits** for the table (an ORM flush, a
#   Core `update(TaskRow)`) and that does not set the column itself. It is not in the table: an UPDATE typed in
#   `psql`, sent by another program or as raw `text()` SQL leaves `updated_at` alone. Only a trigger in the database
#   (`BEFORE UPDATE … FOR EACH ROW`) would stamp every one; the course keeps the rule in the model, where one team
#   writes all the UPDATEs, and says so here.
# - `version_id_col` tells the ORM to check and bump `version` on every UPDATE of a loaded task (more below).
#
# `utc_now()` is one SQL expression that each database spells its own way — SQLite has no timestamp type, so it
# stores UTC as text, in the exact form SQLAlchemy writes (six fraction digits), so that text order is time order:

# %%
from sqlalchemy.dialects import postgresql, sqlite

table([{"database": name, "created_at DEFAULT": str(orm_models.utc_now().compile(dialect=dialect)),
        "updated_at on UPDATE": str(orm_models.next_updated_at().compile(dialect=dialect))}
       for name, dialect in (("SQLite", sqlite.dialect()), ("PostgreSQL", postgresql.dialect()))])

# %% [markdown]
# **Why `GREATEST(now, old + 1 tick)`?** Two reasons the plain clock is not enough. SQLite's clock ticks in
# milliseconds: two updates in one millisecond would get the same time. PostgreSQL's `now()` is the time the
# *transaction began*: a transaction that started first but waited for a row lock would write an **earlier**
# `updated_at` than the one it overwrites. The expression makes each version of a row later than the version it
# replaces (writes to one row take turns, under its lock), which is what a client comparing two versions of one task
# relies on — chapter 10's `Last-Modified`, for one.
#
# It does **not** put different rows in commit order. On PostgreSQL a transaction that began at 10:00:00.1 and
# committed at 10:00:02 stamps its row 10:00:00.1, after another row stamped 10:00:01 was already visible: a client
# syncing "everything changed since the newest `updated_at` I saw" would miss it. No cursor in this course walks
# `updated_at` (chapter 14's walks `(created_at, id)`); a change feed that must not miss a row needs something the
# database hands out in commit order (a log, or a sequence read under a lock), not a clock.
#
# **UTC in and out.** The column type is chapter 06's `UTCTimestamp`: it refuses a naive datetime going in, and hands
# back an aware UTC datetime whatever the database stored — naive UTC text on SQLite, `timestamptz` on PostgreSQL
# (an instant: the session's `TimeZone` changes only how it is *printed*).

# %% [markdown]
# ## The API, stamped by the database
# The chapter's app changes one seam: storage. It is chapter 06's `SqlStorage` and repositories given another
# `SqlSchema`: these models, the migrations as what builds the tables when the app starts (next section), and a tasks
# repository that leaves the timestamps and the version to the database:

# %%
from course_lib.taskapi import ch13_orm, orm_storage

show_source(ch13_orm.swap_seams)

# %%
show_source(orm_storage, highlight_text=("def stamps", "version=TaskRow.version + 1", "migrations.upgrade"))

# %%
app = ch13_orm.create_app()
api = serve(app)
PASSWORD = "violet harbor lantern 42"
ada = {"X-API-Key": api.post("/users", json={"name": "Ada", "email": "ada@example.org",
                                            "password": PASSWORD}).json()["api_key"], "If-Match": "*"}
created = api.post("/tasks", json={"title": "buy milk"}, headers=ada)
show(created, headers=["location", "etag"])

# %% [markdown]
# Every change moves `updated_at` forward, and never `created_at` — even a PUT that writes the same values, even
# several within one millisecond:

# %%
from datetime import datetime

url = created.headers["location"]
steps = [("created", created)]
for label, method, path, body in (("PUT", "PUT", url, {"title": "buy milk", "done": False}),
                                  ("PATCH", "PATCH", url, {"title": "buy oat milk"}),
                                  ("PUT, same values", "PUT", url, {"title": "buy oat milk", "done": False}),
                                  ("complete", "POST", f"{url}/complete", None)):
    steps.append((label, api.request(method, path, json=body, headers=ada)))
stamps = [datetime.fromisoformat(answer.json()["updated_at"]) for _, answer in steps]
assert all(earlier < later for earlier, later in zip(stamps, stamps[1:]))
assert {answer.json()["created_at"] for _, answer in steps} == {created.json()["created_at"]}
table([{"step": label, "status": answer.status_code, "updated_at": answer.json()["updated_at"],
        "ETag": answer.headers["etag"]} for label, answer in steps])

# %% [markdown]
# What the database actually holds (its raw column, then what the ORM hands back); on SQLite the raw value is text
# without a zone, on PostgreSQL a `timestamptz` printed in the session's zone — the same instant:

# %% tags=["nbval-ignore-output"]
from sqlalchemy import select, text

engine = app.context.storage.database.engine
with engine.connect() as connection:
    raw = connection.execute(text("SELECT created_at FROM tasks WHERE id = 1")).scalar()
    mapped = connection.execute(select(orm_models.TaskRow.created_at).where(orm_models.TaskRow.id == 1)).scalar()
assert mapped.utcoffset().total_seconds() == 0
{"database": engine.dialect.name, "raw": raw, "through UTCTimestamp": mapped}

# %% [markdown]
# ## Schema migrations with Alembic
# `create_all` creates missing tables; it never changes an existing one. A real schema has a **history**: each
# change a *revision* with an `upgrade()` and a `downgrade()`, and the database records which revision it stands at
# (table `alembic_version`). The task API's history (`course_lib/taskapi/migrations/versions`):

# %%
from course_lib.services import migrations

table([{"revision": revision, "what": migrations.script(revision).__doc__.splitlines()[0]}
       for revision in migrations.revisions()])

# %% [markdown]
# ```mermaid
# flowchart LR
#     empty((empty)) -- "0001 upgrade" --> r1["0001: the tables of chapters 06–12"]
#     r1 -- "0002 upgrade" --> r2["0002: server clock + sort indexes"]
#     r2 -- "0003 upgrade" --> r3["0003: email keys case-folded (data)"]
#     r3 -. downgrade .-> r2 -. downgrade .-> r1 -. downgrade .-> empty
# ```
#
# **Autogenerate** compares the models with a database and drafts a revision. Here is the draft it writes for a
# database at 0001 against chapter 13's models (SQLite spells the types `DATETIME`, PostgreSQL `TIMESTAMP`):

# %% tags=["nbval-ignore-output"]
from course_lib.services.db import isolated_database
from course_lib.services.settings import get_settings

scratch = isolated_database(get_settings())
migrations.upgrade(scratch.engine, "0001")
draft = migrations.autogenerate(scratch.engine, orm_models.Base.metadata)
assert "ix_tasks_title_id" in draft and "server_default" in draft
print(draft)

# %% [markdown]
# The draft says *please adjust!*, and it needs adjusting: it wrote `CURRENT_TIMESTAMP`, which on SQLite has whole
# seconds and another text form than the column's. The revision we keep spells the default per database, in the
# migration itself — a migration must not import the app's models, which will have changed by the time someone
# runs an old revision. On SQLite, `ALTER COLUMN` does not exist: `batch_alter_table` copies the table into a new
# one with the change (Alembic's "move and copy"); on PostgreSQL the same code is a plain `ALTER TABLE`:

# %%
show_source(migrations.script("0002").upgrade)

# %% [markdown]
# Upgrade, downgrade, upgrade — and autogenerate then finds nothing left to do:

# %%
engine = scratch.engine
steps = []
for action, target in (("upgrade", "head"), ("downgrade", "base"), ("upgrade", "head")):
    getattr(migrations, action)(engine, target)
    steps.append({"step": f"{action} {target}", "now at": migrations.current(engine),
                  "differences from the models": len(migrations.differences(engine, orm_models.Base.metadata))})
table(steps)

# %% [markdown]
# The app does the same when it starts (`OrmStorage.start`). A database chapters 06–12 created — tables, but no
# `alembic_version` — is **adopted**: stamped at 0001, then upgraded. Two replicas starting at once take turns: the
# runner holds SQLite's write lock or a PostgreSQL advisory lock while it migrates.

# %% [markdown]
# ### A data migration
# Revision 0003 changes no table; it rewrites data. An older app stored `email.lower()` as the uniqueness key;
# `casefold()` folds more (`ß` → `ss`), so two accounts could exist for one address. The new keys are computed in
# Python (SQL's `lower()` is not `casefold()`), in batches, and two accounts that would collide stop the migration
# with their ids instead of failing halfway:

# %%
show_source(migrations.script("0003").rewrite_keys)

# %%
migrations.downgrade(engine, "0002")
with engine.begin() as connection:
    connection.execute(text("INSERT INTO users (name, email, email_key, role, password_hash) VALUES "
                            "('Gauß', 'Gauß@Example.org', 'gauß@example.org', 'member', '')"))
migrations.upgrade(engine)
with engine.connect() as connection:
    keys = connection.execute(text("SELECT email, email_key FROM users")).all()
[tuple(row) for row in keys]

# %% [markdown]
# ## Relationships and loading strategies
# `Task.owner` (many-to-one) and `User.tasks` (one-to-many) are two sides of one foreign key. *When* the tasks of a
# user are fetched is the loading strategy. A statement counter on the engine shows what each one costs for 5 users
# with 3 tasks each:

# %%
from sqlalchemy import delete
from sqlalchemy.orm import Session, joinedload, lazyload, selectinload

from course_lib.services.query_counter import counting_statements

with Session(engine) as session:
    session.execute(delete(orm_models.UserRow))  # only the 5 users below
    session.add_all([orm_models.UserRow(name=f"user {n}", email=f"u{n}@example.org", email_key=f"u{n}@example.org",
                                        tasks=[orm_models.TaskRow(title=f"task {n}.{k}") for k in range(3)])
                     for n in range(5)])
    session.commit()


def statements_for(option) -> int:
    """Load every user, then touch each user's tasks; how many statements reached the database."""
    with Session(engine) as session, counting_statements(engine) as seen:
        users = session.scalars(select(orm_models.UserRow).options(option)).unique().all()
        assert sum(len(user.tasks) for user in users) == 15
    return seen.count


strategies = {"lazyload (load on first touch)": lazyload, "selectinload": selectinload, "joinedload": joinedload}
counts = {name: statements_for(option(orm_models.UserRow.tasks)) for name, option in strategies.items()}
table([{"strategy": name, "statements": count} for name, count in counts.items()])

# %% [markdown]
# Lazy loading sends **1 + N** statements: one for the users, one per user for its tasks — the N+1 pattern chapter 12
# measures. `selectinload` sends 2 whatever N is (the users, then `… WHERE owner_id IN (…)`); `joinedload` sends 1,
# a `LEFT OUTER JOIN` that repeats each user's columns once per task (hence `.unique()`).
#
# **The default we chose: `lazy="raise"`.** Neither eager strategy is right for every query, and the lazy one is
# wrong for a web request: N+1 in a list endpoint, and a query in the middle of rendering a response, after the
# session may be gone. So the models refuse to load anything nobody asked for — touching an unloaded relationship is
# an error at once, in development, instead of a slow page in production. Each query names its strategy:
# `selectinload` for collections (2 statements, no duplicated rows), `joinedload` for a many-to-one like `owner`
# (one row per task anyway).

# %%
with Session(engine) as session:
    user = session.scalars(select(orm_models.UserRow)).first()
    try:
        user.tasks
    except Exception as error:
        refused = f"{type(error).__name__}: {str(error).splitlines()[0]}"
refused

# %% [markdown]
# ## Transactions and isolation: the read-modify-write race
# Chapter 10 guarded writes over HTTP with If-Match. The same race exists one layer down, wherever code reads a row,
# computes, and writes it back. Twelve writers each append their name to a task's description; each reads, waits
# until all have read (a barrier: the unlucky moment, made certain), then writes. Three ways to write:

# %%
from course_lib.lab import races

show_source(races.naive)

# %%
show_source(races.optimistic)

# %%
show_source(races.locked)

# %% [markdown]
# ```mermaid
# sequenceDiagram
#     participant A as writer A
#     participant DB as database
#     participant B as writer B
#     A->>DB: SELECT description, version (v1)
#     B->>DB: SELECT description, version (v1)
#     A->>DB: UPDATE … SET …, version = 2 WHERE id = 1 AND version = 1
#     DB-->>A: 1 row
#     B->>DB: UPDATE … SET …, version = 2 WHERE id = 1 AND version = 1
#     DB-->>B: 0 rows → StaleDataError: read again, retry
# ```

# %%
from course_lib.lab.races import race


def fresh_task() -> int:
    with Session(engine) as session:
        task = orm_models.TaskRow(title="contended", description="")
        session.add(task)
        session.commit()
        return task.id


outcomes = {writer.__name__: race(engine, fresh_task(), writer, writers=12)
            for writer in (races.naive, races.optimistic, races.locked)}
assert outcomes["naive"]["names kept"] < 12
assert outcomes["optimistic"]["names kept"] == outcomes["locked"]["names kept"] == 12
{name: outcome["names kept"] for name, outcome in outcomes.items()}

# %% [markdown]
# The naive writer kept one name of twelve: eleven updates lost, every writer told "success". The other two keep all
# twelve. What each one cost — attempts (a retry per lost race) for the optimistic writer, none for the lock, whose
# price is waiting instead:

# %% tags=["nbval-ignore-output"]
assert outcomes["optimistic"]["attempts"] > 12 == outcomes["locked"]["attempts"]
table([{"writer": name, "names kept": outcome["names kept"], "attempts": outcome["attempts"]}
       for name, outcome in outcomes.items()])

# %% [markdown]
# **Which one, when.** *Optimistic* (a version column) holds no lock while a user thinks: it is what an API needs
# across requests — chapter 10's ETag is this version — and it costs retries when writers collide often. *Pessimistic*
# (`SELECT … FOR UPDATE`) makes the second writer wait inside the database: right for short read-then-write
# transactions with frequent collisions, such as a counter or a balance. Better still, when the new value can be
# computed *in* the UPDATE, there is no read to race with: `OrmTasks.update` writes `SET version = version + 1`, so
# two updates always leave two different versions. That protects the counter only. The other columns of a PATCH come
# from the client's copy, so `version + 1` alone would still let a stale client overwrite a newer description; what
# stops that lost update in the API is chapter 10's `If-Match`, compared with the version read *under the write lock*
# before this UPDATE runs.
#
# **Isolation levels.** PostgreSQL runs each transaction at **READ COMMITTED** by default: every statement sees what
# was committed before it started, so the naive writer's read is stale by the time it writes, and nothing complains.
# At REPEATABLE READ or SERIALIZABLE, PostgreSQL would refuse the second writer (`could not serialize access`) and it
# would have to retry — optimistic concurrency done by the database. **SQLite** has no row locks: one writer at a time
# for the whole file. `BEGIN IMMEDIATE` takes that write lock *before* the read, so the next writer waits (its busy
# timeout) and then reads the new value — that is what `begin_write` does on SQLite, where `FOR UPDATE` does not exist.

# %% [markdown]
# ## Sorting by whitelisted columns, each with its index
# Chapter 06's `?sort=` accepts five keys; anything else is a **422** problem, before any SQL exists:

# %%
show(api.get("/tasks?sort=password_hash"))

# %% [markdown]
# An allowed sort is only cheap if an index delivers the rows in that order; otherwise the database reads every
# matching row and sorts them (`USE TEMP B-TREE FOR ORDER BY` in SQLite's plan, a `Sort` node in PostgreSQL's) before
# it can return the first page. Revision 0002 added an index for each key, always with `id` last (the tiebreaker).
# The plan of each allowed sort, both directions (one index serves both: it is read backwards for `-key`):

# %%
import re

from course_lib.taskapi.sql_queries import task_select
from course_lib.taskapi.records import SORT_KEYS, TaskQuery


def served_by(sort: str) -> dict:
    """Which index the database reads for `?sort=…&limit=20`, and whether it still sorts."""
    statement = task_select(TaskQuery(sort=(sort,), limit=20), orm_models.TaskRow)  # the query, on chapter 13's models
    compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET enable_seqscan = off"))  # a tiny table: make the planner show its choice
            plan = "\n".join(connection.execute(text(f"EXPLAIN {compiled}")).scalars())
        else:
            plan = " ".join(row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    index = re.search(r"ix_tasks_\w+", plan)
    return {"sort": sort, "served by": index.group() if index else "the primary key",
            "sorts rows": "TEMP B-TREE" in plan or "Sort" in plan}


plans = [served_by(f"{direction}{key}") for key in SORT_KEYS for direction in ("", "-")]
assert not any(plan["sorts rows"] for plan in plans)
table(plans)

# %% [markdown]
# A combined sort (`?sort=done,-created_at`) would need an index on exactly those columns in those directions; the
# whitelist is also a promise about which indexes exist. Chapter 12 measures what a missing one costs.

# %% [markdown]
# ## Try it
# - Set `DATABASE_URL=postgresql+psycopg://…`, restart the kernel and Run All: every table above comes out the same.
# - In the race, replace `races.locked` by a version that calls `session.get(..., with_for_update=True)` *without*
#   `begin_write` and run it on SQLite: what happens, and why?
# - Run `alembic -c course_lib/taskapi/migrations/alembic.ini history` in a terminal.

# %%
scratch.drop()

# %% [markdown]
# ## Exercises

# %%
from course_lib.checks.ch13 import q1, q2, q3

# %% [markdown]
# **Exercise 1 — the optimistic UPDATE.** Write `save_if_unchanged(session, task_id, version_read, description)`:
# **one** UPDATE that sets the task's description and `version + 1` only if its version is still `version_read`.
# Return `True` when it changed the row, `False` when it matched none (someone else wrote first, or no such task).
# Don't commit: the caller does. The check also runs 8 writers at once, each retrying on `False`.

# %%
from sqlalchemy import update

from course_lib.taskapi.orm_models import TaskRow, UserRow


### BEGIN SOLUTION
def save_if_unchanged(session: Session, task_id: int, version_read: int, description: str) -> bool:
    result = session.execute(update(TaskRow).where(TaskRow.id == task_id, TaskRow.version == version_read)
                             .values(description=description, version=TaskRow.version + 1))
    return result.rowcount == 1
### STUB
save_if_unchanged = None  # YOUR CODE HERE
### END SOLUTION

# %%
q1.check(save_if_unchanged)

# %% [markdown]
# **Exercise 2 — a loading strategy.** Write `users_with_tasks(session)`: every user, **ordered by name**, with
# `user.tasks` loaded, in at most **two** statements in all (the check counts them, then reads every user's tasks —
# an unloaded relationship raises, since the models say `lazy="raise"`).

# %%
### BEGIN SOLUTION
def users_with_tasks(session: Session) -> list[UserRow]:
    return list(session.scalars(select(UserRow).options(selectinload(UserRow.tasks)).order_by(UserRow.name)))
### STUB
users_with_tasks = None  # YOUR CODE HERE
### END SOLUTION

# %%
q2.check(users_with_tasks)

# %% [markdown]
# **Exercise 3 — a migration and its downgrade.** Write the revision that gives tasks a priority: `upgrade(op)` adds
# a column `priority` (integer, NOT NULL, database default `0`, so existing rows get 0) and an index
# `ix_tasks_priority_id` on `(priority, id)`; `downgrade(op)` removes both, leaving the schema exactly as before.
# The check runs it on a migrated SQLite database (and on PostgreSQL when configured): up, down, up again.

# %%
import sqlalchemy as sa


### BEGIN SOLUTION
class AddPriority:
    @staticmethod
    def upgrade(op) -> None:
        op.add_column("tasks", sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
        op.create_index("ix_tasks_priority_id", "tasks", ["priority", "id"])

    @staticmethod
    def downgrade(op) -> None:
        op.drop_index("ix_tasks_priority_id", table_name="tasks")  # SQLite cannot drop a column an index uses
        op.drop_column("tasks", "priority")
### STUB
AddPriority = None  # YOUR CODE HERE
### END SOLUTION

# %%
q3.check(AddPriority)

# %% [markdown]
# ## Recap
# - The database keeps the time: `server_default` for `created_at`/`updated_at`, an `onupdate` expression that only
#   moves forward, UTC in and out through one column type (text on SQLite, `timestamptz` on PostgreSQL).
# - Relationships are declared once; *loading* is chosen per query. `lazy="raise"` turns a hidden N+1 into an error;
#   `selectinload` (2 statements) for collections, `joinedload` (1) for many-to-one.
# - A read-modify-write loses updates under concurrency. Fix it with a version column (`UPDATE … WHERE version =
#   :read`, 0 rows → retry; the ORM's `version_id_col`), a lock taken before the read (`FOR UPDATE`, SQLite's
#   `BEGIN IMMEDIATE`), or no read at all (`SET version = version + 1` — for the counter; the API's other columns are
#   guarded by If-Match under the lock).
# - The schema has a history: Alembic revisions with upgrade and downgrade, drafted by autogenerate and adjusted by
#   hand, run by the app at start; data migrations compute in batches and stop on conflicts they cannot resolve.
# - A sort whitelist is also an index list: every allowed sort reads an index, none sorts the table.
#
# ## Going further
# - [SQLAlchemy: Configuring a Version Counter](https://docs.sqlalchemy.org/en/20/orm/versioning.html) and
#   [Relationship Loading Techniques](https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html).
# - [Alembic: Running "Batch" Migrations for SQLite](https://alembic.sqlalchemy.org/en/latest/batch.html) and
#   [What does Autogenerate Detect (and what does it not)](https://alembic.sqlalchemy.org/en/latest/autogenerate.html).
# - [PostgreSQL: Transaction Isolation](https://www.postgresql.org/docs/current/transaction-iso.html).
# - Chapter 14 pages by `(created_at, id)` with a cursor: it relies on the index and on `created_at` never changing
#   after the insert.
#
# ## Where this lives in course_lib
# `course_lib/taskapi/orm_models.py` (the models, `utc_now`, `next_updated_at`), `course_lib/taskapi/orm_storage.py`
# (chapter 06's repositories over them, with `OrmTasks` and the migrations as the schema),
# `course_lib/taskapi/ch13_orm.py` (the storage seam), `course_lib/taskapi/migrations/` (Alembic's env.py and
# revisions), `course_lib/services/migrations.py` (upgrade, downgrade, autogenerate from code),
# `course_lib/lab/races.py` and `course_lib/services/query_counter.py` (the race and the statement counter),
# `course_lib/checks/ch13.py` (the checks).
