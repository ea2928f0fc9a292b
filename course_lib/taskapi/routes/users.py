"""/users: the collection, its items, and each user's tasks as a sub-collection.

| path | methods |
|---|---|
| /users | GET (list), POST (sign up → 201 + Location; 409 when the email is taken) |
| /users/{user_id} | GET |
| /users/{user_id}/tasks | GET (the user's tasks), POST (a task owned by that user) |

Once callers say who they are (chapter 05), reading users needs credentials: you see your own account whole, an admin
sees everyone's, and anyone else's is a profile with no email and no role.
"""

# No `from __future__ import annotations`: FastAPI reads the body models (models.create, ...) at run time.

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response
from pydantic import BaseModel

from course_lib.taskapi.deps import UnitOfWorkDep, UserId
from course_lib.taskapi.records import EmailTaken, Task, TaskQuery, User
from course_lib.taskapi.schemas import UserModels
from course_lib.taskapi.seams import Seams, TaskAccess, TaskLister
from course_lib.taskapi.storage import UnitOfWork


def find_user(uow: UnitOfWork, user_id: int) -> User:
    """The user, or 404."""
    user = uow.users.get(user_id)
    if user is None:
        raise HTTPException(404, f"user {user_id} not found")
    return user


def ensure_self(who: User | None, user_id: int) -> None:
    """403 unless `who` is user `user_id` (no check when nobody has to say who they are)."""
    if who is not None and who.id != user_id:
        raise HTTPException(403, f"you may only add tasks to your own list (/users/{who.id}/tasks)")


def view(models: UserModels, user: User, who: User | None) -> BaseModel:
    """What `who` may read of `user`: the whole account when it is theirs or they are an admin, else the profile."""
    # who is None only before chapter 05, when no caller can say who they are yet: those chapters show users whole
    whole = who is None or who.id == user.id or who.role == "admin"
    return (models.public if whole else models.profile).model_validate(user, from_attributes=True)


def router(seams: Seams) -> APIRouter:
    """The user routes, with the seams' models, task list, current user and sign-up credentials."""
    models, task_models = seams.user_models, seams.task_models
    CurrentUser = Annotated[User | None, Depends(seams.current_user)]
    TaskList = Annotated[TaskLister, Depends(seams.task_list)]
    Access = Annotated[TaskAccess, Depends(seams.task_access)]
    users = APIRouter(prefix="/users", tags=["users"])

    @users.get("", response_model=list[models.public | models.profile])
    def list_users(uow: UnitOfWorkDep, who: CurrentUser) -> list[BaseModel]:
        """200 with every user: your own account whole, the others' profiles (an admin sees them whole)."""
        return [view(models, user, who) for user in uow.users.list()]

    @users.post("", status_code=201, response_model=models.created)
    def create_user(body: models.create, uow: UnitOfWorkDep, response: Response) -> dict:
        """201 with the new user and its URL in Location; 409 when the email is taken (the database says so)."""
        try:
            user = uow.users.add(**body.to_record())
        except EmailTaken as taken:
            raise HTTPException(409, str(taken)) from None
        credentials = seams.credentials_at_signup(uow, user)
        uow.commit()
        response.headers["Location"] = f"/users/{user.id}"
        return {**models.public.model_validate(user, from_attributes=True).model_dump(), **credentials}

    @users.get("/{user_id}", response_model=models.public | models.profile)
    def get_user(user_id: UserId, uow: UnitOfWorkDep, who: CurrentUser) -> BaseModel:
        """200 with the user (whole when it is you, else the profile); 404 when there is none."""
        return view(models, find_user(uow, user_id), who)

    @users.get("/{user_id}/tasks", response_model=list[task_models.public])
    def list_user_tasks(user_id: UserId, uow: UnitOfWorkDep, task_list: TaskList, access: Access) -> list[Task]:
        """200 with the user's tasks; 404 when there is no such user."""
        find_user(uow, user_id)
        return task_list(uow.tasks, access.scope(TaskQuery(owner_id=user_id)))

    @users.post("/{user_id}/tasks", status_code=201, response_model=task_models.public)
    def create_user_task(
        user_id: UserId, body: task_models.create, uow: UnitOfWorkDep, who: CurrentUser, response: Response
    ) -> Task:
        """201 with a new task owned by the user; its URL is the canonical /tasks/{id}. 404 for an unknown user."""
        ensure_self(who, find_user(uow, user_id).id)
        task = uow.tasks.add(**body.model_dump(), owner_id=user_id)
        uow.commit()
        response.headers["Location"] = f"/tasks/{task.id}"
        return task

    return users
