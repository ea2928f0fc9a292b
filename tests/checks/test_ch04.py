"""Each checker against its stub, its solution, valid alternatives and plausible wrong answers."""

import pytest
from fastapi import HTTPException

from course_lib.checks.ch04 import OPERATION_REQUEST, NoteUpdate, q1, q2, q3
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.taskapi.deps import UnitOfWorkDep
from course_lib.taskapi.schemas import TaskPublic

TITLE, TASK_7, USER_3, ACTION = (
    "change only the title of task 7",
    "read task 7",
    "list the tasks of user 3",
    "mark task 7 done, as an action",
)


def test_q1_design():
    assert q1.evaluate(dict.fromkeys(OPERATION_REQUEST)).status == NOT_ATTEMPTED
    assert q1.evaluate(dict(OPERATION_REQUEST)).status == CORRECT
    loose = {key: f" {value.lower().split()[0]} {value.split()[1]}/ " for key, value in OPERATION_REQUEST.items()}
    assert q1.evaluate(loose).status == CORRECT
    verb = q1.evaluate({**OPERATION_REQUEST, "create a task": "POST /createTask"})
    assert verb.status == INCORRECT and "verb" in verb.message and verb.expected == "POST /tasks"
    put_for_patch = q1.evaluate({**OPERATION_REQUEST, TITLE: "PUT /tasks/7"})
    assert put_for_patch.status == INCORRECT and put_for_patch.got == "PUT /tasks/7"
    assert q1.evaluate(["GET /tasks"]).status == INCORRECT


@pytest.mark.parametrize(
    "operation, wrong",
    [
        (TASK_7, "GET /tasks?id=7"),
        (TASK_7, "GET /task/7"),
        (TASK_7, "GET /tasks/{id}"),
        (USER_3, "GET /tasks?owner=3"),
        (USER_3, "GET /users/3"),
        (ACTION, "PATCH /tasks/7"),
        (ACTION, "POST /tasks/7/done"),
        (ACTION, "PUT /tasks/7/complete"),
        ("delete task 7", "POST /tasks/7/delete"),
        ("delete task 7", "DELETE /tasks"),
        ("list every task", "GET /getTasks"),
        ("create a task", "PUT /tasks"),
        ("replace task 7 with a complete new version", "PATCH /tasks/7"),
        (TITLE, "PATCH /tasks/7/title"),
        (TITLE, "GET /tasks/7"),
    ],
)
def test_q1_wrong_requests(operation, wrong):
    result = q1.evaluate({**OPERATION_REQUEST, operation: wrong})
    assert result.status == INCORRECT and result.expected == OPERATION_REQUEST[operation]


def test_q1_a_missing_operation_is_named():
    answer = {key: value for key, value in OPERATION_REQUEST.items() if key != ACTION}
    result = q1.evaluate(answer)
    assert result.status == INCORRECT and ACTION in result.message


def _patch_route(update):
    """An add_patch_note whose route applies `update(notes, note_id, body)` and answers what it returns."""

    def add_patch_note(app, notes):
        @app.patch("/notes/{note_id}")
        def patch_note(note_id: int, body: NoteUpdate) -> dict:
            return update(notes, note_id, body)

    return add_patch_note


def _solution(notes, note_id, body):
    if note_id not in notes:
        raise HTTPException(404)
    notes[note_id].update(body.model_dump(exclude_unset=True))
    return {"id": note_id, **notes[note_id]}


def _replaces_everything(notes, note_id, body):
    if note_id not in notes:
        raise HTTPException(404)
    notes[note_id].update(body.model_dump())
    return {"id": note_id, **notes[note_id]}


def _no_404(notes, note_id, body):
    notes.setdefault(note_id, {}).update(body.model_dump(exclude_unset=True))
    return {"id": note_id, **notes[note_id]}


def _truthy_only(notes, note_id, body):
    if note_id not in notes:
        raise HTTPException(404)
    notes[note_id].update({key: value for key, value in body.model_dump().items() if value})
    return {"id": note_id, **notes[note_id]}


def _hard_coded_note(notes, note_id, body):
    if note_id not in notes:
        raise HTTPException(404)
    notes[1].update(body.model_dump(exclude_unset=True))
    return {"id": note_id, **notes[note_id]}


def _every_note(notes, note_id, body):
    if note_id not in notes:
        raise HTTPException(404)
    for note in notes.values():
        note.update(body.model_dump(exclude_unset=True))
    return {"id": note_id, **notes[note_id]}


def _answers_without_id(notes, note_id, body):
    if note_id not in notes:
        raise HTTPException(404)
    notes[note_id].update(body.model_dump(exclude_unset=True))
    return notes[note_id]


def _answers_id_1(notes, note_id, body):
    if note_id not in notes:
        raise HTTPException(404)
    notes[note_id].update(body.model_dump(exclude_unset=True))
    return {"id": 1, **notes[note_id]}


def _not_stored(notes, note_id, body):
    if note_id not in notes:
        raise HTTPException(404)
    return {"id": note_id, **notes[note_id], **body.model_dump(exclude_unset=True)}


def _answers_the_old_note(notes, note_id, body):
    if note_id not in notes:
        raise HTTPException(404)
    old = dict(notes[note_id])
    notes[note_id].update(body.model_dump(exclude_unset=True))
    return {"id": note_id, **old}


def _404_above_ten(notes, note_id, body):
    if note_id > 10:
        raise HTTPException(404)
    note = notes.setdefault(note_id, {"text": "", "done": False})
    note.update(body.model_dump(exclude_unset=True))
    return {"id": note_id, **note}


