"""Chapter 07 — serialization: input models closed to unknown fields, passwords kept as argon2 hashes, UTC with Z.

POST /users now takes a password; UserCreate.to_record() hashes it, so storage only ever sees the hash.
"""

from dataclasses import replace

from course_lib.services.settings import Settings
from course_lib.taskapi import ch06_pagination, schemas_strict
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import TaskAPI
from course_lib.taskapi.seams import Seams


def swap_seams(seams: Seams) -> Seams:
    """What goes over the wire: schemas_strict's models on every route."""
    return replace(seams, task_models=schemas_strict.TASK_MODELS, user_models=schemas_strict.USER_MODELS)


CHAPTER = Chapter(__name__, previous=ch06_pagination.CHAPTER, swap_seams=swap_seams)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 06's API with closed input models, sign-up with a password, and UTC timestamps."""
    return build_app(CHAPTER, settings)
