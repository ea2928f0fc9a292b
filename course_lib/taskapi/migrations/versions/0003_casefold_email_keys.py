"""A data migration: email_key holds the case-folded email (str.casefold), also in rows written before.

An older app wrote email.lower() into email_key; casefold() folds more ('Straße' → 'strasse'), and uniqueness compares
the folded form. SQL's lower() is not casefold(), so the new values are computed in Python, a batch of rows at a time.
The downgrade writes lower() again: the schema is the same, only the data's convention goes back.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
# A table as this revision knows it (not the app's model, which will change after this revision is history).
users = sa.table("users", sa.column("id", sa.Integer), sa.column("email", sa.String), sa.column("email_key", sa.String))


def rewrite_keys(key: Callable[[str], str]) -> None:
    """Set email_key = key(email) on every row whose key differs, BATCH rows per UPDATE."""
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.email, users.c.email_key).order_by(users.c.id)).all()
    owners: dict[str, list[int]] = {}
    for id_, email, _ in rows:
        owners.setdefault(key(email), []).append(id_)
    clashes = {new: ids for new, ids in owners.items() if len(ids) > 1}
    if clashes:  # UNIQUE(email_key) would refuse the UPDATE anyway; say which accounts a person must merge
        raise RuntimeError(f"users whose emails become the same key, merge them first: {clashes}")
    changed = [{"row_id": id_, "key": key(email)} for id_, email, old in rows if key(email) != old]
    statement = users.update().where(users.c.id == sa.bindparam("row_id")).values(email_key=sa.bindparam("key"))
    for start in range(0, len(changed), BATCH):
        connection.execute(statement, changed[start : start + BATCH])


def upgrade() -> None:
    rewrite_keys(lambda email: email.strip().casefold())


def downgrade() -> None:
    rewrite_keys(lambda email: email.strip().lower())
