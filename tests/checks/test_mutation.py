"""Mutation tests of the chapter 00–03 checkers: every mutant of a solution that changes behaviour is Incorrect.

Each exercise's solution cell is mutated (tests/checks/mutants.py) and run in a namespace prepared as the notebook
prepares it (SETUP: the earlier cells it needs). A surviving mutant is a wrong answer the check calls Correct — unless
it is listed in EQUIVALENT with the reason it is not wrong. Run with -n auto to spread the exercises over cores.
"""


import pytest

from tests.checks.mutants import (
    assert_every_behaviour_changing_mutant_is_incorrect,
    assert_solution_correct_outside_utc,
    solution_cell,
)

SETUP = {  # what the notebook has run before each solution cell, beyond the cell's own imports
    "ch00.q1": "",
    "ch00.q2": "from course_lib.notebook.server import serve\n"
               "from course_lib.taskapi import ch00_health\n"
               "api = serve(ch00_health.create_app(), name='mutants')\n",
    "ch00.q3": "",
    "ch01.q1": "",
    "ch01.q2": "",
    "ch01.q3": "",
    "ch02.q1": "",
    "ch02.q2": "",
    "ch02.q3": solution_cell("ch02.q2").source,  # add_notes_route may use the learner's choose_media_type
    "ch03.q1": "",
    "ch03.q2": "import httpx\nfrom course_lib.lab.lossy import new_key\n",
    "ch03.q3": "",
}

FREE_TEXT = "the text of an error's detail is free; the check asserts the status"
EQUIVALENT = {  # mutant description → why it is a right answer too
    "ch01.q1": {
        r"constant: `' HTTP/1.1\r\nHost: '` → `' HTTP/1.1\r\nHost:'` in "
        r"`return f" + '"' + r"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n…`":
            "the space after a header's colon is optional whitespace (RFC 9112 §5.1)",
    },
    "ch01.q3": {
        "statement removed: `return Response(status_code=204)` → `pass`":
            "with status_code=204 FastAPI answers a None return with an empty 204",
        "return value: `return Response(status_code=204)` → `return None`":
            "with status_code=204 FastAPI answers a None return with an empty 204",
        "keyword removed: `status_code=204` from `app.delete('/notes/{note_id}', status_code=204)`":
            "the returned Response(status_code=204) sets the status; the decorator's code only documents it",
        "constant: `204` → `205` in `@app.delete(\"/notes/{note_id}\", status_code=204)`":
            "the returned Response(status_code=204) sets the status; the decorator's code only documents it",
        "constant: `204` → `203` in `@app.delete(\"/notes/{note_id}\", status_code=204)`":
            "the returned Response(status_code=204) sets the status; the decorator's code only documents it",
        "constant: `'note '` → `'note'` in `raise HTTPException(404, f\"note {note_id} not found\")`": FREE_TEXT,
        "constant: `' not found'` → `' not foun'` in `raise HTTPException(404, f\"note {note_id} not found\")`":
            FREE_TEXT,
        "parameter → literal: `note_id` → `2` in `raise HTTPException(404, f\"note {note_id} not found\")`":
            FREE_TEXT,
    },
    "ch02.q2": {
        "constant: `0.0` → `-1.0` in `best, q_best = -1, 0.0`":
            "a type no range matches is refused either way: its weight is not above 0",
        "constant: `1` → `2` in `best, q_best = -1, 0.0`": "any start below 0, the rank of */*, works",
        "comparison: `rank > best` → `rank >= best`":
            "differs only when an Accept repeats one range with two weights, which RFC 9110 leaves undefined",
        "constant: `2` → `3` in `rank = 2`": "only the order exact > type/* > */* matters, not the numbers",
    },
    "ch02.q3": {
        "constant: `'available: application/json, text/csv'` → `'available: application/json, text/cs'` in "
        "`raise HTTPException(406, \"available: application/json, text/csv\")`": FREE_TEXT,
    },
    "ch03.q2": {
        "statement removed: `raise RuntimeError('no response after every attempt')` → `pass`":
            "what to do when every attempt fails is not asked: the check's network delivers the third response",
        "constant: `'no response after every attempt'` → `'no response after every attemp'` in "
        "`raise RuntimeError(\"no response after every attempt\")`": FREE_TEXT,
        "constant: `5` → `6` in `for _ in range(5):`": "any number of attempts from 3 up outlasts 2 lost responses",
        "constant: `5` → `4` in `for _ in range(5):`": "any number of attempts from 3 up outlasts 2 lost responses",
        "constant: `'\"'` → `''` in `response = client.post(\"/tasks\", json={\"title\": title}, headers={\"Ide…`":
            "the course's idempotency middleware accepts a bare key as well as the draft's quoted string",
        "constant: `'\"'` → `''` in `response = client.post(\"/tasks\", json={\"title\": title}, headers={\"Ide…` (#2)":
            "the course's idempotency middleware accepts a bare key as well as the draft's quoted string",
    },
}


@pytest.mark.parametrize("exercise_id", sorted(SETUP))
def test_every_behaviour_changing_mutant_is_incorrect(exercise_id, capsys):
    with capsys.disabled():
        assert_every_behaviour_changing_mutant_is_incorrect(exercise_id, SETUP[exercise_id],
                                                            EQUIVALENT.get(exercise_id, {}), print_inline)


@pytest.mark.parametrize("exercise_id", sorted(SETUP))
def test_the_solution_is_correct_outside_utc(exercise_id):
    assert_solution_correct_outside_utc(exercise_id, SETUP[exercise_id])


def print_inline(text: str) -> None:
    """The mutation score on the test's own line of pytest's output."""
    print(text, end="")