def _ignores_done_false(notes, note_id, body):
    if note_id not in notes:
        raise HTTPException(404)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("done") is False:
        del changes["done"]
    notes[note_id].update(changes)
    return {"id": note_id, **notes[note_id]}


def _exclude_defaults(notes, note_id, body):
    if note_id not in notes:
        raise HTTPException(404)
    notes[note_id].update(body.model_dump(exclude_defaults=True))  # None is the default: same as exclude_none here
    return {"id": note_id, **notes[note_id]}


def test_q2_patch_note():
    def stub(app, notes):
        raise NotImplementedError

    assert q2.evaluate(stub).status == NOT_ATTEMPTED
    assert q2.evaluate(_patch_route(_solution)).status == CORRECT
    wrong = q2.evaluate(_patch_route(_replaces_everything))
    assert wrong.status == INCORRECT and wrong.request == "PATCH /notes/5 {'done': True}"
    missing = q2.evaluate(_patch_route(_no_404))
    assert missing.status == INCORRECT and missing.expected == 404 and missing.request == "PATCH /notes/3"


def test_q2_valid_alternative_exclude_defaults():
    assert q2.evaluate(_patch_route(_exclude_defaults)).status == CORRECT


@pytest.mark.parametrize(
    "wrong",
    [
        _truthy_only,
        _hard_coded_note,
        _every_note,
        _answers_without_id,
        _answers_id_1,
        _not_stored,
        _answers_the_old_note,
        _404_above_ten,
        _ignores_done_false,
    ],
)
def test_q2_wrong_answers(wrong):
    assert q2.evaluate(_patch_route(wrong)).status == INCORRECT


def find_task(tasks, task_id: int):
    """The task from a task repository, or 404 (the routes' find_task works on a unit of work)."""
    task = tasks.get(task_id)
    if task is None:
        raise HTTPException(404, f"task {task_id} not found")
    return task


def _reopen_route(body, method="post", commit=True):
    """An add_reopen_route whose handler runs `body(tasks, task_id)` in the request's unit of work."""

    def add_reopen_route(app):
        @getattr(app, method)("/tasks/{task_id}/reopen", response_model=TaskPublic)
        def reopen_task(task_id: int, uow: UnitOfWorkDep):
            result = body(uow.tasks, task_id)
            if commit:
                uow.commit()
            return result

    return add_reopen_route


def _reopen(tasks, task_id):
    find_task(tasks, task_id)
    return tasks.update(task_id, done=False)


def _toggle(tasks, task_id):
    return tasks.update(task_id, done=not find_task(tasks, task_id).done)


def _hard_coded_task(tasks, task_id):
    find_task(tasks, task_id)
    return tasks.update(1, done=False)


def _first_task_only(tasks, task_id):
    find_task(tasks, 1)
    return tasks.update(task_id, done=False)


def _answers_old_state(tasks, task_id):
    task = find_task(tasks, task_id)
    tasks.update(task_id, done=False)
    return task


def _renames_too(tasks, task_id):
    find_task(tasks, task_id)
    return tasks.update(task_id, done=False, title="reopened")


def _only_done_tasks(tasks, task_id):
    if not find_task(tasks, task_id).done:
        raise HTTPException(409, "task is not done")
    return tasks.update(task_id, done=False)


def _404_for_99_only(tasks, task_id):
    if task_id == 99:
        raise HTTPException(404)
    return tasks.update(task_id, done=False)


def _completes(tasks, task_id):
    find_task(tasks, task_id)
    return tasks.update(task_id, done=True)


def test_q3_reopen():
    def stub(app):
        raise NotImplementedError

    def only_answers(app):
        @app.post("/tasks/{task_id}/reopen")
        def reopen_task(task_id: int, uow: UnitOfWorkDep):
            return {**TaskPublic.model_validate(find_task(uow.tasks, task_id)).model_dump(), "done": False}

    assert q3.evaluate(stub).status == NOT_ATTEMPTED
    assert q3.evaluate(_reopen_route(_reopen)).status == CORRECT
    assert q3.evaluate(_reopen_route(_reopen, commit=False)).status == INCORRECT  # the change was never committed
    get_route = q3.evaluate(_reopen_route(_reopen, "get"))
    assert get_route.status == INCORRECT and get_route.expected == 200 and get_route.got == 405
    not_stored = q3.evaluate(only_answers)
    assert not_stored.status == INCORRECT and not_stored.request == "POST /tasks/2/reopen"


def test_q3_valid_alternative_any_method_list():
    def post_and_put(app):
        @app.api_route("/tasks/{task_id}/reopen", methods=["POST", "PUT"], response_model=TaskPublic)
        def reopen_task(task_id: int, uow: UnitOfWorkDep):
            task = _reopen(uow.tasks, task_id)
            uow.commit()
            return task

    assert q3.evaluate(post_and_put).status == CORRECT


@pytest.mark.parametrize(
    "wrong",
    [
        _toggle,
        _hard_coded_task,
        _first_task_only,
        _answers_old_state,
        _renames_too,
        _only_done_tasks,
        _404_for_99_only,
        _completes,
    ],
)
def test_q3_wrong_answers(wrong):
    assert q3.evaluate(_reopen_route(wrong)).status == INCORRECT


def test_q3_put_is_not_the_action():
    assert q3.evaluate(_reopen_route(_reopen, "put")).status == INCORRECT
