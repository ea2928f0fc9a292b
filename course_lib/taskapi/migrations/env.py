"""Alembic's entry point for the task API's migrations: the connection course_lib hands over, or DATABASE_URL's."""

from typing import Any

from alembic import context

from course_lib.services.db import make_engine
from course_lib.taskapi.orm_models import Base

OPTIONS: dict[str, Any] = {
    "target_metadata": Base.metadata,  # what autogenerate compares the database with: chapter 13's models
    "render_as_batch": True,  # SQLite cannot ALTER a column: autogenerate writes batch operations (copy the table)
    "compare_server_default": True,  # created_at's DEFAULT is part of the design: a missing one is a difference
}


def run(connection) -> None:
    """Run the migrations Alembic was asked for on `connection`, in one transaction."""
    context.configure(connection=connection, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")  # course_lib.services.migrations passes its connection
if context.is_offline_mode():
    raise SystemExit("these migrations run against a database (no --sql): some read the data they change")
if given is not None:
    run(given)
else:  # the alembic command line: DATABASE_URL, else a new SQLite file
    with make_engine().connect() as connection:
        run(connection)
