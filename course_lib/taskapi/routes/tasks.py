"""/tasks: the collection, its items, and the action /tasks/{task_id}/complete.

| path | methods |
|---|---|
| /tasks | GET (list), POST (create → 201 + Location) |
| /tasks/{task_id} | GET, PUT (replace), PATCH (change some fields), DELETE (→ 204) |
| /tasks/{task_id}/complete | POST: an action, beside PATCH {"done": true} (actions_router, chapter 04) |
"""

# No `from __future__ import annotations`: FastAPI reads the body models (models.create, ...) at run time.

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from course_lib.taskapi.deps import TaskId, UnitOfWorkDep
from course_lib.taskapi.records import Task, TaskQuery, User
from course_lib.taskapi.seams import Conditions, Seams, TaskAccess, TaskLister
from course_lib.taskapi.storage import UnitOfWork
from course_lib.web.problems import Problem

Fields = dict[str, Any]


def find_task(uow: UnitOfWork, task_id: int, access: TaskAccess | None = None) -> Task:
    """The task, or 404 (also when `access` says the caller may not see it)."""
    task = uow.tasks.get(task_id)
    if task is None:
        raise Problem(404, f"task {task_id} not found")
    if access is not None:
        access.check(task)
    return task


def written(task: Task | None, task_id: int) -> Task:
    """The task a write returns, or 404: without row locks another request may have deleted it since it was found."""
    if task is None:
        raise Problem(404, f"task {task_id} not found")
    return task


def ensure_owner(who: User | None, task: Task) -> None:
    """403 unless `who` owns `task`; when nobody has to say who they are (who is None) there is no one to check."""
    if who is not None and task.owner_id != who.id:
        raise Problem(403, f"task {task.id} belongs to another user; only its owner may change it")


class TaskWrites:
    """Every write of one request, each step in its order: a route says what to change, never how to write it."""

    def __init__(self, uow: UnitOfWork, who: User | None, conditions: Conditions, access: TaskAccess) -> None:
        self.uow, self.who, self.conditions, self.access = uow, who, conditions, access

    def add(self, fields: Fields) -> Task:
        """A new task owned by the caller: add, commit, tag."""
        task = self.uow.tasks.add(**fields, owner_id=self.who.id if self.who else None)
        self.uow.commit()
        self.conditions.tag(task)
        return task

    def change(self, task_id: int, changes: Callable[[Task], Fields]) -> Task:
        """Find (404), owner (403), precondition (412/428), then the fields `changes` gives for the task as it is
        (none: nothing is written), commit, tag."""
        task = self.writable(task_id)
        fields = changes(task)
        if fields:
            task = written(self.uow.tasks.update(task_id, **fields), task_id)
            self.uow.commit()
        self.conditions.tag(task)
        return task

    def delete(self, task_id: int) -> None:
        """Find (404), owner (403), precondition (412/428), delete, commit."""
        self.writable(task_id)
        self.uow.tasks.delete(task_id)
        self.uow.commit()

    def writable(self, task_id: int) -> Task:
        """The task, once the caller may see it, owns it, and the request's precondition holds."""
        task = find_task(self.uow, task_id, self.access)
        ensure_owner(self.who, task)
        self.conditions.check(task)
        return task


def task_writes(seams: Seams) -> Callable[..., Awaitable[TaskWrites]]:
    """The dependency giving each request its TaskWrites, from the seams' current user, conditions and access."""

    async def writes(
        uow: UnitOfWorkDep,
        who: Annotated[User | None, Depends(seams.current_user)],
        conditions: Annotated[Conditions, Depends(seams.conditions)],
        access: Annotated[TaskAccess, Depends(seams.task_access)],
    ) -> TaskWrites:
        return TaskWrites(uow, who, conditions, access)

    return writes


def router(seams: Seams) -> APIRouter:
    """The task routes, with the seams' models, list, conditions and access; every write goes through TaskWrites."""
    models = seams.task_models
    TaskList = Annotated[TaskLister, Depends(seams.task_list)]
    Conditional = Annotated[Conditions, Depends(seams.conditions)]
    Access = Annotated[TaskAccess, Depends(seams.task_access)]
    Writes = Annotated[TaskWrites, Depends(task_writes(seams))]
    tasks = APIRouter(prefix="/tasks", tags=["tasks"])

    @tasks.get("", response_model=list[models.public])
    def list_tasks(uow: UnitOfWorkDep, task_list: TaskList, access: Access) -> list[Task]:
        """200 with the tasks."""
        return task_list(uow.tasks, access.scope(TaskQuery()))

    @tasks.post("", status_code=201, response_model=models.public)
    def create_task(body: models.create, write: Writes, response: Response) -> Task:
        """201 with the new task and its URL in Location."""
        task = write.add(body.model_dump())
        response.headers["Location"] = f"/tasks/{task.id}"
        return task

    @tasks.get("/{task_id}", response_model=models.public)
    def get_task(task_id: TaskId, uow: UnitOfWorkDep, conditions: Conditional, access: Access) -> Task:
        """200 with the task; 404 when there is none."""
        task = find_task(uow, task_id, access)
        conditions.tag(task)
        return task

    @tasks.put("/{task_id}", response_model=models.public)
    def replace_task(task_id: TaskId, body: models.replace, write: Writes) -> Task:
        """200 with the task replaced by the body (fields left out go back to their defaults); 404 when missing."""
        return write.change(task_id, lambda task: body.model_dump())

    @tasks.patch("/{task_id}", response_model=models.public)
    def update_task(task_id: TaskId, body: models.update, write: Writes) -> Task:
        """200 with the task after changing only the fields sent; 404 when missing."""
        return write.change(task_id, lambda task: body.model_dump(exclude_unset=True))

    @tasks.delete("/{task_id}", status_code=204)
    def delete_task(task_id: TaskId, write: Writes) -> Response:
        """204 and no body once deleted; 404 when there is nothing to delete."""
        write.delete(task_id)
        return Response(status_code=204)

    return tasks


def actions_router(seams: Seams) -> APIRouter:
    """Actions on a task that are not just a field: POST /tasks/{task_id}/complete."""
    Writes = Annotated[TaskWrites, Depends(task_writes(seams))]
    actions = APIRouter(prefix="/tasks", tags=["tasks"])

    @actions.post("/{task_id}/complete", response_model=seams.task_models.public)
    def complete_task(task_id: TaskId, write: Writes) -> Task:
        """200 with the task marked done (already done: unchanged); 404 when missing. An action, not a field."""
        return write.change(task_id, lambda task: {} if task.done else {"done": True})

    return actions
