"""Each checker against its stub, its solution, valid alternatives and plausible wrong answers."""

import hashlib
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, Header, HTTPException, Security
from fastapi.security import APIKeyHeader

from course_lib.checks.ch05 import NOTES_OPENAPI, q1, q2, q3
from course_lib.lab.contract import Case
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED

NO_KEY = Case("delete without a key", "DELETE", "/tasks/{task}", 401)
OTHERS = Case("delete someone else's task", "DELETE", "/tasks/{task}", 403, key="bob_key")
OWN = Case("delete own task", "DELETE", "/tasks/{task}", 204, key="ada_key")
AGAIN = Case("delete it again", "DELETE", "/tasks/{task}", 404, key="ada_key")
SOLUTION_CASES = [NO_KEY, OTHERS, OWN, AGAIN]


def test_q1_delete_cases():
    assert q1.evaluate(None).status == NOT_ATTEMPTED
    assert q1.evaluate(SOLUTION_CASES).status == CORRECT
    assert q1.evaluate([]).status == INCORRECT
    assert q1.evaluate(SOLUTION_CASES[:3]).status == INCORRECT
    wrong_order = q1.evaluate([OWN, OTHERS, NO_KEY, AGAIN])
    assert wrong_order.status == INCORRECT and wrong_order.expected == 403 and wrong_order.got == 404
    hides = [NO_KEY, Case("bob", "DELETE", "/tasks/{task}", 404, key="bob_key"), OTHERS, OWN, AGAIN]
    result = q1.evaluate(hides)
    assert result.status == INCORRECT and result.request == "DELETE /tasks/1" and result.got == 403
    assert q1.evaluate([Case("get", "GET", "/tasks", 200)]).status == INCORRECT


@pytest.mark.parametrize(
    "cases",
    [
        [NO_KEY, OTHERS, OWN, Case("unknown task", "DELETE", "/tasks/999999", 404, key="ada_key")],
        [Case("unknown task first", "DELETE", "/tasks/424242", 404, key="bob_key"), OTHERS, NO_KEY, OWN],
        [Case("a key nobody has", "DELETE", "/tasks/{task}", 401, headers={"X-API-Key": "nope"}), OTHERS, OWN, AGAIN],
        [*SOLUTION_CASES, Case("no key on a missing task", "DELETE", "/tasks/{task}", 401)],
    ],
)
def test_q1_valid_alternatives(cases):
    assert q1.evaluate(cases).status == CORRECT


@pytest.mark.parametrize(
    "cases",
    [
        [
            Case("no key", "DELETE", "/tasks/1", 401),
            Case("bob", "DELETE", "/tasks/1", 403, key="bob_key"),
            Case("ada", "DELETE", "/tasks/1", 204, key="ada_key"),
            Case("again", "DELETE", "/tasks/1", 404, key="ada_key"),
        ],
        [NO_KEY, OTHERS, Case("own, by a fixed id", "DELETE", "/tasks/1", 204, key="ada_key"), AGAIN],
        [Case("no key", "DELETE", "/tasks", 401), OTHERS, OWN, AGAIN],
        [Case("no key", "DELETE", "/users/{task}", 401), OTHERS, OWN, AGAIN],
        [NO_KEY, Case("bob, no key", "DELETE", "/tasks/{task}", 403), OWN, AGAIN],
        [NO_KEY, Case("ada as someone else", "DELETE", "/tasks/{task}", 403, key="ada_key"), OWN, AGAIN],
        [NO_KEY, OTHERS, Case("own, no key", "DELETE", "/tasks/{task}", 204), AGAIN],
        [NO_KEY, OTHERS, OWN, Case("again, no key", "DELETE", "/tasks/{task}", 404)],
        [NO_KEY, OTHERS, OWN, AGAIN, Case("delete answers 200", "DELETE", "/tasks/{task}", 200, key="ada_key")],
        [NO_KEY, OTHERS, OWN, Case("gone is 410", "DELETE", "/tasks/{task}", 410, key="ada_key")],
        [Case("no key", "POST", "/tasks/{task}", 401), OTHERS, OWN, AGAIN],
    ],
)
def test_q1_wrong_contracts(cases):
    assert q1.evaluate(cases).status == INCORRECT


def _whoami_with(check):
    """An add_whoami whose dependency is check(keys, x_api_key) -> name."""

    def add_whoami(app, keys):
        def current_name(x_api_key: str | None = Header(default=None)) -> str:
            return check(keys, x_api_key)

        @app.get("/whoami")
        def whoami(name: Annotated[str, Depends(current_name)]) -> dict:
            return {"name": name}

    return add_whoami


