"""Each checker against its stub, its solution and known-wrong answers."""

from fastapi import HTTPException

from course_lib.checks.ch04 import OPERATION_REQUEST, NoteUpdate, q1, q2, q3
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.taskapi.deps import UnitOfWorkDep
from course_lib.taskapi.routes.tasks import find_task
from course_lib.taskapi.schemas import TaskPublic


def test_q1_design():
    assert q1.evaluate(dict.fromkeys(OPERATION_REQUEST)).status == NOT_ATTEMPTED
    assert q1.evaluate(dict(OPERATION_REQUEST)).status == CORRECT
    loose = {key: f" {value.lower().split()[0]} {value.split()[1]}/ " for key, value in OPERATION_REQUEST.items()}
    assert q1.evaluate(loose).status == CORRECT
    verb = q1.evaluate({**OPERATION_REQUEST, "create a task": "POST /createTask"})
    assert verb.status == INCORRECT and "verb" in verb.message and verb.expected == "POST /tasks"
    put_for_patch = q1.evaluate({**OPERATION_REQUEST, "change only the title of task 7": "PUT /tasks/7"})
    assert put_for_patch.status == INCORRECT and put_for_patch.got == "PUT /tasks/7"
    assert q1.evaluate(["GET /tasks"]).status == INCORRECT


def patch_solution(app, notes):
    @app.patch("/notes/{note_id}")
    def patch_note(note_id: int, body: NoteUpdate) -> dict:
        if note_id not in notes:
            raise HTTPException(404)
        notes[note_id].update(body.model_dump(exclude_unset=True))
        return {"id": note_id, **notes[note_id]}


def test_q2_patch_note():
    def stub(app, notes):
        raise NotImplementedError

    def replaces_everything(app, notes):
        @app.patch("/notes/{note_id}")
        def patch_note(note_id: int, body: NoteUpdate) -> dict:
            if note_id not in notes:
                raise HTTPException(404)
            notes[note_id].update(body.model_dump())
            return {"id": note_id, **notes[note_id]}

    def no_404(app, notes):
        @app.patch("/notes/{note_id}")
        def patch_note(note_id: int, body: NoteUpdate) -> dict:
            notes.setdefault(note_id, {}).update(body.model_dump(exclude_unset=True))
            return {"id": note_id, **notes[note_id]}

    assert q2.evaluate(stub).status == NOT_ATTEMPTED
    assert q2.evaluate(patch_solution).status == CORRECT
    wrong = q2.evaluate(replaces_everything)
    assert wrong.status == INCORRECT and wrong.got == {"text": None, "done": True}
    missing = q2.evaluate(no_404)
    assert missing.status == INCORRECT and missing.expected == 404 and missing.request == "PATCH /notes/99"


def test_q3_reopen():
    def stub(app):
        raise NotImplementedError

    def solution(app):
        @app.post("/tasks/{task_id}/reopen", response_model=TaskPublic)
        def reopen_task(task_id: int, uow: UnitOfWorkDep):
            find_task(uow, task_id)
            task = uow.tasks.update(task_id, done=False)
            uow.commit()
            return task

    def as_get(app):
        @app.get("/tasks/{task_id}/reopen", response_model=TaskPublic)
        def reopen_task(task_id: int, uow: UnitOfWorkDep):
            find_task(uow, task_id)
            task = uow.tasks.update(task_id, done=False)
            uow.commit()
            return task

    def only_answers(app):
        @app.post("/tasks/{task_id}/reopen")
        def reopen_task(task_id: int, uow: UnitOfWorkDep):
            return {**TaskPublic.model_validate(find_task(uow, task_id)).model_dump(), "done": False}

    def forgets_commit(app):
        @app.post("/tasks/{task_id}/reopen", response_model=TaskPublic)
        def reopen_task(task_id: int, uow: UnitOfWorkDep):
            find_task(uow, task_id)
            return uow.tasks.update(task_id, done=False)

    assert q3.evaluate(stub).status == NOT_ATTEMPTED
    assert q3.evaluate(forgets_commit).status == INCORRECT
    assert q3.evaluate(solution).status == CORRECT
    get_route = q3.evaluate(as_get)
    assert get_route.status == INCORRECT and get_route.expected == 200 and get_route.got == 405
    not_stored = q3.evaluate(only_answers)
    assert not_stored.status == INCORRECT and not_stored.request == "GET /tasks/1"
