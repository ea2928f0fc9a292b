"""/tasks: the collection, its items, and the action /tasks/{task_id}/complete.

| path | methods |
|---|---|
| /tasks | GET (list), POST (create → 201 + Location) |
| /tasks/{task_id} | GET, PUT (replace), PATCH (change some fields), DELETE (→ 204) |
| /tasks/{task_id}/complete | POST: an action, beside PATCH {"done": true} (actions_router, chapter 04) |
"""

# No `from __future__ import annotations`: FastAPI reads the body models (models.create, ...) at run time.

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response

from course_lib.taskapi.deps import TaskId, UnitOfWorkDep
from course_lib.taskapi.records import Task, TaskQuery, User
from course_lib.taskapi.seams import Conditions, Seams, TaskAccess, TaskLister
from course_lib.taskapi.storage import UnitOfWork


def find_task(uow: UnitOfWork, task_id: int, access: TaskAccess | None = None) -> Task:
    """The task, or 404 (also when `access` says the caller may not see it)."""
    task = uow.tasks.get(task_id)
    if task is None:
        raise HTTPException(404, f"task {task_id} not found")
    if access is not None:
        access.check(task)
    return task


def written(task: Task | None, task_id: int) -> Task:
    """The task a write returns, or 404: without row locks another request may have deleted it since it was found."""
    if task is None:
        raise HTTPException(404, f"task {task_id} not found")
    return task


def ensure_owner(who: User | None, task: Task) -> None:
    """403 unless `who` owns `task`; when nobody has to say who they are (who is None) there is no one to check."""
    if who is not None and task.owner_id != who.id:
        raise HTTPException(403, f"task {task.id} belongs to another user; only its owner may change it")


def router(seams: Seams) -> APIRouter:
    """The task routes, with the seams' models, list and current user."""
    models = seams.task_models
    CurrentUser = Annotated[User | None, Depends(seams.current_user)]
    TaskList = Annotated[TaskLister, Depends(seams.task_list)]
    Conditional = Annotated[Conditions, Depends(seams.conditions)]
    Access = Annotated[TaskAccess, Depends(seams.task_access)]
    tasks = APIRouter(prefix="/tasks", tags=["tasks"])

    @tasks.get("", response_model=list[models.public])
    def list_tasks(uow: UnitOfWorkDep, task_list: TaskList, access: Access) -> list[Task]:
        """200 with the tasks."""
        return task_list(uow.tasks, access.scope(TaskQuery()))

    @tasks.post("", status_code=201, response_model=models.public)
    def create_task(body: models.create, uow: UnitOfWorkDep, who: CurrentUser, conditions: Conditional,
                    response: Response) -> Task:
        """201 with the new task and its URL in Location."""
        task = uow.tasks.add(**body.model_dump(), owner_id=who.id if who else None)
        uow.commit()
        response.headers["Location"] = f"/tasks/{task.id}"
        conditions.tag(task)
        return task

    @tasks.get("/{task_id}", response_model=models.public)
    def get_task(task_id: TaskId, uow: UnitOfWorkDep, conditions: Conditional, access: Access) -> Task:
        """200 with the task; 404 when there is none."""
        task = find_task(uow, task_id, access)
        conditions.tag(task)
        return task

    @tasks.put("/{task_id}", response_model=models.public)
    def replace_task(task_id: TaskId, body: models.replace, uow: UnitOfWorkDep, who: CurrentUser,
                     conditions: Conditional, access: Access) -> Task:
        """200 with the task replaced by the body (fields left out go back to their defaults); 404 when missing."""
        task = find_task(uow, task_id, access)
        ensure_owner(who, task)
        conditions.check(task)
        task = written(uow.tasks.update(task_id, **body.model_dump()), task_id)
        uow.commit()
        conditions.tag(task)
        return task

    @tasks.patch("/{task_id}", response_model=models.public)
    def update_task(task_id: TaskId, body: models.update, uow: UnitOfWorkDep, who: CurrentUser,
                    conditions: Conditional, access: Access) -> Task:
        """200 with the task after changing only the fields sent; 404 when missing."""
        task = find_task(uow, task_id, access)
        ensure_owner(who, task)
        conditions.check(task)
        changes = body.model_dump(exclude_unset=True)
        if changes:
            task = written(uow.tasks.update(task_id, **changes), task_id)
            uow.commit()
        conditions.tag(task)
        return task

    @tasks.delete("/{task_id}", status_code=204)
    def delete_task(task_id: TaskId, uow: UnitOfWorkDep, who: CurrentUser, conditions: Conditional,
                    access: Access) -> Response:
        """204 and no body once deleted; 404 when there is nothing to delete."""
        task = find_task(uow, task_id, access)
        ensure_owner(who, task)
        conditions.check(task)
        uow.tasks.delete(task_id)
        uow.commit()
        return Response(status_code=204)

    return tasks


def actions_router(seams: Seams) -> APIRouter:
    """Actions on a task that are not just a field: POST /tasks/{task_id}/complete."""
    CurrentUser = Annotated[User | None, Depends(seams.current_user)]
    Conditional = Annotated[Conditions, Depends(seams.conditions)]
    Access = Annotated[TaskAccess, Depends(seams.task_access)]
    actions = APIRouter(prefix="/tasks", tags=["tasks"])

    @actions.post("/{task_id}/complete", response_model=seams.task_models.public)
    def complete_task(task_id: TaskId, uow: UnitOfWorkDep, who: CurrentUser, conditions: Conditional,
                      access: Access) -> Task:
        """200 with the task marked done (already done: unchanged); 404 when missing. An action, not a field."""
        task = find_task(uow, task_id, access)
        ensure_owner(who, task)
        conditions.check(task)
        if not task.done:
            task = written(uow.tasks.update(task_id, done=True), task_id)
            uow.commit()
        conditions.tag(task)
        return task

    return actions