def sha(key):
    return hashlib.sha256(key.encode()).hexdigest() if key is not None else None


def _known(keys, key):
    if sha(key) not in keys:
        raise HTTPException(401, headers={"WWW-Authenticate": "ApiKey"})
    return keys[sha(key)]


def _raw_lookup(keys, key):  # the keys are digests: no raw key is ever found
    if key not in keys:
        raise HTTPException(401, headers={"WWW-Authenticate": "ApiKey"})
    return keys[key]


def _digest_opens_too(keys, key):  # a leaked table's digest logs in
    if key in keys:
        return keys[key]
    return _known(keys, key)


def _always_ada(keys, key):
    if sha(key) not in keys:
        raise HTTPException(401, headers={"WWW-Authenticate": "ApiKey"})
    return "Ada"


def _ignores_case(keys, key):
    if key is None:
        raise HTTPException(401, headers={"WWW-Authenticate": "ApiKey"})
    for candidate in (key, key.lower(), key.upper(), "tk_" + key[3:].lower()):
        if sha(candidate) in keys:
            return keys[sha(candidate)]
    raise HTTPException(401, headers={"WWW-Authenticate": "ApiKey"})


def _prefix(keys, key):
    for known in ("tk_ada", "tk_bob"):
        if key and (known.startswith(key) or key.startswith(known)):
            return keys[sha(known)]
    return _known(keys, key)


def _by_name(keys, key):
    if key in keys.values():
        return key
    return _known(keys, key)


def _empty_challenge(keys, key):
    if sha(key) not in keys:
        raise HTTPException(401, headers={"WWW-Authenticate": ""})
    return keys[sha(key)]


def _ada_or_bob(keys, key):
    if key == "tk_ada":
        return "Ada"
    if key == "tk_bob":
        return "Bob"
    raise HTTPException(401, headers={"WWW-Authenticate": "ApiKey"})


def _challenge_on_missing_only(keys, key):
    if key is None:
        raise HTTPException(401, headers={"WWW-Authenticate": "ApiKey"})
    if sha(key) not in keys:
        raise HTTPException(401)
    return keys[sha(key)]


def test_q2_whoami():
    def stub(app, keys):
        raise NotImplementedError

    def forbidden_for_unknown(app, keys):
        @app.get("/whoami")
        def whoami(x_api_key: str | None = Header(default=None)) -> dict:
            if x_api_key is None:
                raise HTTPException(401, headers={"WWW-Authenticate": "ApiKey"})
            if sha(x_api_key) not in keys:
                raise HTTPException(403)
            return {"name": keys[sha(x_api_key)]}

    def no_challenge(app, keys):
        @app.get("/whoami")
        def whoami(x_api_key: str | None = Header(default=None)) -> dict:
            if sha(x_api_key) not in keys:
                raise HTTPException(401)
            return {"name": keys[sha(x_api_key)]}

    assert q2.evaluate(stub).status == NOT_ATTEMPTED
    assert q2.evaluate(_whoami_with(_known)).status == CORRECT
    forbidden = q2.evaluate(forbidden_for_unknown)
    assert forbidden.status == INCORRECT and forbidden.expected == 401 and forbidden.got == 403
    challenge = q2.evaluate(no_challenge)
    assert challenge.status == INCORRECT and "WWW-Authenticate" in challenge.message


def test_q2_valid_alternative_security_scheme():
    def add_whoami(app, keys):
        scheme = APIKeyHeader(name="X-API-Key", auto_error=False)

        def current_name(key: Annotated[str | None, Security(scheme)]) -> str:
            if key is None or sha(key) not in keys:
                raise HTTPException(401, "bad key", headers={"WWW-Authenticate": 'ApiKey realm="tasks"'})
            return keys[sha(key)]

        @app.get("/whoami", dependencies=[Depends(current_name)])
        def whoami(name: Annotated[str, Depends(current_name)]) -> dict:
            return {"name": name}

    assert q2.evaluate(add_whoami).status == CORRECT


def test_q2_the_check_belongs_in_a_dependency():
    def in_the_route(app, keys):
        @app.get("/whoami")
        def whoami(x_api_key: str | None = Header(default=None)) -> dict:
            return {"name": _known(keys, x_api_key)}

    result = q2.evaluate(in_the_route)
    assert result.status == INCORRECT and "dependency" in result.message


