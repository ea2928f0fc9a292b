"""Checks for chapter 13 — ORM design: the optimistic UPDATE, a loading strategy, a migration and its downgrade."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from course_lib.notebook.exercises import Exercise, Incorrect, NotAttempted
from course_lib.services import migrations
from course_lib.services.db import isolated_database
from course_lib.services.query_counter import counting_statements
from course_lib.services.settings import Settings, get_settings
from course_lib.taskapi.orm_models import Base, TaskRow, UserRow


@contextmanager
def _migrated(settings: Settings | None = None) -> Iterator[Engine]:
    """A database of its own at the newest revision (the configured one, or as `settings` say); dropped after."""
    database = isolated_database(settings or get_settings())
    try:
        migrations.upgrade(database.engine)
        yield database.engine
    finally:
        database.drop()


def _task(session: Session, task_id: int) -> tuple[str, int]:
    session.expire_all()
    row = session.get_one(TaskRow, task_id)
    return row.description, row.version


# --- q1: the optimistic UPDATE --------------------------------------------------------------------------------------

WRITERS = 8
ATTEMPTS = 100  # a writer retries at most this often (each retry means another writer saved first)


def _test_save_if_unchanged(save_if_unchanged) -> None:
    with _migrated() as engine, Session(engine) as session:
        session.add_all([TaskRow(title="other", description="keep"), TaskRow(title="mine", description="v1")])
        session.commit()
        save_if_unchanged(session, 2, 1, "rolled back")
        session.rollback()  # the caller changes its mind: nothing of the call may be left
        if _task(session, 2) != ("v1", 1):
            raise Incorrect(
                "don't commit: the caller owns the transaction (it may roll back, or add more to it), "
                "and here it rolled back — yet your change stayed.",
                request="save_if_unchanged(session, 2, 1, 'rolled back'), then session.rollback()",
                expected=("v1", 1),
                got=_task(session, 2),
            )
        session.rollback()
        steps = [  # (version read, new description) → (returns, description after, version after)
            (1, "v2", True, "v2", 2),
            (1, "stale", False, "v2", 2),  # someone read version 1 too, and wrote after us: refused
            (3, "future", False, "v2", 2),  # a version that does not exist yet is not the one stored either
            (2, "v3", True, "v3", 3),
        ]
        for version_read, description, returns, after, version in steps:
            stored = _task(session, 2)[1]
            got = save_if_unchanged(session, 2, version_read, description)
            session.commit()
            call = f"save_if_unchanged(session, 2, {version_read}, {description!r}) with version {stored} stored"
            if got is not returns:
                raise Incorrect(
                    "return True when your UPDATE changed the row (rowcount 1), False if it matched none.",
                    request=call,
                    expected=returns,
                    got=got,
                )
            if _task(session, 2) != (after, version):
                why = (
                    "write only when the stored version is the one you read (WHERE version = :read), and set "
                    "version + 1 in the same UPDATE."
                    if returns
                    else "a stale version must change nothing: WHERE id = :id AND version = :read matches no row."
                )
                raise Incorrect(why, request=call, expected=(after, version), got=_task(session, 2))
        saved = save_if_unchanged(session, 1, 1, "kept")
        session.commit()
        if saved is not True or _task(session, 1) != ("kept", 2):
            raise Incorrect(
                "update the task whose id you were given.",
                request="save_if_unchanged(session, 1, 1, 'kept')",
                expected=(True, "kept", 2),
                got=(saved, *_task(session, 1)),
            )
        if _task(session, 2) != ("v3", 3):
            raise Incorrect(
                "change only the task whose id you were given.",
                request="task 2 after a save of task 1",
                expected=("v3", 3),
                got=_task(session, 2),
            )
        if save_if_unchanged(session, 99, 1, "x") is not False:
            session.rollback()
            raise Incorrect(
                "a task that does not exist matches no row: return False.",
                request="save_if_unchanged(session, 99, 1, 'x')",
                expected=False,
                got=True,
            )
        session.rollback()
    _test_concurrent(save_if_unchanged)


def _test_concurrent(save_if_unchanged) -> None:
    with _migrated() as engine:
        with Session(engine) as session:
            session.add(TaskRow(title="contended", description=""))
            session.commit()
        barrier = threading.Barrier(WRITERS, timeout=30)

        def writer(name: str) -> int:
            first = True
            with Session(engine) as session:
                for attempt in range(1, ATTEMPTS + 1):
                    description, version = session.execute(
                        select(TaskRow.description, TaskRow.version).where(TaskRow.id == 1)
                    ).one()
                    session.commit()
                    if first:
                        barrier.wait()  # every writer has read version 1 before anyone writes
                        first = False
                    saved = save_if_unchanged(session, 1, version, f"{description} {name}".strip())
                    session.commit()
                    if saved:
                        return attempt
                return 0  # never saved: the loop gives up rather than spin forever

        names = [f"w{n}" for n in range(WRITERS)]
        with ThreadPoolExecutor(WRITERS) as pool:
            attempts = list(pool.map(writer, names))
        with Session(engine) as session:
            description, version = _task(session, 1)
    if 0 in attempts:
        raise Incorrect(
            f"a writer got False {ATTEMPTS} times in a row, re-reading the task each time: a version "
            "it has just read must let it write.",
            request=f"{WRITERS} concurrent read → save_if_unchanged → retry",
            expected=f"each writer saves within {ATTEMPTS} attempts",
            got=attempts,
        )
    if sorted(description.split()) != sorted(names) or version != WRITERS + 1:
        raise Incorrect(
            f"{WRITERS} writers read version 1 at once, then each saved with your function and retried "
            "on False: every name must be kept, one version per write.",
            request=f"{WRITERS} concurrent read → save_if_unchanged → retry loops",
            expected=(sorted(names), WRITERS + 1),
            got=(sorted(description.split()), version),
        )


q1 = Exercise(
    "ch13.q1",
    "The optimistic UPDATE",
    _test_save_if_unchanged,
    hint="session.execute(update(TaskRow).where(TaskRow.id == task_id, TaskRow.version == version_read)"
    ".values(description=description, version=TaskRow.version + 1)).rowcount == 1",
)


# --- q2: a loading strategy -----------------------------------------------------------------------------------------

PEOPLE = {
    "Grace": ["compile", "debug"],
    "Ada": ["notes"],
    "Linus": [],
    "Barbara": ["abstract", "types", "liskov"],
    "Edsger": ["goto", "semaphores"],
}


def _test_users_with_tasks(users_with_tasks) -> None:
    with _migrated() as engine, Session(engine) as session:
        for name, titles in PEOPLE.items():
            session.add(
                UserRow(
                    name=name,
                    email=f"{name}@example.org",
                    email_key=f"{name.lower()}@example.org",
                    tasks=[TaskRow(title=title) for title in titles],
                )
            )
        session.commit()
        session.expunge_all()  # nothing loaded yet: every row the function needs must be fetched
        with counting_statements(engine) as seen:
            got = users_with_tasks(session)
            if got is None:
                raise NotAttempted
            try:
                users = list(got)  # once: a ScalarResult can be read only once
            except TypeError:
                raise Incorrect(
                    "return the users (a list, or the result of session.scalars(...)).",
                    request="users_with_tasks(session)",
                    expected="a list of UserRow",
                    got=got,
                ) from None
            try:
                loaded = {user.name: [task.title for task in user.tasks] for user in users}
                names = [user.name for user in users]
            except sa.exc.InvalidRequestError as error:
                raise Incorrect(
                    "user.tasks was not loaded by your query (the relationship is lazy='raise'): add "
                    "a loader option, e.g. .options(selectinload(UserRow.tasks)).",
                    request="[user.tasks for user in users_with_tasks(session)]",
                    expected="tasks loaded",
                    got=str(error).split("\n")[0],
                ) from None
    if names != sorted(PEOPLE):
        raise Incorrect(
            "return every user, ordered by name.",
            request="users_with_tasks(session)",
            expected=sorted(PEOPLE),
            got=names,
        )
    if loaded != PEOPLE:
        raise Incorrect(
            "each user's tasks, in id order (the relationship's order).",
            request="user.tasks",
            expected=PEOPLE,
            got=loaded,
        )
    if seen.count > 2:
        raise Incorrect(
            f"{seen.count} statements for {len(PEOPLE)} users: that is the N+1 pattern. Load the "
            "collection with the users (selectinload: 2 statements, joinedload: 1).",
            request="users_with_tasks(session), then user.tasks for each",
            expected="≤ 2 statements",
            got=seen.sql,
        )


q2 = Exercise(
    "ch13.q2",
    "Users and their tasks in at most two statements",
    _test_users_with_tasks,
    hint="session.scalars(select(UserRow).options(selectinload(UserRow.tasks)).order_by(UserRow.name)).all()",
)


# --- q3: a migration and its downgrade ------------------------------------------------------------------------------


def _columns(engine: Engine) -> dict[str, Any]:
    return {column["name"]: column for column in inspect(engine).get_columns("tasks")}


def _indexes(engine: Engine) -> dict[str | None, list[str | None]]:
    return {index["name"]: index["column_names"] for index in inspect(engine).get_indexes("tasks")}


def _run(engine: Engine, step) -> None:
    with engine.begin() as connection:
        step(Operations(MigrationContext.configure(connection)))


def _test_migration_on(engine: Engine, migration, where: str) -> None:
    with Session(engine) as session:
        session.add_all([TaskRow(title="old one"), TaskRow(title="old two")])
        session.commit()
    _run(engine, migration.upgrade)
    columns = _columns(engine)
    if "priority" not in columns:
        raise Incorrect(
            "upgrade() must add the column tasks.priority.",
            request=f"upgrade on {where}",
            expected="priority",
            got=sorted(columns),
        )
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO tasks (title, description, done) VALUES ('new', '', false)"))
        priorities = connection.execute(text("SELECT title, priority FROM tasks ORDER BY id")).all()
    if [tuple(row) for row in priorities] != [("old one", 0), ("old two", 0), ("new", 0)]:
        raise Incorrect(
            "existing rows and new rows that do not say get priority 0 (server_default='0').",
            request=f"SELECT title, priority FROM tasks after upgrade on {where}",
            expected=[("old one", 0), ("old two", 0), ("new", 0)],
            got=[tuple(r) for r in priorities],
        )
    if columns["priority"]["nullable"]:
        raise Incorrect(
            "priority must be NOT NULL (nullable=False): every task has one.",
            request=f"the priority column on {where}",
            expected=False,
            got=True,
        )
    if _indexes(engine).get("ix_tasks_priority_id") != ["priority", "id"]:
        raise Incorrect(
            "create the index ix_tasks_priority_id on (priority, id): it serves ORDER BY priority, id.",
            request=f"indexes of tasks on {where}",
            expected=["priority", "id"],
            got=_indexes(engine).get("ix_tasks_priority_id"),
        )
    _run(engine, migration.downgrade)
    left = migrations.differences(engine, Base.metadata)
    if left:
        raise Incorrect(
            "downgrade() must undo upgrade() exactly (drop the index, then the column).",
            request=f"autogenerate's comparison after downgrade on {where}",
            expected=[],
            got=[str(diff) for diff in left],
        )
    with engine.connect() as connection:
        titles = connection.execute(text("SELECT title FROM tasks ORDER BY id")).scalars().all()
    if titles != ["old one", "old two", "new"]:
        raise Incorrect(
            "a downgrade removes what the upgrade added, not the rows.",
            request=f"SELECT title FROM tasks after downgrade on {where}",
            expected=["old one", "old two", "new"],
            got=titles,
        )
    _run(engine, migration.upgrade)  # down then up again: a migration can be re-applied


def _test_migration(migration) -> None:
    for hook in ("upgrade", "downgrade"):
        if not callable(getattr(migration, hook, None)):
            raise Incorrect(
                f"give the class a static method {hook}(op).",
                request=f"AddPriority.{hook}",
                expected="a function",
                got=getattr(migration, hook, None),
            )
    targets = [("SQLite", Settings(database_url=None))]  # SQLite refuses to drop an indexed column: order matters
    if get_settings().uses_real_database:
        targets.append(("the configured database", get_settings()))
    for where, settings in targets:
        with _migrated(settings) as engine:
            _test_migration_on(engine, migration, where)


q3 = Exercise(
    "ch13.q3",
    "A migration and its downgrade",
    _test_migration,
    hint="upgrade: op.add_column('tasks', sa.Column('priority', sa.Integer(), nullable=False, server_default='0')), "
    "op.create_index('ix_tasks_priority_id', 'tasks', ['priority', 'id']); downgrade: op.drop_index(name, "
    "table_name='tasks'), then op.drop_column('tasks', 'priority').",
)
