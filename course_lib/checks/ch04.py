"""Checks for chapter 04 — resources by nouns."""

from __future__ import annotations

import re

from pydantic import BaseModel

from course_lib.notebook.exercises import Exercise, Incorrect, NotAttempted, expect_equal, expect_header, expect_status
from course_lib.notebook.server import serving
from course_lib.taskapi import ch04_resources

OPERATION_REQUEST = {
    "list every task": "GET /tasks",
    "create a task": "POST /tasks",
    "read task 7": "GET /tasks/7",
    "replace task 7 with a complete new version": "PUT /tasks/7",
    "change only the title of task 7": "PATCH /tasks/7",
    "delete task 7": "DELETE /tasks/7",
    "list the tasks of user 3": "GET /users/3/tasks",
    "mark task 7 done, as an action": "POST /tasks/7/complete",
}
VERBS = re.compile(r"/(get|create|add|new|update|edit|delete|remove|list|fetch)", re.IGNORECASE)


def _normal(request: str) -> str:
    method, _, path = request.strip().partition(" ")
    return f"{method.upper()} {path.strip().rstrip('/') or '/'}"


def _test_design(answer: dict) -> None:
    if not isinstance(answer, dict):
        raise Incorrect("`request_for` should be a dict from each operation to 'METHOD /path'.",
                        expected="dict", got=type(answer).__name__)
    if all(value is None for value in answer.values()):
        raise NotAttempted
    for operation, expected in OPERATION_REQUEST.items():
        got = answer.get(operation)
        if not isinstance(got, str):
            raise Incorrect(f"no request for {operation!r} yet: write it as 'METHOD /path'.", expected=expected,
                            got=got)
        if VERBS.search(got.partition(" ")[2]):
            raise Incorrect(f"{operation!r}: the path names a verb. Paths name resources (nouns); the method is "
                            "the verb.", expected=expected, got=got)
        if _normal(got) != expected:
            raise Incorrect(f"not the request for {operation!r}.", expected=expected, got=got)


q1 = Exercise(
    "ch04.q1", "Design the requests", _test_design,
    hint="A collection is /tasks, one member is /tasks/{id}, a user's tasks are /users/{id}/tasks. GET reads, "
         "POST creates (or runs an action), PUT replaces, PATCH changes some fields, DELETE removes.",
)


class NoteUpdate(BaseModel):
    """The body of PATCH /notes/{note_id}: every field optional."""

    text: str | None = None
    done: bool | None = None


def _test_patch_note(add_patch_note) -> None:
    from fastapi import FastAPI

    app = FastAPI()
    notes = {1: {"text": "buy milk", "done": False}}
    add_patch_note(app, notes)
    with serving(app) as server:
        done = server.patch("/notes/1", json={"done": True})
        expect_status(done, 200, "PATCH on an existing note should answer 200 with the note.")
        expect_equal(notes[1], {"text": "buy milk", "done": True},
                     "after PATCH {'done': true}, only `done` should change: the text stays 'buy milk'.",
                     request="PATCH /notes/1 {'done': true}")
        body = done.json()
        if not isinstance(body, dict) or body.get("text") != "buy milk" or body.get("done") is not True:
            raise Incorrect("the response should be the note as it is now.", request="PATCH /notes/1",
                            expected={"id": 1, "text": "buy milk", "done": True}, got=body)
        renamed = server.patch("/notes/1", json={"text": "buy oat milk"})
        expect_status(renamed, 200)
        expect_equal(notes[1], {"text": "buy oat milk", "done": True},
                     "after PATCH {'text': ...}, `done` should keep its value (true).",
                     request="PATCH /notes/1 {'text': 'buy oat milk'}")
        missing = server.patch("/notes/99", json={"done": True})
        expect_status(missing, 404, "PATCH on a note that does not exist should answer 404.")


q2 = Exercise(
    "ch04.q2", "PATCH changes only what was sent", _test_patch_note,
    hint="body.model_dump(exclude_unset=True) holds only the fields the client sent; update the note with it. "
         "Raise HTTPException(404) when the id is not in `notes`.",
)


def _test_reopen(add_reopen_route) -> None:
    app = ch04_resources.create_app()
    add_reopen_route(app)
    with serving(app) as server:
        task_id = server.post("/tasks", json={"title": "ship it"}).json()["id"]
        server.post(f"/tasks/{task_id}/complete")
        reopened = server.post(f"/tasks/{task_id}/reopen")
        expect_status(reopened, 200, "POST /tasks/{id}/reopen on an existing task should answer 200 with the task.")
        expect_equal(reopened.json().get("done"), False, "the reopened task should have done: false.",
                     request=f"POST /tasks/{task_id}/reopen")
        expect_equal(server.get(f"/tasks/{task_id}").json()["done"], False,
                     "the change must be stored: GET the task afterwards and it is still open.",
                     request=f"GET /tasks/{task_id}")
        expect_equal(set(reopened.json()), set(server.get(f"/tasks/{task_id}").json()),
                     "answer with the task's full representation (response_model=TaskPublic).",
                     request=f"POST /tasks/{task_id}/reopen")
        expect_status(server.post("/tasks/99/reopen"), 404, "reopening a task that does not exist should be 404.")
        wrong_method = server.get(f"/tasks/{task_id}/reopen")
        expect_status(wrong_method, 405, "an action changes state, so it is POST only: GET should be 405.")
        allow = expect_header(wrong_method, "allow")
        if "POST" not in allow:
            raise Incorrect("the 405's Allow header should list POST.", request=f"GET /tasks/{task_id}/reopen",
                            expected="POST, OPTIONS", got=allow)


q3 = Exercise(
    "ch04.q3", "An action route: reopen", _test_reopen,
    hint="@app.post('/tasks/{task_id}/reopen', response_model=TaskPublic); take `tasks: TasksDep`; "
         "find_task(tasks, task_id) gives 404 for you; tasks.update(task_id, done=False) stores the change.",
)
