"""The task routes write one way: TaskWrites runs find, owner, precondition, write, commit and tag in that order."""

import pytest

from course_lib.taskapi import app_for, chapter_modules
from course_lib.taskapi.deps import unit_of_work
from course_lib.taskapi.records import Task
from course_lib.taskapi.routes.tasks import TaskWrites
from course_lib.taskapi.seams import EveryoneReads
from course_lib.taskapi.storage import MemoryStorage, UnitOfWork
from course_lib.web.openapi_responses import api_routes
from course_lib.web.problems import Problem

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class Refusing:
    """Conditions whose precondition never holds, noting what was asked of them."""

    def __init__(self) -> None:
        self.steps: list[str] = []

    def tag(self, task: Task) -> None:
        self.steps.append("tag")

    def check(self, task: Task) -> None:
        self.steps.append("check")
        raise Problem(412, "stale")


class Recording(Refusing):
    def check(self, task: Task) -> None:
        self.steps.append("check")


@pytest.fixture
def uow():
    with MemoryStorage().unit_of_work() as uow:
        uow.users.add("Ada", "ada@example.org")
        uow.users.add("Bob", "bob@example.org")
        yield uow


def user(uow: UnitOfWork, name: str):
    return next(user for user in uow.users.list() if user.name == name)


def ada_task(uow: UnitOfWork) -> Task:
    task = TaskWrites(uow, user(uow, "Ada"), Recording(), EveryoneReads()).add({"title": "Ada's"})
    assert task.owner_id == user(uow, "Ada").id
    return task


def test_a_change_is_checked_then_written_then_tagged(uow):
    task, conditions = ada_task(uow), Recording()
    writes = TaskWrites(uow, user(uow, "Ada"), conditions, EveryoneReads())
    changed = writes.change(task.id, lambda task: {"done": True})
    assert changed.done and conditions.steps == ["check", "tag"]


def test_nothing_is_written_when_the_precondition_fails(uow):
    task = ada_task(uow)
    writes = TaskWrites(uow, user(uow, "Ada"), Refusing(), EveryoneReads())
    for write in (lambda: writes.change(task.id, lambda task: {"done": True}), lambda: writes.delete(task.id)):
        with pytest.raises(Problem) as refused:
            write()
        assert refused.value.status_code == 412
    assert uow.tasks.get(task.id) == task


@pytest.mark.parametrize(("who", "missing", "status"), [("Bob", False, 403), ("Ada", True, 404)])
def test_another_users_or_a_missing_task_is_refused_before_the_precondition(uow, who, missing, status):
    task_id = 99 if missing else ada_task(uow).id
    conditions = Refusing()
    writes = TaskWrites(uow, user(uow, who), conditions, EveryoneReads())
    with pytest.raises(Problem) as refused:
        writes.change(task_id, lambda task: {"done": True})
    assert refused.value.status_code == status and conditions.steps == []


def test_no_fields_is_no_write_but_still_a_checked_and_tagged_answer(uow):
    task, conditions = ada_task(uow), Recording()
    same = TaskWrites(uow, user(uow, "Ada"), conditions, EveryoneReads()).change(task.id, lambda task: {})
    assert same == task and conditions.steps == ["check", "tag"]


@pytest.mark.parametrize("chapter", [4, max(chapter_modules())])
def test_no_route_that_writes_a_task_holds_a_unit_of_work_of_its_own(chapter):
    """A write route reaches storage only through TaskWrites: a copy of it cannot skip the owner or the precondition."""
    routes = [
        route for path, route in api_routes(app_for(chapter)) if path.startswith("/tasks") and route.methods & WRITES
    ]
    assert len(routes) == 5
    for route in routes:
        calls = [dependency.call for dependency in route.dependant.dependencies]
        assert TaskWrites in [getattr(call, "__annotations__", {}).get("return") for call in calls], route.path
        assert unit_of_work not in calls, route.path
