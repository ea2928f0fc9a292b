"""Each checker against its stub, its solution and known-wrong answers."""

import httpx

from course_lib.checks.ch03 import METHOD_PROPERTIES, q1, q2, q3
from course_lib.lab.lossy import new_key
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED


def test_q1_method_properties():
    stub = {method: {"safe": None, "idempotent": None} for method in METHOD_PROPERTIES}
    assert q1.evaluate(stub).status == NOT_ATTEMPTED
    assert q1.evaluate({m: dict(p) for m, p in METHOD_PROPERTIES.items()}).status == CORRECT
    post_idempotent = {**METHOD_PROPERTIES, "POST": {"safe": False, "idempotent": True}}
    wrong = q1.evaluate(post_idempotent)
    assert wrong.status == INCORRECT and wrong.request == "POST /tasks/1"
    assert wrong.expected == {"idempotent": False} and wrong.got == {"idempotent": True}
    assert q1.evaluate({**METHOD_PROPERTIES, "DELETE": {"safe": True, "idempotent": True}}).status == INCORRECT
    assert q1.evaluate({**stub, "GET": {"safe": True, "idempotent": True}}).status == INCORRECT


def solution(client, title, attempts=5):
    key = new_key()
    for _ in range(attempts):
        try:
            response = client.post("/tasks", json={"title": title}, headers={"Idempotency-Key": f'"{key}"'})
        except httpx.TransportError:
            continue
        return response.json()
    raise RuntimeError("no response")


def test_q2_reliable_create():
    def stub(client, title):
        raise NotImplementedError

    def retries_without_key(client, title):
        for _ in range(5):
            try:
                return client.post("/tasks", json={"title": title}).json()
            except httpx.TransportError:
                continue

    def new_key_per_attempt(client, title):
        for _ in range(5):
            try:
                return client.post("/tasks", json={"title": title}, headers={"Idempotency-Key": new_key()}).json()
            except httpx.TransportError:
                continue

    def no_retry(client, title):
        return client.post("/tasks", json={"title": title}).json()

    assert q2.evaluate(stub).status == NOT_ATTEMPTED
    assert q2.evaluate(solution).status == CORRECT
    duplicated = q2.evaluate(retries_without_key)
    assert duplicated.status == INCORRECT and duplicated.expected == 1 and duplicated.got == 3
    assert q2.evaluate(new_key_per_attempt).status == INCORRECT
    gave_up = q2.evaluate(no_retry)
    assert gave_up.status == INCORRECT and "ReadError" in gave_up.message
    assert "It raised when called as no_retry(<Client>, 'pay the rent')." in gave_up.lines()


def test_q2_one_key_for_every_task_is_incorrect():
    def fixed_key(client, title):
        for _ in range(5):
            try:
                return client.post("/tasks", json={"title": title}, headers={"Idempotency-Key": '"k1"'}).json()
            except httpx.TransportError:
                continue

    wrong = q2.evaluate(fixed_key)
    assert wrong.status == INCORRECT and wrong.request == "create_task_reliably(client, 'water the plants')"


def test_q2_three_attempts_are_enough_two_are_not():
    assert q2.evaluate(lambda client, title: solution(client, title, attempts=3)).status == CORRECT
    assert q2.evaluate(lambda client, title: solution(client, title, attempts=2)).status == INCORRECT


def test_q3_decision():
    def stub(record, fingerprint):
        raise NotImplementedError

    def decide(record, fingerprint):
        if record is None:
            return "run"
        if record["fingerprint"] != fingerprint:
            return 422
        return 409 if record["state"] == "in_flight" else "replay"

    def state_before_fingerprint(record, fingerprint):
        if record is None:
            return "run"
        if record["state"] == "in_flight":
            return 409
        return "replay" if record["fingerprint"] == fingerprint else 422

    assert q3.evaluate(stub).status == NOT_ATTEMPTED
    assert q3.evaluate(decide).status == CORRECT
    wrong = q3.evaluate(state_before_fingerprint)
    assert wrong.status == INCORRECT and wrong.expected == 422 and wrong.got == 409
    assert q3.evaluate(lambda record, fingerprint: "run").status == INCORRECT

    def knows_only_f1(record, fingerprint):
        if record is None:
            return "run"
        if fingerprint != "f1":
            return 422
        return 409 if record["state"] == "in_flight" else "replay"

    typed_in = q3.evaluate(knows_only_f1)
    assert typed_in.status == INCORRECT and typed_in.expected == 409 and typed_in.got == 422
