"""Checks for chapter 05 — API design in practice."""

from __future__ import annotations

import hashlib
import re
import secrets

from fastapi import FastAPI

from course_lib.lab.contract import Case, outcome_rows, run_contract
from course_lib.lab.task_contract import ADA, BOB, PASSWORD
from course_lib.notebook.exercises import Exercise, Incorrect, expect_status
from course_lib.notebook.server import serving
from course_lib.taskapi import ch05_api_design
from course_lib.web.openapi_responses import api_routes

# What exists before the learner's cases run: Ada and Bob with their keys, and task {task} owned by Ada.
SETUP = [
    Case("sign up Ada", "POST", "/users", 201, json=ADA, save={"ada_key": "api_key"}),
    Case("sign up Bob", "POST", "/users", 201, json=BOB, save={"bob_key": "api_key"}),
    Case("Ada creates a task", "POST", "/tasks", 201, json={"title": "Ada's task"}, key="ada_key", save={"task": "id"}),
]
# The cases run a second time on a server where Carol's tasks came first, so {task} is not 1 there: a case that
# names a fixed id instead of {task} breaks on one of the two.
CAROL = {"name": "Carol", "email": "carol@example.org", "password": PASSWORD}
OTHERS_FIRST = [
    Case("sign up Carol", "POST", "/users", 201, json=CAROL, save={"carol_key": "api_key"}),
    *(
        Case(f"Carol creates task {n}", "POST", "/tasks", 201, json={"title": f"Carol's task {n}"}, key="carol_key")
        for n in (1, 2, 3)
    ),
]
DELETE_STATUSES = {204, 401, 403, 404}
TASK_PATH = re.compile(r"/tasks/[^/?#]+")


def _test_delete_cases(cases) -> None:
    if not isinstance(cases, list) or not all(isinstance(case, Case) for case in cases):
        raise Incorrect(
            "`delete_cases` should be a list of Case(...) rows.", expected="list of Case", got=type(cases).__name__
        )
    if not cases:
        raise Incorrect(
            "no cases yet: write one Case per outcome of DELETE /tasks/{task}.",
            expected=sorted(DELETE_STATUSES),
            got=[],
        )
    methods = {case.method.upper() for case in cases}
    if methods != {"DELETE"}:
        raise Incorrect(
            "every case should send DELETE: the contract is about deleting a task.", expected={"DELETE"}, got=methods
        )
    covered = {case.expect for case in cases}
    if not DELETE_STATUSES <= covered:
        raise Incorrect(
            "the cases should cover every outcome of DELETE: success, no key, someone else's task, "
            "a task that does not exist.",
            expected=sorted(DELETE_STATUSES),
            got=sorted(covered),
        )
    paths = sorted({case.path for case in cases if not TASK_PATH.fullmatch(case.path)})
    if paths:
        raise Incorrect(
            "every case should delete one task: DELETE /tasks/{task} (or another task id).",
            expected="/tasks/{task}",
            got=paths,
        )
    for prelude in ([], OTHERS_FIRST):
        with serving(ch05_api_design.create_app()) as server:
            saved: dict = {}
            broken = [outcome.request for outcome in run_contract(server, prelude + SETUP, saved) if not outcome.ok]
            if broken:
                raise RuntimeError(f"the check's own setup failed on the chapter's API: {broken}")
            outcomes = run_contract(server, cases, saved)
        for row, outcome in zip(outcome_rows(outcomes), outcomes):
            if not outcome.ok:
                where = f" (on a server where Ada's task is {{task}} = {saved['task']})" if prelude else ""
                raise Incorrect(
                    f"case {row['#']} ({row['case']!r}) did not get what it expects{where}. Is the "
                    "expectation right, does it name the task as {task}, and does it run at the right "
                    "moment (after a delete, the task is gone)?",
                    request=outcome.request,
                    expected=outcome.case.expect,
                    got=outcome.got,
                )


q1 = Exercise(
    "ch05.q1",
    "A contract for DELETE",
    _test_delete_cases,
    hint="Four cases: no key (401), Bob's key on Ada's task (403), Ada's key (204), then Ada's key again or an "
    "unknown id (404). Order matters: the 403 must run while the task still exists.",
)

KEYS = {"tk_ada": "Ada", "tk_bob": "Bob"}
TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 token: an auth-scheme
# Keys that are not in `keys`, though they look like one, contain one, or name a user.
NOT_KEYS = ["tk_eve", "TK_ADA", "tk_ad", "tk_adam", "Ada", ""]


def _whoami_route(app: FastAPI):
    """The /whoami route, also when it came in an included router (`app.routes` holds such a router as one entry)."""
    return next((route for path, route in api_routes(app) if path == "/whoami"), None)


def _expect_challenge(response, request: str) -> None:
    challenge = response.headers.get("www-authenticate", "")
    scheme = challenge.split(" ", 1)[0].split(",", 1)[0].strip()
    if not TOKEN.fullmatch(scheme):
        raise Incorrect(
            "a 401 must say how to authenticate: add a WWW-Authenticate header naming a scheme (e.g. 'ApiKey').",
            request=request,
            expected="WWW-Authenticate: ApiKey",
            got=response.headers.get("www-authenticate"),
        )


