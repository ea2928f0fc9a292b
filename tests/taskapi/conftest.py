"""A live server per chapter app, so behaviour taught in chapter N is checked again in the latest chapter."""

import os

import httpx
import pytest

from course_lib.notebook.server import serve
from course_lib.services.db import isolated_database
from course_lib.services.settings import get_settings
from course_lib.taskapi import app_for, chapter_modules

EVERY_CHAPTER = os.environ.get("COURSE_EVERY_CHAPTER") == "1"


def chapters_from(first: int) -> list[int]:
    """The chapter that teaches a behaviour and the latest chapter, which holds every chapter's seams; with
    COURSE_EVERY_CHAPTER=1 each chapter in between too (CI runs that matrix once: it grows with the square of the
    number of chapters, and each chapter's own tests and notebook already check its app)."""
    return _first_and_last([number for number in chapter_modules() if number >= first])


def _first_and_last(numbers: list[int]) -> list[int]:
    return numbers if EVERY_CHAPTER else sorted({numbers[0], numbers[-1]})


@pytest.fixture
def database():
    """A database of the test's own (SQLite file, or a schema on DATABASE_URL's PostgreSQL), dropped after it."""
    get_settings.cache_clear()
    database = isolated_database()
    yield database
    database.drop()


@pytest.fixture
def api_at():
    """Serve the task API as it stands at the end of a chapter: api_at(4)."""

    def start(chapter: int):
        api = serve(app_for(chapter), name=f"test-ch{chapter:02d}")
        if chapter >= 10:  # earlier chapters' tests accept last-write-wins, and from chapter 10 on must say so
            api.client.headers["If-Match"] = "*"
        if chapter >= PRIVATE_USERS:
            api.client.auth = ReadsAsTheLastWriter(private_tasks=chapter >= PRIVATE_TASKS)
        return api

    return start


PRIVATE_USERS = 5  # from chapter 05 on reading /users needs credentials: you see yourself whole, others' profiles
PRIVATE_TASKS = 15  # from chapter 15 on a task is its owner's alone: another user's task is 404, reading needs a login


class ReadsAsTheLastWriter(httpx.Auth):
    """A read that names no one is sent with the API key this client last sent, or else the last one sign-up answered.

    Earlier chapters' tests write as a user and read anonymously (reads were public); on a chapter where the read
    needs a login (users from chapter 05, tasks from chapter 15) the same read is the writer reading their own data,
    so the held-over behaviour is still checked. A read that sends its own credentials (X-API-Key, Authorization, a
    cookie) is left alone, and so is every write.
    """

    requires_response_body = True

    def __init__(self, private_tasks: bool = True) -> None:
        self.key: str | None = None
        self.signed_up: str | None = None
        self.private_tasks = private_tasks

    def auth_flow(self, request: httpx.Request):
        if "x-api-key" in request.headers:
            self.key = request.headers["x-api-key"]
        elif (
            request.method in ("GET", "HEAD")
            and "authorization" not in request.headers
            and "cookie" not in request.headers
        ):
            key = self.key_for(request.url.path)
            if key:
                request.headers["X-API-Key"] = key
        response = yield request
        if request.method == "POST" and request.url.path == "/users" and response.status_code == 201:
            self.signed_up = response.json().get("api_key") or self.signed_up

    def key_for(self, path: str) -> str | None:
        """Users are read as the last writer or the last user signed up; from chapter 15 on everything else is read
        as the last writer."""
        if path.startswith("/users") and not path.endswith("/tasks"):
            return self.key or self.signed_up
        return self.key if self.private_tasks else None


def public_task_chapters(first: int) -> list[int]:
    """Chapters from `first` in which anyone may read any task: for the tests whose point is that public read (another
    user's task readable, or a request with no key judged before authentication); test_ch15_jwt_roles covers the
    private rule that replaces it."""
    return _first_and_last([number for number in chapter_modules() if first <= number < PRIVATE_TASKS])
