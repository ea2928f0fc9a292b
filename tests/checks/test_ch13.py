"""Each checker against its stub, its solution and known-wrong answers."""

import sqlalchemy as sa
from sqlalchemy import select, update
from sqlalchemy.orm import Session, immediateload, joinedload, lazyload, selectinload, subqueryload

from course_lib.checks.ch13 import q1, q2, q3
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.taskapi.orm_models import TaskRow, UserRow


def save_if_unchanged(session, task_id, version_read, description):
    result = session.execute(
        update(TaskRow)
        .where(TaskRow.id == task_id, TaskRow.version == version_read)
        .values(description=description, version=TaskRow.version + 1)
    )
    return result.rowcount == 1


def test_q1_solution_stub_and_wrong_answers():
    assert q1.evaluate(None).status == NOT_ATTEMPTED
    assert q1.evaluate(save_if_unchanged).status == CORRECT, q1.evaluate(save_if_unchanged)

    def no_version_check(session, task_id, version_read, description):
        return (
            session.execute(
                update(TaskRow)
                .where(TaskRow.id == task_id)
                .values(description=description, version=TaskRow.version + 1)
            ).rowcount
            == 1
        )

    def no_increment(session, task_id, version_read, description):
        return (
            session.execute(
                update(TaskRow)
                .where(TaskRow.id == task_id, TaskRow.version == version_read)
                .values(description=description)
            ).rowcount
            == 1
        )

    def at_least(session, task_id, version_read, description):
        return (
            session.execute(
                update(TaskRow)
                .where(TaskRow.id == task_id, TaskRow.version <= version_read)
                .values(description=description, version=TaskRow.version + 1)
            ).rowcount
            == 1
        )

    def always_true(session, task_id, version_read, description):
        save_if_unchanged(session, task_id, version_read, description)
        return True

    def every_task(session, task_id, version_read, description):
        return (
            session.execute(
                update(TaskRow)
                .where(TaskRow.version == version_read)
                .values(description=description, version=TaskRow.version + 1)
            ).rowcount
            >= 1
        )

    def raises(session, task_id, version_read, description):
        raise RuntimeError("boom")

    def commits(session, task_id, version_read, description):
        saved = save_if_unchanged(session, task_id, version_read, description)
        session.commit()
        return saved

    def commits_elsewhere(session, task_id, version_read, description):
        with Session(session.get_bind()) as own:
            saved = save_if_unchanged(own, task_id, version_read, description)
            own.commit()
        return saved

    for wrong in (
        no_version_check,
        no_increment,
        at_least,
        always_true,
        every_task,
        raises,
        commits,
        commits_elsewhere,
    ):
        assert q1.evaluate(wrong).status == INCORRECT, wrong.__name__


def by_name(session, option):
    return session.scalars(select(UserRow).options(option).order_by(UserRow.name)).unique().all()


def test_q2_solution_stub_and_wrong_answers():
    assert q2.evaluate(None).status == NOT_ATTEMPTED
    solution = lambda session: by_name(session, selectinload(UserRow.tasks))  # noqa: E731
    assert q2.evaluate(solution).status == CORRECT
    for right in (joinedload(UserRow.tasks), subqueryload(UserRow.tasks)):
        assert q2.evaluate(lambda session, option=right: by_name(session, option)).status == CORRECT
    one_shot = q2.evaluate(
        lambda session: session.scalars(select(UserRow).options(selectinload(UserRow.tasks)).order_by(UserRow.name))
    )
    assert one_shot.status == CORRECT, one_shot  # a ScalarResult, read once by the check (was "got []")
    assert q2.evaluate(lambda session: session.get(UserRow, 1)).status == INCORRECT
    wrong_answers = [
        lambda session: session.scalars(select(UserRow).order_by(UserRow.name)).all(),  # lazy='raise'
        lambda session: by_name(session, lazyload(UserRow.tasks)),  # N+1
        lambda session: by_name(session, immediateload(UserRow.tasks)),  # N+1, eagerly
        lambda session: session.scalars(select(UserRow).options(selectinload(UserRow.tasks))).all(),  # id order
        lambda session: session.scalars(
            select(UserRow).options(selectinload(UserRow.tasks)).order_by(UserRow.name).limit(4)
        ).all(),
        lambda session: session.scalars(
            select(UserRow).options(joinedload(UserRow.tasks)).order_by(UserRow.name)
        ).all(),  # 2.0 needs .unique() for a joined collection
    ]
    for wrong in wrong_answers:
        assert q2.evaluate(wrong).status == INCORRECT


class AddPriority:
    @staticmethod
    def upgrade(op):
        op.add_column("tasks", sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
        op.create_index("ix_tasks_priority_id", "tasks", ["priority", "id"])

    @staticmethod
    def downgrade(op):
        op.drop_index("ix_tasks_priority_id", table_name="tasks")
        op.drop_column("tasks", "priority")


def variant(upgrade=None, downgrade=None):
    return type(
        "Wrong",
        (),
        {
            "upgrade": staticmethod(upgrade or AddPriority.upgrade),
            "downgrade": staticmethod(downgrade or AddPriority.downgrade),
        },
    )


def test_q3_solution_stub_and_wrong_answers():
    assert q3.evaluate(None).status == NOT_ATTEMPTED
    assert q3.evaluate(AddPriority).status == CORRECT, q3.evaluate(AddPriority)

    def nullable(op):
        op.add_column("tasks", sa.Column("priority", sa.Integer(), nullable=True, server_default="0"))
        op.create_index("ix_tasks_priority_id", "tasks", ["priority", "id"])

    def no_default(op):
        op.add_column("tasks", sa.Column("priority", sa.Integer(), nullable=True))
        op.create_index("ix_tasks_priority_id", "tasks", ["priority", "id"])

    def default_one(op):
        op.add_column("tasks", sa.Column("priority", sa.Integer(), nullable=False, server_default="1"))
        op.create_index("ix_tasks_priority_id", "tasks", ["priority", "id"])

    def no_index(op):
        op.add_column("tasks", sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))

    def index_backwards(op):
        op.add_column("tasks", sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
        op.create_index("ix_tasks_priority_id", "tasks", ["id", "priority"])

    def column_only(op):
        op.drop_column("tasks", "priority")  # SQLite: the index still names the column

    def index_only(op):
        op.drop_index("ix_tasks_priority_id", table_name="tasks")

    def drops_the_table(op):
        op.drop_table("tasks")

    wrong = [variant(upgrade=u) for u in (nullable, no_default, default_one, no_index, index_backwards)]
    wrong += [variant(downgrade=d) for d in (column_only, index_only, drops_the_table, lambda op: None)]
    for migration in wrong:
        assert q3.evaluate(migration).status == INCORRECT, migration
    assert q3.evaluate(type("Half", (), {"upgrade": staticmethod(AddPriority.upgrade)})).status == INCORRECT
