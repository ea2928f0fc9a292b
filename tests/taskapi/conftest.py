"""A live server per chapter app, so behaviour taught in chapter N is checked in every later chapter."""

import pytest

from course_lib.notebook.server import serve
from course_lib.taskapi import app_for, chapter_modules


def chapters_from(first: int) -> list[int]:
    """Every chapter with a task API module, from `first` on."""
    return [number for number in chapter_modules() if number >= first]


@pytest.fixture
def api_at():
    """Serve the task API as it stands at the end of a chapter: api_at(4)."""
    def start(chapter: int):
        api = serve(app_for(chapter), name=f"test-ch{chapter:02d}")
        if chapter >= 10:  # earlier chapters' tests accept last-write-wins, and from chapter 10 on must say so
            api.client.headers["If-Match"] = "*"
        return api
    return start


PRIVATE_TASKS = 15  # from chapter 15 on a task is its owner's alone: another user's task is 404, reading needs a login


def public_task_chapters(first: int) -> list[int]:
    """Chapters from `first` in which anyone may read any task; tests that read tasks anonymously or as another user
    run on these only (test_ch15_jwt_roles covers private tasks)."""
    return [number for number in chapters_from(first) if number < PRIVATE_TASKS]
