"""Checks for chapter 04 — resources by nouns."""

from __future__ import annotations

import re

from pydantic import BaseModel

from course_lib.notebook import exercises
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
        raise Incorrect(
            "`request_for` should be a dict from each operation to 'METHOD /path'.",
            expected="dict",
            got=type(answer).__name__,
        )
    if all(value is None for value in answer.values()):
        raise NotAttempted
    for operation, expected in OPERATION_REQUEST.items():
        got = answer.get(operation)
        if not isinstance(got, str):
            raise Incorrect(
                f"no request for {operation!r} yet: write it as 'METHOD /path'.", expected=expected, got=got
            )
        if VERBS.search(got.partition(" ")[2]):
            raise Incorrect(
                f"{operation!r}: the path names a verb. Paths name resources (nouns); the method is the verb.",
                expected=expected,
                got=got,
            )
        if _normal(got) != expected:
            raise Incorrect(f"not the request for {operation!r}.", expected=expected, got=got)


q1 = Exercise(
    "ch04.q1",
    "Design the requests",
    _test_design,
    hint="A collection is /tasks, one member is /tasks/{id}, a user's tasks are /users/{id}/tasks. GET reads, "
    "POST creates (or runs an action), PUT replaces, PATCH changes some fields, DELETE removes.",
)


class NoteUpdate(BaseModel):
    """The body of PATCH /notes/{note_id}: every field optional."""

    text: str | None = None
    done: bool | None = None


NOTES = {
    1: {"text": "buy milk", "done": False},
    2: {"text": "call Bob", "done": True},
    5: {"text": "water plants", "done": False},
}
# Each step: the note, the body sent, and the note afterwards. Falsy values (false, "") must be applied too, a body
# may name both fields or none, and the other notes must never change.
PATCH_STEPS = [
    (5, {"done": True}, {"text": "water plants", "done": True}),
    (5, {"text": "water the plants"}, {"text": "water the plants", "done": True}),
    (2, {"done": False}, {"text": "call Bob", "done": False}),
    (1, {"text": ""}, {"text": "", "done": False}),
    (1, {"text": "buy oat milk", "done": True}, {"text": "buy oat milk", "done": True}),
    (2, {}, {"text": "call Bob", "done": False}),
]


def _test_patch_note(add_patch_note) -> None:
    from fastapi import FastAPI

    app = FastAPI()
    notes = {note_id: dict(note) for note_id, note in NOTES.items()}
    expected = {note_id: dict(note) for note_id, note in NOTES.items()}
    add_patch_note(app, notes)
    with serving(app) as server:
        for note_id, sent, after in PATCH_STEPS:
            request = f"PATCH /notes/{note_id} {sent}"
            response = server.patch(f"/notes/{note_id}", json=sent)
            expect_status(
                response, 200, f"PATCH on an existing note should answer 200 with the note, got {response.status_code}."
            )
            expected[note_id] = after
            expect_equal(
                notes,
                expected,
                'only the fields sent may change (false and "" are values too), and '
                "only in the note named in the path.",
                request=request,
            )
            expect_equal(
                response.json(),
                {"id": note_id, **after},
                "the response should be the note as it is now, with its id.",
                request=request,
            )
        for note_id in (3, 99):
            missing = server.patch(f"/notes/{note_id}", json={"done": True})
            expect_status(missing, 404, f"PATCH on note {note_id}, which does not exist, should answer 404.")
        expect_equal(
            notes, expected, "a PATCH of a note that does not exist must not create it.", request="PATCH /notes/3"
        )
    # Another app with other notes: the route must look in the `notes` it was given, not in ids it has seen.
    app, other = FastAPI(), {7: {"text": "book flights", "done": False}}
    add_patch_note(app, other)
    with serving(app) as server:
        moved = server.patch("/notes/7", json={"done": True})
        expect_status(moved, 200, "PATCH /notes/7 on an app whose notes are {7: ...} should answer 200.")
        expect_equal(
            other,
            {7: {"text": "book flights", "done": True}},
            "only the fields sent may change.",
            request="PATCH /notes/7 {'done': True}",
        )
        expect_status(
            server.patch("/notes/1", json={"done": True}),
            404,
            "PATCH /notes/1 on an app whose notes are {7: ...} should answer 404.",
        )


q2 = Exercise(
    "ch04.q2",
    "PATCH changes only what was sent",
    _test_patch_note,
    hint="body.model_dump(exclude_unset=True) holds only the fields the client sent; update the note with it. "
    "Raise HTTPException(404) when the id is not in `notes`.",
)


def _settled(task: dict) -> dict:
    """A task's representation without updated_at, which every write may move."""
    return {name: value for name, value in task.items() if name != "updated_at"}


def _test_reopen(add_reopen_route) -> None:
    app = ch04_resources.create_app()
    add_reopen_route(app)
    with serving(app) as server:
        ids = [
            server.post("/tasks", json={"title": title}).json()["id"]
            for title in ("write tests", "ship it", "celebrate", "tidy up")
        ]
        first, shipped, party, gone = ids
        for task_id in (first, shipped):
            server.post(f"/tasks/{task_id}/complete")
        server.delete(f"/tasks/{gone}")
        # `party` is open already: reopening it is no change, and still 200 with done false (not a toggle).
        for task_id in (shipped, party, first):
            before = _settled(server.get(f"/tasks/{task_id}").json())
            reopened = server.post(f"/tasks/{task_id}/reopen")
            request = f"POST /tasks/{task_id}/reopen"
            expect_status(
                reopened,
                200,
                f"{request} on an existing task should answer 200 with the task"
                + (" (it was open already: reopening it changes nothing)." if task_id == party else "."),
            )
            stored = server.get(f"/tasks/{task_id}").json()
            expect_equal(
                _settled(stored),
                {**before, "done": False},
                "after reopen the stored task has done: false and nothing else changed: GET it afterwards.",
                request=request,
            )
            expect_equal(
                reopened.json(),
                stored,
                "answer with the task's full representation as stored (response_model=TaskPublic).",
                request=request,
            )
            if task_id == shipped:
                expect_equal(
                    server.get(f"/tasks/{first}").json().get("done"),
                    True,
                    "reopening one task must not touch another: reopen the task named in the path.",
                    request=request,
                )
        for task_id in (gone, gone + 100):
            expect_status(
                server.post(f"/tasks/{task_id}/reopen"),
                404,
                f"reopening task {task_id}, which does not exist, should be 404.",
            )
        wrong_method = server.get(f"/tasks/{first}/reopen")
        expect_status(wrong_method, 405, "an action changes state, so it is POST only: GET should be 405.")
        expect_header(wrong_method, "allow")
        if "post" not in exercises.header_tokens(wrong_method, "allow"):
            raise Incorrect(
                "the 405's Allow header should list POST.",
                request=f"GET /tasks/{first}/reopen",
                expected="POST",
                got=wrong_method.headers["allow"],
            )


q3 = Exercise(
    "ch04.q3",
    "An action route: reopen",
    _test_reopen,
    hint="@app.post('/tasks/{task_id}/reopen', response_model=TaskPublic); take `write: Writes`; "
    "write.change(task_id, lambda task: {'done': False}) gives 404 for you, writes and commits.",
)
