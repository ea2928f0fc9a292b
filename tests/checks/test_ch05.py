"""Each checker against its stub, its solution and known-wrong answers."""

from typing import Annotated

from fastapi import Depends, Header, HTTPException

from course_lib.checks.ch05 import q1, q2, q3
from course_lib.lab.contract import Case
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED

SOLUTION_CASES = [
    Case("delete without a key", "DELETE", "/tasks/{task}", 401),
    Case("delete someone else's task", "DELETE", "/tasks/{task}", 403, key="bob_key"),
    Case("delete own task", "DELETE", "/tasks/{task}", 204, key="ada_key"),
    Case("delete it again", "DELETE", "/tasks/{task}", 404, key="ada_key"),
]


def test_q1_delete_cases():
    assert q1.evaluate(None).status == NOT_ATTEMPTED
    assert q1.evaluate(SOLUTION_CASES).status == CORRECT
    assert q1.evaluate([]).status == INCORRECT
    assert q1.evaluate(SOLUTION_CASES[:3]).status == INCORRECT
    deleted_first = [SOLUTION_CASES[2], SOLUTION_CASES[1], SOLUTION_CASES[0], SOLUTION_CASES[3]]
    wrong_order = q1.evaluate(deleted_first)
    assert wrong_order.status == INCORRECT and wrong_order.expected == 403 and wrong_order.got == 404
    hides = [*SOLUTION_CASES[:1], Case("bob", "DELETE", "/tasks/{task}", 404, key="bob_key"), *SOLUTION_CASES[1:]]
    result = q1.evaluate(hides)
    assert result.status == INCORRECT and result.request == "DELETE /tasks/1" and result.got == 403
    assert q1.evaluate([Case("get", "GET", "/tasks", 200)]).status == INCORRECT


def test_q2_whoami():
    def stub(app, keys):
        raise NotImplementedError

    def solution(app, keys):
        def current_name(x_api_key: str | None = Header(default=None)) -> str:
            if x_api_key not in keys:
                raise HTTPException(401, headers={"WWW-Authenticate": "ApiKey"})
            return keys[x_api_key]

        @app.get("/whoami")
        def whoami(name: Annotated[str, Depends(current_name)]) -> dict:
            return {"name": name}

    def forbidden_for_unknown(app, keys):
        @app.get("/whoami")
        def whoami(x_api_key: str | None = Header(default=None)) -> dict:
            if x_api_key is None:
                raise HTTPException(401, headers={"WWW-Authenticate": "ApiKey"})
            if x_api_key not in keys:
                raise HTTPException(403)
            return {"name": keys[x_api_key]}

    def no_challenge(app, keys):
        @app.get("/whoami")
        def whoami(x_api_key: str | None = Header(default=None)) -> dict:
            if x_api_key not in keys:
                raise HTTPException(401)
            return {"name": keys[x_api_key]}

    assert q2.evaluate(stub).status == NOT_ATTEMPTED
    assert q2.evaluate(solution).status == CORRECT
    forbidden = q2.evaluate(forbidden_for_unknown)
    assert forbidden.status == INCORRECT and forbidden.expected == 401 and forbidden.got == 403
    challenge = q2.evaluate(no_challenge)
    assert challenge.status == INCORRECT and "WWW-Authenticate" in challenge.message


def test_q3_secured_operations():
    def stub(openapi):
        raise NotImplementedError

    def solution(openapi):
        return {f"{m.upper()} {p}" for p, ops in openapi["paths"].items() for m, op in ops.items()
                if op.get("security")}

    def every_write(openapi):
        return {f"{m.upper()} {p}" for p, ops in openapi["paths"].items() for m in ops if m != "get"}

    assert q3.evaluate(stub).status == NOT_ATTEMPTED
    assert q3.evaluate(solution).status == CORRECT
    wrong = q3.evaluate(every_write)
    assert wrong.status == INCORRECT and "POST /users" in wrong.message
    assert q3.evaluate(lambda openapi: "POST /tasks").status == INCORRECT
