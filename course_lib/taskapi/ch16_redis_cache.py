"""Chapter 16 — a Redis cache in front of the database: task reads are cache-aside, every write invalidates.

- Reads of one task and of task lists (per user, per query) come from Redis when a copy is there (a hit), else from
  the database, and the copy is kept for `cache_ttl` seconds (a miss);
- a unit of work that writes bumps, after its commit, the generations of the task, its owner's lists and the list of
  all tasks: the next read misses and loads the new version. Routes do nothing: the storage seam does it;
- many concurrent misses on one key load it once (a Redis lock, SET NX PX); if Redis fails, reads use the database;
- the ETag is computed from the cached task's version, so a hit answers 304 without touching the tasks table.
"""

from dataclasses import replace

from fastapi import FastAPI

from course_lib.services.settings import Settings
from course_lib.taskapi import ch15_jwt_roles
from course_lib.taskapi.build import build_app
from course_lib.taskapi.cached_storage import cached
from course_lib.taskapi.seams import Seams

PREVIOUS = ch15_jwt_roles


def swap_seams(seams: Seams) -> Seams:
    """The same storage, its task reads cached in Redis."""
    return replace(seams, storage=cached(seams.storage))


def extend(app: FastAPI, seams: Seams) -> None:
    """The cache beside the storage, for notebooks and tests to look into (hits, misses, loads)."""
    app.state.cache = app.state.storage.cache


def create_app(settings: Settings | None = None) -> FastAPI:
    """Chapter 15's API with task reads cached in Redis and invalidated on every write."""
    return build_app(__name__, settings)
