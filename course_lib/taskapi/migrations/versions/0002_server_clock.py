"""The database's clock sets created_at and updated_at; an index for every allowed sort.

Autogenerate drafted this revision (ALTER … SET DEFAULT CURRENT_TIMESTAMP); two things were adjusted by hand:
the default is written per database (SQLite's CURRENT_TIMESTAMP has whole seconds and another text form), and the
SQL is spelled out here instead of imported from the models, which will change after this revision is history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = {"sqlite": "strftime('%Y-%m-%d %H:%M:%f000', 'now')", "postgresql": "now()"}
SORT_INDEXES = {
    "ix_tasks_updated_at_id": ["updated_at", "id"],
    "ix_tasks_title_id": ["title", "id"],
    "ix_tasks_done_id": ["done", "id"],
}
STAMPED = {"users": ["created_at"], "api_keys": ["created_at"], "tasks": ["created_at", "updated_at"]}


def now() -> sa.TextClause:
    """The database's current time in UTC, as a column DEFAULT."""
    return sa.text(NOW.get(op.get_bind().dialect.name, "CURRENT_TIMESTAMP"))


def upgrade() -> None:
    # On SQLite a batch copies each table into a new one with the new DEFAULTs; on PostgreSQL it is ALTER COLUMN.
    for table, columns in STAMPED.items():
        with op.batch_alter_table(table, table_kwargs={"sqlite_autoincrement": table != "api_keys"}) as batch:
            for column in columns:
                batch.alter_column(
                    column, existing_type=sa.DateTime(timezone=True), existing_nullable=False, server_default=now()
                )
            if table == "tasks":
                batch.alter_column("version", existing_type=sa.Integer(), existing_nullable=False, server_default="1")
    for name, columns in SORT_INDEXES.items():
        op.create_index(name, "tasks", columns)


def downgrade() -> None:
    for name in SORT_INDEXES:
        op.drop_index(name, table_name="tasks")
    for table, columns in STAMPED.items():
        with op.batch_alter_table(table, table_kwargs={"sqlite_autoincrement": table != "api_keys"}) as batch:
            for column in columns:
                batch.alter_column(
                    column, existing_type=sa.DateTime(timezone=True), existing_nullable=False, server_default=None
                )
            if table == "tasks":
                batch.alter_column("version", existing_type=sa.Integer(), existing_nullable=False, server_default=None)
