"""A throwaway chapter for the design tests: HTTP Basic authentication instead of API keys, no router changed."""

from dataclasses import replace
from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from course_lib.services.settings import Settings
from course_lib.taskapi import ch08_validation
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import TaskAPI
from course_lib.taskapi.deps import UnitOfWorkDep
from course_lib.taskapi.records import User
from course_lib.taskapi.seams import Seams
from course_lib.web.passwords import verify_password

basic = HTTPBasic(auto_error=False)


def basic_user(uow: UnitOfWorkDep, credentials: Annotated[HTTPBasicCredentials | None, Depends(basic)]) -> User:
    """The user whose email and password the Authorization: Basic header carries; 401 otherwise."""
    user = uow.users.get_by_email(credentials.username) if credentials else None
    if user is None or not verify_password(credentials.password, user.password_hash):
        raise HTTPException(401, "send your email and password", headers={"WWW-Authenticate": "Basic"})
    return user


def swap_seams(seams: Seams) -> Seams:
    """Callers say who they are with HTTP Basic."""
    return replace(seams, current_user=basic_user)


CHAPTER = Chapter(__name__, previous=ch08_validation.CHAPTER, swap_seams=swap_seams)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 08's API with Basic authentication."""
    return build_app(CHAPTER, settings)