def _sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _test_whoami(add_whoami) -> None:
    app = FastAPI()
    grace_key = f"tk_{secrets.token_hex(6)}"  # a key the learner cannot know in advance
    keys = {**KEYS, grace_key: "Grace"}
    add_whoami(app, {_sha256(key): name for key, name in keys.items()})  # stored as the server stores them
    with serving(app) as server:
        for key, name in keys.items():
            request = f"GET /whoami (X-API-Key: {key})"
            known = server.get("/whoami", headers={"X-API-Key": key})
            expect_status(
                known,
                200,
                f"{request} with a known key should answer 200, got {known.status_code}. "
                "`keys` holds digests: hash the key that was sent (SHA-256, hex) and look "
                "that up.",
            )
            if known.json() != {"name": name}:
                raise Incorrect(
                    "the answer should name the owner of the key that was sent.",
                    request=request,
                    expected={"name": name},
                    got=known.json(),
                )
        missing = server.get("/whoami")
        expect_status(missing, 401, "without an X-API-Key header the answer is 401: we do not know who you are.")
        _expect_challenge(missing, "GET /whoami")
        in_query = server.get("/whoami", params={"x_api_key": "tk_ada", "api_key": "tk_ada"})
        expect_status(
            in_query,
            401,
            "the key travels in the X-API-Key header; a key in the query string is no key (URLs end up in logs).",
        )
        for key in NOT_KEYS:
            request = f"GET /whoami (X-API-Key: {key!r})"
            wrong = server.get("/whoami", headers={"X-API-Key": key})
            expect_status(
                wrong,
                401,
                f"{request}: that is not one of the keys, so the answer is 401 ('who are "
                "you?'), not a permission problem (403). Compare the whole key, exactly.",
            )
            _expect_challenge(wrong, request)
        for key in (grace_key, "tk_ada"):
            request = f"GET /whoami (X-API-Key: {_sha256(key)}, the stored digest of {key})"
            leaked = server.get("/whoami", headers={"X-API-Key": _sha256(key)})
            expect_status(
                leaked,
                401,
                f"{request}: a digest from the database is not a key — whoever reads a "
                "leaked table must not be able to log in with it. Only the key whose "
                "digest is stored opens the door.",
            )
    route = _whoami_route(app)
    if route is not None and not route.dependant.dependencies:
        raise Incorrect(
            "the key check works, but it sits in the route: put it in a dependency (a function the "
            "route takes with Depends(...)), so every route that needs a key can reuse it.",
            request="GET /whoami",
            expected="a Depends(...) parameter",
            got="no dependency",
        )


q2 = Exercise(
    "ch05.q2",
    "An API-key dependency",
    _test_whoami,
    hint="Write a dependency that takes `x_api_key: str | None = Header(default=None)`, computes "
    "hashlib.sha256(x_api_key.encode()).hexdigest(), raises HTTPException(401, headers={'WWW-Authenticate': "
    "'ApiKey'}) unless keys has that digest, and returns the name; "
    "the route takes `name: str = Depends(that_dependency)`.",
)


def secured(openapi: dict) -> set[str]:
    """'METHOD /path' of every operation whose OpenAPI entry requires a security scheme."""
    return {
        f"{method.upper()} {path}"
        for path, operations in openapi["paths"].items()
        for method, operation in operations.items()
        if operation.get("security")
    }


# Another API's contract: other paths, other scheme names, two schemes, and an explicit `security: []` (open).
NOTES_OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "Notes", "version": "1.0.0"},
    "paths": {
        "/notes": {
            "get": {"responses": {"200": {"description": "OK"}}},
            "post": {"security": [{"BearerAuth": []}], "responses": {"201": {"description": "Created"}}},
        },
        "/notes/{note_id}": {
            "get": {"security": [], "responses": {"200": {"description": "OK"}}},
            "put": {"security": [{"NotesKey": []}, {"BearerAuth": []}], "responses": {"200": {"description": "OK"}}},
            "delete": {"security": [{"NotesKey": []}], "responses": {"204": {"description": "Gone"}}},
        },
        "/health": {"head": {"responses": {"200": {"description": "OK"}}}},
    },
    "components": {
        "securitySchemes": {
            "BearerAuth": {"type": "http", "scheme": "bearer"},
            "NotesKey": {"type": "apiKey", "in": "header", "name": "X-Notes-Key"},
        }
    },
}
OPEN_OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "Open", "version": "1"},
    "paths": {"/ping": {"get": {"responses": {"200": {"description": "OK"}}}}},
}


def _test_secured_operations(secured_operations) -> None:
    contracts = [
        ("GET /openapi.json of the chapter's API", ch05_api_design.create_app().openapi()),
        ("a notes API's OpenAPI (another scheme name, a 'security': [] that means open)", NOTES_OPENAPI),
        ("an API without security", OPEN_OPENAPI),
    ]
    for request, openapi in contracts:
        got = secured_operations(openapi)
        if not isinstance(got, set | frozenset | list | tuple):
            raise Incorrect(
                "return a set of 'METHOD /path' strings.", request=request, expected="set", got=type(got).__name__
            )
        got = set(got)
        expected = secured(openapi)
        if got != expected:
            extra, missing = sorted(got - expected), sorted(expected - got)
            raise Incorrect(
                "not the operations that require a key. Look at each operation's 'security' list: "
                "non-empty means a scheme is required."
                + (f" Not secured: {extra}." if extra else "")
                + (f" Missing: {missing}." if missing else ""),
                request=request,
                expected=sorted(expected),
                got=sorted(got),
            )


q3 = Exercise(
    "ch05.q3",
    "Read the contract: which operations need a key?",
    _test_secured_operations,
    hint="openapi['paths'] maps each path to {method: operation}; an operation that needs a key has a non-empty "
    "'security' list. Return {'POST /tasks', ...}.",
)
