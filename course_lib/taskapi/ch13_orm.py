"""Chapter 13 — ORM design: the schema comes from migrations, and the database's clock stamps every task.

- storage: OrmStorage (orm_storage.py) over the ORM models (orm_models.py): created_at and updated_at are column
  DEFAULTs and an onupdate SQL expression (the database's clock), in UTC on SQLite and PostgreSQL; updated_at moves
  forward on every update (PUT, PATCH, complete); version + 1 happens inside the UPDATE (If-Match, checked under the
  write lock, is what refuses a stale write);
- the tables are built by Alembic migrations (course_lib/taskapi/migrations), upgraded to head when the app starts;
- every allowed sort has an index that serves it. The API's routes and JSON are chapter 12's.
"""

from __future__ import annotations

from dataclasses import replace

from course_lib.services.settings import Settings
from course_lib.taskapi import ch12_performance
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import TaskAPI
from course_lib.taskapi.orm_storage import OrmStorage
from course_lib.taskapi.seams import Seams


def swap_seams(seams: Seams) -> Seams:
    """Data moves behind the ORM models; the schema is the migrations' head."""
    return replace(seams, storage=OrmStorage.for_settings)


CHAPTER = Chapter(__name__, previous=ch12_performance.CHAPTER, swap_seams=swap_seams)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 12's API on a migrated schema whose timestamps and versions the database sets."""
    return build_app(CHAPTER, settings)
