"""Checks for chapter 05 — API design in practice."""

from __future__ import annotations

from fastapi import FastAPI

from course_lib.lab.contract import Case, outcome_rows, run_contract
from course_lib.notebook.exercises import Exercise, Incorrect, expect_header, expect_status
from course_lib.notebook.server import serving
from course_lib.taskapi import ch05_api_design

# What exists before the learner's cases run: Ada and Bob with their keys, and task {task} owned by Ada.
SETUP = [
    Case("sign up Ada", "POST", "/users", 201, json=ch05_api_design.ADA, save={"ada_key": "api_key"}),
    Case("sign up Bob", "POST", "/users", 201, json=ch05_api_design.BOB, save={"bob_key": "api_key"}),
    Case("Ada creates a task", "POST", "/tasks", 201, json={"title": "Ada's task"}, key="ada_key",
         save={"task": "id"}),
]
DELETE_STATUSES = {204, 401, 403, 404}


def _test_delete_cases(cases) -> None:
    if not isinstance(cases, list) or not all(isinstance(case, Case) for case in cases):
        raise Incorrect("`delete_cases` should be a list of Case(...) rows.", expected="list of Case",
                        got=type(cases).__name__)
    if not cases:
        raise Incorrect("no cases yet: write one Case per outcome of DELETE /tasks/{task}.",
                        expected=sorted(DELETE_STATUSES), got=[])
    methods = {case.method.upper() for case in cases}
    if methods != {"DELETE"}:
        raise Incorrect("every case should send DELETE: the contract is about deleting a task.",
                        expected={"DELETE"}, got=methods)
    covered = {case.expect for case in cases}
    if not DELETE_STATUSES <= covered:
        raise Incorrect("the cases should cover every outcome of DELETE: success, no key, someone else's task, "
                        "a task that does not exist.", expected=sorted(DELETE_STATUSES), got=sorted(covered))
    with serving(ch05_api_design.create_app()) as server:
        saved: dict = {}
        run_contract(server, SETUP, saved)
        outcomes = run_contract(server, cases, saved)
    for row, outcome in zip(outcome_rows(outcomes), outcomes):
        if not outcome.ok:
            raise Incorrect(f"case {row['#']} ({row['case']!r}) did not get what it expects. Is the expectation "
                            "right, and does the case run at the right moment (after a delete, the task is gone)?",
                            request=outcome.request, expected=outcome.case.expect, got=outcome.got)


q1 = Exercise(
    "ch05.q1", "A contract for DELETE", _test_delete_cases,
    hint="Four cases: no key (401), Bob's key on Ada's task (403), Ada's key (204), then Ada's key again or an "
         "unknown id (404). Order matters: the 403 must run while the task still exists.",
)

KEYS = {"tk_ada": "Ada", "tk_bob": "Bob"}


def _test_whoami(add_whoami) -> None:
    app = FastAPI()
    add_whoami(app, dict(KEYS))
    with serving(app) as server:
        ada = server.get("/whoami", headers={"X-API-Key": "tk_ada"})
        expect_status(ada, 200, "GET /whoami with a known key in X-API-Key should answer 200.")
        if ada.json() != {"name": "Ada"}:
            raise Incorrect("the answer should name the key's owner.", request="GET /whoami (X-API-Key: tk_ada)",
                            expected={"name": "Ada"}, got=ada.json())
        missing = server.get("/whoami")
        expect_status(missing, 401, "without an X-API-Key header the answer is 401: we do not know who you are.")
        expect_header(missing, "www-authenticate", why="a 401 must say how to authenticate: add a "
                      "WWW-Authenticate header (e.g. 'ApiKey').")
        wrong = server.get("/whoami", headers={"X-API-Key": "tk_eve"})
        expect_status(wrong, 401, "an unknown key is not a permission problem (403): it is still 'who are you?'.")
        expect_header(wrong, "www-authenticate")


q2 = Exercise(
    "ch05.q2", "An API-key dependency", _test_whoami,
    hint="Write a dependency that takes `x_api_key: str | None = Header(default=None)`, raises "
         "HTTPException(401, headers={'WWW-Authenticate': 'ApiKey'}) unless keys has it, and returns the name; "
         "the route takes `name: str = Depends(that_dependency)`.",
)


def secured(openapi: dict) -> set[str]:
    """'METHOD /path' of every operation whose OpenAPI entry requires a security scheme."""
    return {f"{method.upper()} {path}" for path, operations in openapi["paths"].items()
            for method, operation in operations.items() if operation.get("security")}


def _test_secured_operations(secured_operations) -> None:
    openapi = ch05_api_design.create_app().openapi()
    got = secured_operations(openapi)
    if not isinstance(got, set | frozenset | list | tuple):
        raise Incorrect("return a set of 'METHOD /path' strings.", expected="set", got=type(got).__name__)
    got = set(got)
    expected = secured(openapi)
    if got != expected:
        extra, missing = sorted(got - expected), sorted(expected - got)
        raise Incorrect("not the operations that require the API key. Look at each operation's 'security' list."
                        + (f" Not secured: {extra}." if extra else "") + (f" Missing: {missing}." if missing else ""),
                        request="GET /openapi.json", expected=sorted(expected), got=sorted(got))


q3 = Exercise(
    "ch05.q3", "Read the contract: which operations need a key?", _test_secured_operations,
    hint="openapi['paths'] maps each path to {method: operation}; an operation that needs a key has a non-empty "
         "'security' list. Return {'POST /tasks', ...}.",
)