def test_q2_the_check_in_the_route_of_an_included_router():
    """`app.routes` holds an included router as one entry: the check must still find /whoami inside it."""

    def in_a_router(app, keys):
        router = APIRouter()

        @router.get("/whoami")
        def whoami(x_api_key: str | None = Header(default=None)) -> dict:
            return {"name": _known(keys, x_api_key)}

        app.include_router(router)

    result = q2.evaluate(in_a_router)
    assert result.status == INCORRECT and "dependency" in result.message


def test_q2_key_in_the_query_is_no_key():
    def add_whoami(app, keys):
        def current_name(x_api_key: str | None = None, header_key: str | None = Header(None, alias="X-API-Key")):
            return _known(keys, header_key or x_api_key)

        @app.get("/whoami")
        def whoami(name: Annotated[str, Depends(current_name)]) -> dict:
            return {"name": name}

    assert q2.evaluate(add_whoami).status == INCORRECT


@pytest.mark.parametrize(
    "wrong",
    [
        _always_ada,
        _ignores_case,
        _prefix,
        _by_name,
        _empty_challenge,
        _ada_or_bob,
        _challenge_on_missing_only,
        _raw_lookup,
        _digest_opens_too,
    ],
)
def test_q2_wrong_answers(wrong):
    assert q2.evaluate(_whoami_with(wrong)).status == INCORRECT


def test_q2_messages_name_the_digest():
    assert "hash the key" in q2.evaluate(_whoami_with(_raw_lookup)).message
    assert "leaked" in q2.evaluate(_whoami_with(_digest_opens_too)).message


def _secured(openapi):
    return {f"{m.upper()} {p}" for p, ops in openapi["paths"].items() for m, op in ops.items() if op.get("security")}


def test_q3_secured_operations():
    def stub(openapi):
        raise NotImplementedError

    def every_write(openapi):
        return {f"{m.upper()} {p}" for p, ops in openapi["paths"].items() for m in ops if m != "get"}

    assert q3.evaluate(stub).status == NOT_ATTEMPTED
    assert q3.evaluate(_secured).status == CORRECT
    assert q3.evaluate(lambda openapi: sorted(_secured(openapi))).status == CORRECT
    wrong = q3.evaluate(every_write)
    assert wrong.status == INCORRECT and "POST /users" in wrong.message
    assert q3.evaluate(lambda openapi: "POST /tasks").status == INCORRECT


def test_q3_valid_alternative_explicit_loops():
    def explicit(openapi):
        found = set()
        for path, item in openapi.get("paths", {}).items():
            for method, operation in item.items():
                if len(operation.get("security", [])) > 0:
                    found.add(method.upper() + " " + path)
        return frozenset(found)

    assert q3.evaluate(explicit).status == CORRECT


@pytest.mark.parametrize(
    "wrong",
    [
        lambda openapi: {
            f"{m.upper()} {p}" for p, ops in openapi["paths"].items() for m, op in ops.items() if "security" in op
        },
        lambda openapi: {
            f"{m.upper()} {p}"
            for p, ops in openapi["paths"].items()
            for m, op in ops.items()
            if {"APIKeyHeader": []} in op.get("security", [])
        },
        lambda openapi: {
            f"{m} {p}" for p, ops in openapi["paths"].items() for m, op in ops.items() if op.get("security")
        },
        lambda openapi: {p for p, ops in openapi["paths"].items() for op in ops.values() if op.get("security")},
        lambda openapi: {
            f"{m.upper()} {p}"
            for p, ops in openapi["paths"].items()
            for m, op in ops.items()
            if op.get("security") and m != "delete"
        },
        lambda openapi: {
            f"{m.upper()} {p}"
            for p, ops in openapi["paths"].items()
            for m, op in ops.items()
            if op.get("security") and p.startswith("/tasks")
        },
        lambda openapi: {
            f"{m.upper()} {p}"
            for p, ops in openapi["paths"].items()
            for m, op in ops.items()
            if op.get("security") and "{" not in p
        },
        lambda openapi: {
            f"{m.upper()} {p}"
            for p, ops in openapi["paths"].items()
            for m, op in ops.items()
            if "401" in op.get("responses", {})
        },
        lambda openapi: {
            "POST /tasks",
            "PUT /tasks/{task_id}",
            "PATCH /tasks/{task_id}",
            "DELETE /tasks/{task_id}",
            "POST /tasks/{task_id}/complete",
            "POST /users/{user_id}/tasks",
        },
    ],
)
def test_q3_wrong_answers(wrong):
    assert q3.evaluate(wrong).status == INCORRECT


def test_q3_the_notes_contract_is_read_too():
    assert _secured(NOTES_OPENAPI) == {"POST /notes", "PUT /notes/{note_id}", "DELETE /notes/{note_id}"}
