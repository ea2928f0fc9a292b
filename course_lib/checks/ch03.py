"""Checks for chapter 03 — safe and idempotent methods."""

from __future__ import annotations

import httpx

from course_lib.lab.lossy import LoseResponses
from course_lib.notebook.exercises import Exercise, Incorrect, NotAttempted, expect_equal
from course_lib.notebook.server import serving
from course_lib.taskapi import ch03_idempotency

METHOD_PROPERTIES = {
    "GET": {"safe": True, "idempotent": True},
    "HEAD": {"safe": True, "idempotent": True},
    "OPTIONS": {"safe": True, "idempotent": True},
    "PUT": {"safe": False, "idempotent": True},
    "DELETE": {"safe": False, "idempotent": True},
    "POST": {"safe": False, "idempotent": False},
    "PATCH": {"safe": False, "idempotent": False},
}


def _test_properties(answer: dict) -> None:
    if not isinstance(answer, dict):
        raise Incorrect(
            "`properties` should be a dict from each method to {'safe': ..., 'idempotent': ...}.",
            expected="dict",
            got=type(answer).__name__,
        )
    if all(value is None or value == {"safe": None, "idempotent": None} for value in answer.values()):
        raise NotAttempted
    for method, expected in METHOD_PROPERTIES.items():
        got = answer.get(method)
        if not isinstance(got, dict) or None in (got.get("safe"), got.get("idempotent")):
            raise Incorrect(f"{method} still needs both answers.", expected=expected, got=got)
        for word, why in (
            ("safe", "a safe method changes nothing on the server"),
            ("idempotent", "idempotent: sending it twice leaves the same state as sending it once"),
        ):
            if got[word] != expected[word]:
                raise Incorrect(
                    f"is {method} {word}? Remember: {why}.",
                    request=f"{method} /tasks/1",
                    expected={word: expected[word]},
                    got={word: got[word]},
                )


q1 = Exercise(
    "ch03.q1",
    "Safe, idempotent, neither",
    _test_properties,
    hint="Safe ⇒ idempotent (doing nothing twice is still nothing). PUT and DELETE set a state, so repeating them "
    "changes nothing more; POST and PATCH (in general, e.g. 'append', 'increment') do not have to be.",
)

LOST = 2  # responses the network loses before one arrives: 3 attempts are enough, 2 are not
TITLES = ("pay the rent", "water the plants")  # two tasks: one key or one title typed in cannot create both


def _test_reliable_create(create_task_reliably) -> None:
    app = ch03_idempotency.create_app()
    with serving(app) as server:
        created = []
        for title in TITLES:
            with httpx.Client(base_url=server.url, transport=LoseResponses(lost=LOST)) as client:
                created.append(create_task_reliably(client, title))
        titles = [task["title"] for task in server.get("/tasks").json()]
    for title, task in zip(TITLES, created, strict=True):
        request = f"create_task_reliably(client, {title!r})"
        if not isinstance(task, dict):
            raise Incorrect(
                "return the created task: the JSON body of the 201 (response.json()).",
                request=request,
                expected=f"a dict like {{'id': 1, 'title': {title!r}, 'done': False}}",
                got=task,
            )
        expect_equal(
            task.get("title"),
            title,
            "the returned task should be the one you created (a second task "
            "needs its own Idempotency-Key: one key is one request).",
            request=request,
        )
        expect_equal(
            titles.count(title),
            1,
            f"the network lost the first {LOST} responses, and your retries did not create the task "
            "exactly once. Send the same Idempotency-Key on every attempt.",
            request=request,
        )


q2 = Exercise(
    "ch03.q2",
    "Retry a POST safely",
    _test_reliable_create,
    hint='Make one key (new_key()) before the loop, send it on every attempt as Idempotency-Key: "<key>", retry on '
    "httpx.TransportError, and return response.json() once a response arrives.",
)

DONE = {"state": "done", "fingerprint": "f1", "response": {"status": 201}}
DECISION_CASES = [  # every state with the same and another fingerprint, and fingerprints that vary
    (None, "f1", "run", "a key never seen: claim it and run the request"),
    (None, "9c2e", "run", "a key never seen: claim it and run the request"),
    ({"state": "in_flight", "fingerprint": "f1"}, "f1", 409, "the first request with this key is still running"),
    ({"state": "in_flight", "fingerprint": "9c2e"}, "9c2e", 409, "the first request with this key is still running"),
    ({"state": "in_flight", "fingerprint": "f1"}, "f2", 422, "the key is in use for a different request"),
    (DONE, "f1", "replay", "the same request again, after it completed"),
    ({**DONE, "fingerprint": "9c2e"}, "9c2e", "replay", "the same request again, after it completed"),
    (DONE, "f2", 422, "the key was used for a different request"),
    ({**DONE, "fingerprint": "9c2e"}, "f1", 422, "the key was used for a different request"),
]


def _test_decide(decide) -> None:
    for record, request_fingerprint, expected, situation in DECISION_CASES:
        got = decide(None if record is None else dict(record), request_fingerprint)
        expect_equal(
            got,
            expected,
            f"{situation}: the wrong decision.",
            request=f"POST with a key; stored record {record}, request fingerprint {request_fingerprint!r}",
        )


q3 = Exercise(
    "ch03.q3",
    "The Idempotency-Key decision",
    _test_decide,
    hint="No record → 'run'. A different fingerprint → 422, whatever the state. Same fingerprint: in flight → 409, "
    "done → 'replay'.",
)
