"""Dependencies every task route uses: the repositories live on app.state, so a chapter can swap storage."""

from typing import Annotated

from fastapi import Depends, Request

from course_lib.taskapi.repository import TaskRepository, UserRepository


def get_tasks(request: Request) -> TaskRepository:
    """The app's task repository (app.state.tasks)."""
    return request.app.state.tasks


def get_users(request: Request) -> UserRepository:
    """The app's user repository (app.state.users)."""
    return request.app.state.users


TasksDep = Annotated[TaskRepository, Depends(get_tasks)]
UsersDep = Annotated[UserRepository, Depends(get_users)]
