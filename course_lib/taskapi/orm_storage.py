"""Chapter 13's storage: chapter 06's repositories on the ORM models, a migrated schema, the database's clock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from course_lib.services import migrations
from course_lib.taskapi.orm_models import ApiKeyRow, TaskRow, UserRow
from course_lib.taskapi.records import Task
from course_lib.taskapi.sql_repositories import SqlSchema, SqlTasks, as_record
from course_lib.taskapi.sql_storage import SqlStorage
from course_lib.taskapi.storage import check_changes


class OrmTasks(SqlTasks):
    """Tasks through the ORM: the database sets the timestamps and the version."""

    def stamps(self) -> dict[str, datetime]:
        """Nothing: INSERT … RETURNING brings back created_at and updated_at, set by the column DEFAULTs."""
        return {}

    def update(self, task_id: int, **changes) -> Task | None:
        check_changes(changes)
        # One statement: the database adds 1 to the version it holds and sets updated_at (the column's onupdate),
        # so two updates can never both start from the same version.
        statement = (
            update(TaskRow)
            .where(TaskRow.id == task_id)
            .values(**changes, version=TaskRow.version + 1)
            .returning(TaskRow)
        )
        row = self.session.scalars(statement, execution_options={"populate_existing": True}).one_or_none()
        return as_record(Task, row) if row else None


# The tables come from the Alembic migrations (upgraded to head when the app is built or its database made again).
CHAPTER_13 = SqlSchema(
    users=UserRow, tasks=TaskRow, api_keys=ApiKeyRow, build=migrations.upgrade, task_repository=OrmTasks
)


class OrmStorage(SqlStorage):
    """SqlStorage whose schema comes from the migrations, and whose tasks the database stamps."""

    schema = CHAPTER_13
