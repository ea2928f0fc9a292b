"""Chapter 04 — resources by nouns: users beside tasks, a sub-collection, and an action route.

| resource | methods |
|---|---|
| /tasks, /tasks/{task_id} | from chapter 01: list, create, read, replace, change, delete |
| /tasks/{task_id}/complete | POST: an action, beside PATCH {"done": true} |
| /users, /users/{user_id} | GET (list, one), POST (create → 201 + Location, 409 when the email is taken) |
| /users/{user_id}/tasks | GET (the user's tasks), POST (a task owned by that user) |
"""

from course_lib.services.settings import Settings
from course_lib.taskapi import ch03_idempotency
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import TaskAPI
from course_lib.taskapi.routes import tasks, users
from course_lib.taskapi.seams import Seams


def extend(app: TaskAPI, seams: Seams) -> None:
    """A second resource, users, with each user's tasks under it; and completing a task as an action."""
    app.include_router(tasks.actions_router(seams))
    app.include_router(users.router(seams))


CHAPTER = Chapter(__name__, previous=ch03_idempotency.CHAPTER, extend=extend)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 03's API with users, /users/{id}/tasks and POST /tasks/{id}/complete."""
    return build_app(CHAPTER, settings)
