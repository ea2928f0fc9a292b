"""The acceptance checks, each a function of a served app (harness.Live): it returns its figure, raises AssertionError
with what failed, or skips as "not applicable: <why>" when the app lacks the feature the check is about.

HTTP only: every request goes over loopback to the app the factory built; the one exception is check 5's hook.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import jwt
import pytest

from tests.acceptance.harness import DEFAULT_HASH_HOOK, FULL, Live, User, counts, load

PROBLEM_JSON = "application/problem+json"
QUICK_PHASES = ("examples", "fuzzing", "stateful")


def not_applicable(why: str) -> None:
    pytest.skip(f"not applicable: {why}")


def kind(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip()


def same_answer(response: httpx.Response, ids: tuple[Any, ...]) -> tuple[int, str, str]:
    """What a client can compare of two answers: status, media type, body with the ids asked for blanked out."""
    body = re.sub(r"urn:uuid:[0-9a-f-]{36}", "urn:uuid:{request}", response.text)  # a request's own id
    for each in ids:
        body = re.sub(rf"(?<![\w-]){re.escape(str(each))}(?![\w-])", "{id}", body)
    return response.status_code, kind(response), body


def at_once(count: int, send: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    """`count` requests released together (a barrier), each on its own thread."""
    barrier = threading.Barrier(count)

    def one(number: int) -> httpx.Response:
        barrier.wait(timeout=60)
        return send(number)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


# ---------------------------------------------------------------------------------------------------------------- #
# OpenAPI helpers: a minimal valid body for an operation, path parameters filled in.
def resolve(live: Live, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = live.openapi["components"]["schemas"][name]
    return schema


def example_body(live: Live, operation: dict) -> Any:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    media = content["application/json"]
    if "example" in media:
        return media["example"]
    schema = resolve(live, media.get("schema", {}))
    if schema.get("examples"):
        return schema["examples"][0]
    return {name: example_value(live, schema["properties"][name]) for name in schema.get("required", [])}


def example_value(live: Live, schema: dict) -> Any:
    schema = resolve(live, schema)
    if schema.get("examples"):
        return schema["examples"][0]
    if "enum" in schema:
        return schema["enum"][-1]
    kind_ = schema.get("type")
    return {"integer": 1, "number": 1, "boolean": True, "array": [], "object": {}}.get(kind_, "acceptance")


def fill(path: str, values: dict[str, Any]) -> str:
    """/tasks/{task_id} with task_id from `values` (by name, else by the word before _id)."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        return str(values.get(name, values.get(name.split("_")[0], values.get("*", 1))))

    return re.sub(r"\{([^}]+)\}", value, path)


# ---------------------------------------------------------------------------------------------------------------- #
def check_01_schemathesis(live: Live, report_dir: Path, *, quick: bool = not FULL) -> str:
    """schemathesis over the OpenAPI: all checks, every phase (stateful too), a fixed seed, as a real user; `quick`:
    the quick pass's counts whatever the mode (a broken app fails within them)."""
    import subprocess

    from course_lib.lab.conformance import HOOKS, PHASES, ROOT, SEED, read_report, schemathesis_args

    report_dir.mkdir(parents=True, exist_ok=True)
    for old in report_dir.glob("*.json"):
        old.unlink()
    user = live.sign_up("Schema")
    # The API key: it lives as long as the user (an access token expires within a long run).
    headers = {"X-API-Key": user.api_key} if user.api_key else user.headers
    max_examples = int(os.environ.get("ACCEPTANCE_MAX_EXAMPLES", 3 if quick else 1000))  # per operation
    # The quick pass leaves out the coverage phase (its boundary values are the same every run: the full run has them).
    phases = tuple(os.environ.get("ACCEPTANCE_PHASES", ",".join(QUICK_PHASES if quick else PHASES)).split(","))
    args = schemathesis_args(live.url, headers, report_dir, seed=SEED, max_examples=max_examples, phases=phases)
    env = {**os.environ, "SCHEMATHESIS_HOOKS": HOOKS, "PYTHONPATH": str(ROOT)}
    started, before = time.monotonic(), live.recorder.by_request.copy()
    done = subprocess.run(args, capture_output=True, text=True, check=False, cwd=report_dir, env=env)
    report = read_report(report_dir, done.returncode, done.stdout + done.stderr)
    assert report.cases > 0, report.output[-3000:]
    assert report.ok, f"schemathesis: {report.failures} failures\n{report.output[-8000:]}"
    per_operation = requests_per_operation(live, live.recorder.by_request - before)
    untested = sorted(name for name, sent in per_operation.items() if sent == 0)
    assert not untested, f"schemathesis sent no request to {untested}"
    return (
        f"{report.cases} cases over {len(per_operation)} operations (--max-examples {max_examples}, "
        f"phases {'+'.join(phases)}, seed {SEED}), 0 failures, {time.monotonic() - started:.0f} s; "
        + spread(per_operation, max_examples)
    )


def requests_per_operation(live: Live, sent: Counter[tuple[str, str]]) -> dict[str, int]:
    """The requests of a run per documented operation ('GET /tasks/{task_id}'), matched by method and path template;
    a literal path before a template it also fits (/users/me before /users/{user_id}), as a router matches them."""
    templates = [
        (method, re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"), f"{method} {path}")
        for method, path, _ in sorted(live.operations(), key=lambda operation: operation[1].count("{"))
    ]
    counted = dict.fromkeys((name for _, _, name in templates), 0)
    for (method, path), number in sent.items():
        name = next((name for m, pattern, name in templates if m == method and pattern.match(path)), None)
        if name is not None:  # other methods (schemathesis tries undocumented ones: 405) and paths are not operations
            counted[name] += number
    return counted


def spread(per_operation: dict[str, int], target: int) -> str:
    """How many requests each operation got: the fewest, the median, the most, and which got fewer than `target`."""
    ordered = sorted(per_operation.items(), key=lambda item: item[1])
    numbers = [sent for _, sent in ordered]
    short = [f"{name} {sent}" for name, sent in ordered if sent < target]
    return (
        f"requests per operation: min {numbers[0]}, median {numbers[len(numbers) // 2]}, max {numbers[-1]}; "
        f"{len(numbers) - len(short)}/{len(numbers)} got ≥ {target}"
        + (f" (fewer: {', '.join(short)} — hypothesis stops when an operation's inputs are exhausted)" if short else "")
    )


# ---------------------------------------------------------------------------------------------------------------- #
def gone_task_id(live: Live, owner: User) -> int:
    """The id of a task that existed and was deleted: a missing id, shaped like a real one."""
    task = live.new_task(owner, "to be deleted")
    response = live.request("DELETE", f"/tasks/{task['id']}", headers={**owner.headers, "If-Match": "*"})
    assert response.status_code in (200, 204), f"DELETE /tasks/{task['id']} → {response.status_code}"
    return task["id"]


TASK_WRITES = {"PUT": {"title": "bob was here", "description": "", "done": True}, "PATCH": {"title": "bob was here"}}


def check_02_object_level(live: Live) -> str:
    """User B on A's task: 404 identical to a missing id, A's task unchanged; lists never show another's ids."""
    ada, bob = live.sign_up("Ada", login=True), live.sign_up("Bob", login=True)
    task = live.new_task(ada, "ada's private task", description="only ada may see this")
    missing = gone_task_id(live, ada)
    before = live.request("GET", f"/tasks/{task['id']}", headers=ada.headers)
    assert before.status_code == 200
    probes = 0
    for method, path, operation in live.operations():
        if not re.fullmatch(r"/tasks/\{[^}]+\}(/.*)?", path):
            continue
        body = TASK_WRITES.get(method) if "requestBody" in operation else None
        headers = {**bob.headers, "If-Match": "*"}
        theirs = live.request(method, fill(path, {"*": task["id"]}), json=body, headers=headers)
        absent = live.request(method, fill(path, {"*": missing}), json=body, headers=headers)
        probes += 1
        assert theirs.status_code == 404, f"{method} {path} by another user → {theirs.status_code}, not 404"
        assert same_answer(theirs, (task["id"],)) == same_answer(absent, (missing,)), (
            f"{method} {path}: another user's task answers differently from a missing one:\n"
            f"{theirs.text[:300]}\nvs\n{absent.text[:300]}"
        )
    after = live.request("GET", f"/tasks/{task['id']}", headers=ada.headers)
    assert after.json() == before.json(), f"A's task changed: {before.json()} → {after.json()}"
    assert after.headers.get("etag") == before.headers.get("etag")
    walks = lists_never_show_others(live)
    return f"{probes} operations × another user → 404 identical to a missing id, owner's task unchanged; {walks}"


def lists_never_show_others(live: Live) -> str:
    """A hypothesis property: whatever tasks three users create, any list a user reads holds only their own ids."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    users = [live.sign_up(name) for name in ("Cleo", "Dan", "Eve")]
    owned: dict[int, set[int]] = {user.id: set() for user in users}
    walks = Counter[str]()
    plans = st.lists(
        st.tuples(st.integers(0, 2), st.sampled_from(["alpha", "beta", "gamma delta"]), st.booleans()),
        min_size=1,
        max_size=4,
    )
    filters = st.sampled_from([{}, {"done": "true"}, {"done": "false"}, {"text": "alpha"}, {"sort": "title"}])

    @settings(
        max_examples=counts(4, 60),
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(plans, filters, st.integers(1, 5))
    def property_(plan, query, limit) -> None:
        for who, title, done in plan:
            owned[users[who].id].add(live.new_task(users[who], title, done=done)["id"])
        for reader in users:
            others = set().union(*(ids for uid, ids in owned.items() if uid != reader.id))
            seen = live.all_task_ids(reader, **query, limit=limit)
            walks["own"] += 1
            assert not others & set(seen), (
                f"GET /tasks{query} as user {reader.id} shows others' ids {others & set(seen)}"
            )
            for other in users:
                if other is reader:
                    continue
                response = live.request("GET", f"/users/{other.id}/tasks", params=query, headers=reader.headers)
                walks["others"] += 1
                if response.status_code == 200:
                    leaked = {task["id"] for task in response.json()} & owned[other.id]
                    assert not leaked, f"GET /users/{other.id}/tasks as user {reader.id} shows {leaked}"

    property_()
    return f"{walks['own']} list walks + {walks['others']} reads of another's list, 0 foreign ids"


def check_02_jobs(live: Live) -> str:
    """User B on A's job: 404 identical to a missing job id."""
    job_paths = live.paths_like(r"/jobs/\{[^}]+\}")
    if not job_paths:
        not_applicable("the OpenAPI has no /jobs/{id} path (chapter 17's background jobs are not in this app)")
    ada, bob = live.sign_up("Ada"), live.sign_up("Bob")
    task = live.new_task(ada, "a task for a job")
    location = None
    for method, path, operation in live.operations():
        if "202" not in operation.get("responses", {}) or path.startswith("/jobs"):
            continue
        response = live.request(
            method,
            fill(path, {"task": task["id"], "user": ada.id, "*": task["id"]}),
            json=example_body(live, operation),
            headers={**ada.headers, "If-Match": "*"},
        )
        if response.status_code == 202 and response.headers.get("location"):
            location = response.headers["location"]
            break
    assert location, f"the OpenAPI has {job_paths} but no operation answering 202 + Location started a job for A"
    job_id = location.rstrip("/").rsplit("/", 1)[-1]
    missing = (
        str(int(job_id) + 10**6)
        if job_id.isdigit()
        else str(uuid.uuid4())
        if re.fullmatch(r"[0-9a-f-]{36}", job_id)
        else secrets.token_hex(max(len(job_id) // 2, 8))
    )
    mine = live.request("GET", location, headers=ada.headers)
    assert mine.status_code == 200, f"GET {location} by its owner → {mine.status_code}"
    theirs = live.request("GET", location, headers=bob.headers)
    absent = live.request("GET", location.replace(job_id, missing), headers=bob.headers)
    assert theirs.status_code == 404, f"GET {location} by another user → {theirs.status_code}"
    assert same_answer(theirs, (job_id,)) == same_answer(absent, (missing,)), (theirs.text, absent.text)
    return f"another user's job → 404 identical to a missing job ({location.replace(job_id, '{id}')})"


# ---------------------------------------------------------------------------------------------------------------- #
def check_03_function_level(live: Live) -> str:
    """Members on admin routes → 403 (role unchanged); no credentials on any secured route → 401 + WWW-Authenticate."""
    member = live.sign_up("Member", login=True)  # a token: some admin routes read the role from it
    task = live.new_task(member, "member's task")
    values = {"task": task["id"], "user": member.id, "*": task["id"]}
    admin_ops = [op for op in live.operations() if op[1].startswith("/admin") or "admin" in op[2].get("tags", [])]
    if not admin_ops:
        not_applicable("the OpenAPI names no admin routes (/admin/… or the tag admin)")
    forbidden = anonymous = 0
    for method, path, operation in live.operations():
        secured = operation.get("security", live.openapi.get("security"))
        is_admin = (method, path, operation) in admin_ops
        if not (secured or is_admin):
            continue
        url, body = fill(path, values), example_body(live, operation)
        nobody = live.request(method, url, json=body, headers={"If-Match": "*"})
        anonymous += 1
        assert nobody.status_code == 401, f"{method} {path} without credentials → {nobody.status_code}, not 401"
        assert "www-authenticate" in nobody.headers, f"{method} {path}: 401 without WWW-Authenticate"
        if is_admin:
            answer = live.request(method, url, json=body, headers={**member.headers, "If-Match": "*"})
            forbidden += 1
            assert answer.status_code == 403, f"{method} {path} as a member → {answer.status_code}, not 403"
    profile = live.request("GET", f"/users/{member.id}", headers=member.headers)
    if profile.status_code == 200 and "role" in profile.json():
        assert profile.json()["role"] != "admin", "a member made themselves admin"
    return f"{forbidden} admin operations × member → 403; {anonymous} secured operations × no credentials → 401"


# ---------------------------------------------------------------------------------------------------------------- #
def check_04_jwt_matrix(live: Live) -> str:
    """Forged and broken tokens → 401, never 5xx; a token the suite signs like the app's is accepted (the control)."""
    from course_lib.lab.forged_tokens import OTHER_SECRET, es256_key_pair, hs256_by_hand, segment, tampered

    if not live.has("post", "/tokens"):
        not_applicable("the OpenAPI has no POST /tokens: the app issues no access tokens")
    user, other = live.sign_up("Jwt", login=True), live.sign_up("Other")
    real = user.token
    assert real
    header = jwt.get_unverified_header(real)
    claims = jwt.decode(real, options={"verify_signature": False})
    now = int(time.time())
    base = {**claims, "iat": now, "exp": now + 300, **({"nbf": now} if "nbf" in claims else {})}
    kid = {"kid": header["kid"]} if "kid" in header else {}

    def sign(payload: dict, key: str = live.signing_key) -> str:
        return jwt.encode(payload, key, algorithm="HS256", headers=kid)

    def without(name: str) -> dict:
        return {key: value for key, value in base.items() if key != name}

    subject = str(claims.get("sub", ""))
    nobody_sub = str(int(subject) + 10**6) if subject.isdigit() else f"deleted-{secrets.token_hex(4)}"
    deleted = "a sub no user has (the OpenAPI offers no way to delete a user)"
    for method, path, _ in live.operations():
        if method == "DELETE" and re.fullmatch(r"(/admin)?/users/\{[^}]+\}", path):
            gone = live.sign_up("Gone")
            live.request("DELETE", fill(path, {"*": gone.id}), headers=gone.headers)
            nobody_sub, deleted = str(gone.id), f"a deleted user's sub ({method} {path})"
    _, public_pem = es256_key_pair()
    matrix = {
        "alg=none": f"{segment({'alg': 'none', 'typ': 'JWT', **kid})}.{segment(base)}.",
        "HS256 signed with a public key": hs256_by_hand({"alg": "HS256", "typ": "JWT", **kid}, base, public_pem),
        "wrong secret": sign(base, OTHER_SECRET),
        "tampered payload (another user's sub)": tampered(real, sub=str(other.id)),
        "tampered payload (role admin)": tampered(real, role="admin"),
        "expired": sign(
            {**base, "iat": now - 7200, "exp": now - 3600, **({"nbf": now - 7200} if "nbf" in base else {})}
        ),
        "no exp": sign(without("exp")),
        "wrong aud": sign({**base, "aud": "billing-api"}),
        "wrong iss": sign({**base, "iss": "https://evil.example"}),
        "nbf in the future": sign({**base, "nbf": now + 3600}),
        "a deleted user's sub": sign({**base, "sub": nobody_sub}),
        **{f"a key from the repository ({key[:12]}…)": sign(base, key) for key in repository_keys()},
        "not a JWT": "abc.def",
        "garbage": "###.$$$.!!!",
    }
    control = live.request("GET", "/tasks", headers={"Authorization": f"Bearer {sign(base)}"})
    assert control.status_code == 200, (
        f"a token the suite signed with SECRET_KEY and a real token's claims → {control.status_code}: the app does not "
        "sign with SECRET_KEY (the suite's contract), so no forgery below would prove anything"
    )
    for name, token in matrix.items():
        for path in ("/tasks", f"/users/{user.id}"):
            response = live.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 401, f"token '{name}' on GET {path} → {response.status_code}, not 401"
    return f"{len(matrix)} forged tokens × 2 routes → 401 (control token → 200); deleted user: {deleted}"


def repository_keys() -> list[str]:
    """Signing keys anyone can read in the course's files (check 19's second half): a token they sign is a forgery."""
    from course_lib.services.settings import KNOWN_KEYS

    return sorted(KNOWN_KEYS)


# ---------------------------------------------------------------------------------------------------------------- #
ARGON2 = re.compile(r"^\$(argon2(?:id|i|d))\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$")


@contextmanager
def production_password_cost() -> Iterator[None]:
    """The course's test runs set PASSWORD_HASH_COST=minimal; check 5 judges the cost an app ships with."""
    from course_lib.services.settings import get_settings

    saved = os.environ.pop("PASSWORD_HASH_COST", None)
    get_settings.cache_clear()
    try:
        yield
    finally:
        if saved is not None:
            os.environ["PASSWORD_HASH_COST"] = saved
        get_settings.cache_clear()


def check_05_passwords(live: Live) -> str:
    """Stored as argon2id at or above OWASP's floor; an unknown user and a wrong password get the same answer."""
    hook = load(os.environ.get("ACCEPTANCE_PASSWORD_HASH", DEFAULT_HASH_HOOK))
    with production_password_cost():
        user = live.sign_up("Hashed")
        stored = hook(live.app, user.email)
    assert stored, f"no stored password hash for {user.email} (hook {hook.__module__}.{hook.__name__})"
    match = ARGON2.match(stored)
    assert match, f"the stored password is not an argon2 hash: {stored[:12]}…"
    variant, memory, rounds, lanes = match.group(1), int(match.group(2)), int(match.group(3)), int(match.group(4))
    assert variant == "argon2id", f"{variant}, not argon2id"
    assert memory >= 19456 and rounds >= 2, f"argon2id m={memory} KiB, t={rounds}: below OWASP's m ≥ 19456, t ≥ 2"
    logins = [
        (method, path)
        for method, path, operation in live.operations()
        if method == "POST" and path != "/users" and {"email", "password"} <= set(login_fields(live, operation))
    ]
    if not logins:
        not_applicable("no operation takes email + password to log in")
    for method, path in logins:
        unknown = live.request(method, path, json={"email": live.new_email("nobody"), "password": user.password})
        wrong = live.request(method, path, json={"email": user.email, "password": user.password + " wrong"})
        assert unknown.status_code == wrong.status_code and unknown.status_code in (400, 401), (
            f"{path}: unknown user → {unknown.status_code}, wrong password → {wrong.status_code}"
        )
        assert same_answer(unknown, ()) == same_answer(wrong, ()), (
            f"{path}: an unknown user and a wrong password answer differently:\n{unknown.text}\nvs\n{wrong.text}"
        )
    return f"argon2id m={memory} KiB t={rounds} p={lanes}; {len(logins)} login routes: unknown user ≡ wrong password"


def login_fields(live: Live, operation: dict) -> list[str]:
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    return list(resolve(live, schema).get("properties", {})) if schema else []


# ---------------------------------------------------------------------------------------------------------------- #
def check_06_mass_assignment(live: Live) -> str:
    """Server-owned fields in a body → 422 or ignored, owner unchanged; no response ever holds a password hash."""
    ada, bob = live.sign_up("Ada"), live.sign_up("Bob")
    forced = {
        "id": 987654,
        "owner_id": bob.id,
        "created_at": "2001-01-01T00:00:00Z",
        "updated_at": "2001-01-01T00:00:00Z",
        "role": "admin",
        "is_admin": True,
        "version": 99,
    }
    tried = 0
    for name, value in forced.items():
        response = live.request("POST", "/tasks", json={"title": f"forcing {name}", name: value}, headers=ada.headers)
        tried += 1
        assert response.status_code in (201, 422), f"POST /tasks with {name} → {response.status_code}"
        if response.status_code == 201:
            task = response.json()
            assert task.get(name) != value, f"POST /tasks took {name}={value!r} from the client"
            assert task.get("owner_id", ada.id) == ada.id
            assert live.request("GET", f"/tasks/{task['id']}", headers=bob.headers).status_code == 404
    task = live.new_task(ada, "owned by ada")
    for method in ("PATCH", "PUT"):
        for name in ("owner_id", "id", "created_at"):
            body = {"title": "still ada's", "description": "", "done": False, name: forced[name]}
            response = live.request(method, f"/tasks/{task['id']}", json=body, headers={**ada.headers, "If-Match": "*"})
            tried += 1
            assert response.status_code in (200, 422), f"{method} /tasks/{{id}} with {name} → {response.status_code}"
            now = live.request("GET", f"/tasks/{task['id']}", headers=ada.headers)
            assert now.status_code == 200 and now.json().get("owner_id", ada.id) == ada.id, now.text
            assert live.request("GET", f"/tasks/{task['id']}", headers=bob.headers).status_code == 404
    for name, value in (("role", "admin"), ("id", 1), ("is_admin", True), ("api_key", "tk_chosen-by-client")):
        email = live.new_email("forcing")
        body = {"name": "Forcing", "email": email, "password": "violet harbor lantern 42", name: value}
        response = live.request("POST", "/users", json=body)
        tried += 1
        assert response.status_code in (201, 422), f"POST /users with {name} → {response.status_code}"
        if response.status_code == 201:
            created = response.json()
            assert created.get(name) != value, f"POST /users took {name}={value!r}: {created}"
            profile = live.request("GET", f"/users/{created['id']}", headers=login_headers(live, created, email))
            assert profile.json().get("role", "member") != "admin", f"POST /users took {name}={value!r}"
    leaks = live.recorder.leaks
    assert not leaks, "a password hash in a response: " + "; ".join(map(str, leaks[:5]))
    return f"{tried} requests with server-owned fields → 422 or ignored; {live.recorder.responses} responses, 0 hashes"


def login_headers(live: Live, created: dict, email: str) -> dict[str, str]:
    if created.get("api_key"):
        return {"X-API-Key": created["api_key"]}
    token = live.log_in(email, "violet harbor lantern 42")
    return {"Authorization": f"Bearer {token}"} if token else {}


# ---------------------------------------------------------------------------------------------------------------- #
def check_07_bounds(live: Live) -> str:
    """limit −1, 0, max+1 → 422; a body over the limit → 413; over-long strings → 422; nothing stored."""
    ada = live.sign_up("Bounded")
    live.new_task(ada, "one task")
    before = sorted(live.all_task_ids(ada))
    tried = 0
    for method, path, operation in live.operations():
        limit = next((p for p in operation.get("parameters", []) if p["name"] == "limit" and p["in"] == "query"), None)
        if method != "GET" or limit is None:
            continue
        top = resolve(live, limit.get("schema", {})).get("maximum", 100)
        for value in (-1, 0, top + 1):
            response = live.request("GET", fill(path, {"user": ada.id}), params={"limit": value}, headers=ada.headers)
            tried += 1
            assert response.status_code == 422, f"GET {path}?limit={value} → {response.status_code}, not 422"
    huge = {"title": "big", "description": "x" * (2 * 1024 * 1024)}
    for path, headers in (("/tasks", ada.headers), ("/users", {})):
        response = live.request("POST", path, json=huge, headers=headers)
        tried += 1
        assert response.status_code == 413, f"POST {path} with a 2 MiB body → {response.status_code}, not 413"
    limits = resolve(live, {"$ref": "#/components/schemas/TaskCreate"}).get("properties", {})
    for name in ("title", "description"):
        longest = limits.get(name, {}).get("maxLength", 10_000)
        response = live.request("POST", "/tasks", json={"title": "t", name: "y" * (longest + 1)}, headers=ada.headers)
        tried += 1
        assert response.status_code == 422, (
            f"POST /tasks with a {longest + 1}-character {name} → {response.status_code}"
        )
    response = live.request(
        "POST", "/users", json={"name": "n" * 5000, "email": live.new_email(), "password": "p" * 20}
    )
    tried += 1
    assert response.status_code == 422, f"POST /users with a 5000-character name → {response.status_code}"
    after = sorted(live.all_task_ids(ada))
    assert after == before, f"refused requests stored tasks: {set(after) - set(before)}"
    return f"{tried} out-of-bounds requests → 422/413, 0 rows stored"


# ---------------------------------------------------------------------------------------------------------------- #
def check_08_errors(live: Live) -> str:
    """Provoked errors are problem+json with the HTTP status; no response of the run so far broke that or held a
    traceback."""
    ada = live.sign_up("Errors")
    task = live.new_task(ada)
    missing = gone_task_id(live, ada)
    json_headers = {**ada.headers, "content-type": "application/json"}
    provoked = [
        ("GET", "/no/such/path", {}, None),
        ("DELETE", "/health", {}, None),
        ("GET", "/tasks", {}, None),
        ("GET", f"/tasks/{missing}", ada.headers, None),
        ("GET", "/tasks/not-a-number", ada.headers, None),
        ("GET", "/tasks?limit=abc", ada.headers, None),
        ("GET", "/tasks", {**ada.headers, "Accept": "image/png"}, None),
        ("POST", "/tasks", json_headers, b'{"title": '),
        ("POST", "/tasks", {**ada.headers, "content-type": "text/plain"}, b"title=x"),
        ("POST", "/tasks", json_headers, b'{"title": ""}'),
        ("POST", "/tasks", json_headers, b"[1, 2, 3]"),
        ("PATCH", f"/tasks/{task['id']}", json_headers, b'{"title": "no If-Match"}'),
        ("PATCH", f"/tasks/{task['id']}", {**json_headers, "If-Match": '"stale"'}, b'{"title": "stale"}'),
        ("POST", "/users", {"content-type": "application/json"}, b'{"name": "x"}'),
        ("GET", "/users/0", ada.headers, None),
        ("GET", "/tasks", {"Authorization": "Bearer not-a-token"}, None),
    ]
    mark = live.recorder.mark()
    for method, path, headers, content in provoked:
        response = live.request(method, path, headers=headers, content=content)
        assert response.status_code >= 400, f"{method} {path} → {response.status_code}, expected an error"
        assert response.status_code < 500, f"{method} {path} → {response.status_code}: a 5xx for bad input"
        assert kind(response) == PROBLEM_JSON, f"{method} {path} → {response.status_code} as {kind(response)}"
        assert response.json().get("status") == response.status_code, f"{method} {path}: {response.text[:200]}"
    violations, _ = live.recorder.since(mark)
    assert not violations, "; ".join(map(str, violations[:5]))
    return f"{len(provoked)} provoked errors → problem+json with their status"


def whole_run(live: Live) -> str:
    """Check 8 over every response the app gave in the run."""
    recorder = live.recorder
    assert not recorder.violations, f"{len(recorder.violations)} bad error answers: " + "; ".join(
        map(str, recorder.violations[:8])
    )
    return f"{recorder.responses} responses ({recorder.errors} errors): 0 not problem+json, 0 with traceback text"


# ---------------------------------------------------------------------------------------------------------------- #
def check_09_conditional(live: Live) -> str:
    """If-None-Match → 304; 50 concurrent PATCHes on one ETag → exactly one 2xx and 49 × 412, one write applied."""
    ada = live.sign_up("Conditional")
    task = live.new_task(ada, "raced")
    first = live.request("GET", f"/tasks/{task['id']}", headers=ada.headers)
    etag = first.headers.get("etag")
    assert etag, "GET /tasks/{id} has no ETag"
    again = live.request("GET", f"/tasks/{task['id']}", headers={**ada.headers, "If-None-Match": etag})
    assert again.status_code == 304, f"If-None-Match with the current ETag → {again.status_code}, not 304"
    rounds, writers = counts(1, 5), 50
    with live.client() as client:
        for round_ in range(rounds):
            etag = client.get(f"/tasks/{task['id']}", headers=ada.headers).headers["etag"]

            def patch(number: int, etag: str = etag, round_: int = round_) -> httpx.Response:
                return client.patch(
                    f"/tasks/{task['id']}",
                    json={"title": f"round {round_} writer {number}"},
                    headers={**ada.headers, "If-Match": etag},
                )

            answers = at_once(writers, patch)
            statuses = Counter(answer.status_code for answer in answers)
            won = [answer for answer in answers if 200 <= answer.status_code < 300]
            assert len(won) == 1 and statuses[412] == writers - 1, (
                f"round {round_}: {dict(statuses)}, expected 1 × 2xx and {writers - 1} × 412"
            )
            final = client.get(f"/tasks/{task['id']}", headers=ada.headers)
            assert final.json()["title"] == won[0].json()["title"], "the final task is not the one write that won"
            assert final.headers["etag"] != etag, "the ETag did not change"
            if won[0].headers.get("etag"):
                assert final.headers["etag"] == won[0].headers["etag"], "a write after the winner's (version ≠ +1)"
    return f"304 on If-None-Match; {rounds} rounds × {writers} concurrent PATCHes → 1 × 2xx + {writers - 1} × 412 each"


# ---------------------------------------------------------------------------------------------------------------- #
def check_10_idempotency(live: Live) -> str:
    """20 concurrent identical POSTs with one Idempotency-Key → exactly one row; the key with another body → 422."""
    ada = live.sign_up("Idempotent")
    rounds, senders = counts(1, 5), 20
    with live.client() as client:
        for round_ in range(rounds):
            before = set(live.all_task_ids(ada))
            key = f'"{uuid.uuid4()}"'
            body = {"title": f"once, round {round_}"}

            def post(number: int, key: str = key, body: dict = body) -> httpx.Response:
                return client.post("/tasks", json=body, headers={**ada.headers, "Idempotency-Key": key})

            answers = at_once(senders, post)
            statuses = Counter(answer.status_code for answer in answers)
            assert set(statuses) <= {201, 409}, f"round {round_}: {dict(statuses)}"
            ids = {answer.json()["id"] for answer in answers if answer.status_code == 201}
            new = set(live.all_task_ids(ada)) - before
            assert len(new) == 1 and ids <= new, f"round {round_}: {len(new)} rows created, ids answered {ids}"
            retry = client.post("/tasks", json=body, headers={**ada.headers, "Idempotency-Key": key})
            assert retry.status_code == 201 and retry.json()["id"] in new, f"a later retry → {retry.status_code}"
            other = client.post("/tasks", json={"title": "other"}, headers={**ada.headers, "Idempotency-Key": key})
            assert other.status_code == 422, f"the same key with another body → {other.status_code}, not 422"
            assert set(live.all_task_ids(ada)) - before == new
    return f"{rounds} rounds × {senders} concurrent POSTs with one key → 1 row each; key reused with another body → 422"


# ---------------------------------------------------------------------------------------------------------------- #
def check_11_cache(live: Live) -> str:
    """PATCH→GET pairs never read a stale copy; nothing cached is served to another user."""
    ada, bob = live.sign_up("Cached"), live.sign_up("Other")
    task = live.new_task(ada, "v0")
    pairs, stale = counts(50, 1000), 0
    with live.client() as client:
        for number in range(1, pairs + 1):
            wrote = client.patch(
                f"/tasks/{task['id']}", json={"title": f"v{number}"}, headers={**ada.headers, "If-Match": "*"}
            )
            assert wrote.status_code == 200, f"PATCH → {wrote.status_code}"
            read = client.get(f"/tasks/{task['id']}", headers=ada.headers)
            stale += read.json()["title"] != f"v{number}"
        assert stale == 0, f"{stale} stale reads in {pairs} PATCH→GET pairs"
        for _ in range(2):  # warm whatever caches there are
            own = client.get(f"/tasks/{task['id']}", headers=ada.headers)
            ada_list = client.get("/tasks", params={"limit": 5}, headers=ada.headers)
        assert task["id"] in [each["id"] for each in ada_list.json()]
        assert client.get(f"/tasks/{task['id']}", headers=bob.headers).status_code == 404
        conditional = client.get(f"/tasks/{task['id']}", headers={**bob.headers, "If-None-Match": own.headers["etag"]})
        assert conditional.status_code == 404, f"another user's If-None-Match → {conditional.status_code}, not 404"
        bob_list = client.get("/tasks", params={"limit": 5}, headers=bob.headers)
        assert bob_list.status_code == 200 and task["id"] not in [each["id"] for each in bob_list.json()]
        if ada_list.headers.get("etag"):
            revalidated = client.get(
                "/tasks", params={"limit": 5}, headers={**bob.headers, "If-None-Match": ada_list.headers["etag"]}
            )
            assert revalidated.status_code == 200, "another user's list ETag answered 304 to this user"
    return f"{pairs} PATCH→GET pairs, 0 stale reads; 0 cached answers served across users"


# ---------------------------------------------------------------------------------------------------------------- #
def check_12_cursor_walk(live: Live) -> str:
    """Walking a list by cursor while others insert: every item that existed before shows up exactly once."""
    ada = live.sign_up("Walker")
    existing, page = counts(30, 300), counts(7, 25)
    with live.client() as client:
        before = {
            client.post("/tasks", json={"title": f"old {n}"}, headers=ada.headers).json()["id"] for n in range(existing)
        }
        stop, inserted = threading.Event(), []

        def insert() -> None:
            while not stop.is_set() and len(inserted) < 1000:
                inserted.append(client.post("/tasks", json={"title": "new"}, headers=ada.headers).json()["id"])

        writer = threading.Thread(target=insert)
        writer.start()
        try:
            seen: list[int] = []
            pages = 0
            url: str | None = "/tasks"
            params: dict | None = {"limit": page}
            while url:
                response = client.get(url, params=params, headers=ada.headers)
                assert response.status_code == 200, f"GET {url} → {response.status_code}: {response.text[:200]}"
                seen += [each["id"] for each in response.json()]
                pages += 1
                url, params = response.links.get("next", {}).get("url"), None
                time.sleep(0.01)  # let the writer in between pages
        finally:
            stop.set()
            writer.join()
    counted = Counter(seen)
    twice = [each for each in before if counted[each] > 1]
    lost = before - set(seen)
    assert not lost and not twice, f"{len(lost)} pre-existing items missed, {len(twice)} seen twice"
    return f"{existing} items walked in {pages} pages while {len(inserted)} were inserted: each exactly once"


# ---------------------------------------------------------------------------------------------------------------- #
RATE_FIELDS = ("ratelimit", "ratelimit-policy", "ratelimit-remaining", "x-ratelimit-remaining")


def check_13_rate_limit(live: Live) -> str:
    """Past the limit: 429 with Retry-After and the RateLimit fields; allowed again after Retry-After."""
    documented = [(m, p) for m, p, op in live.operations() if "429" in op.get("responses", {})]
    user = live.sign_up("Limited")
    probe = live.request("GET", "/tasks", headers=user.headers)
    burst = counts(150, 500)
    if not documented and not any(name in probe.headers for name in RATE_FIELDS):
        with live.client() as client:  # an undocumented limit, without the fields, is still a limit: look for one
            if not any(
                client.get("/tasks", headers=user.headers).status_code == 429 for _ in range(burst)
            ):  # any() stops at the first 429
                not_applicable(
                    f"no operation documents 429, no response carries RateLimit fields and {burst} requests got no "
                    "429 (chapter 20's rate limits are not in this app)"
                )
    method, path = next(((m, p) for m, p in documented if m == "GET" and "{" not in p), ("GET", "/tasks"))
    if (method, path) not in documented and documented:
        method, path = documented[0]
    body = {"email": user.email, "password": "wrong password, on purpose"} if path == "/tokens" else None
    limited, sent = None, 0
    with live.client() as client:
        while limited is None and sent < 2000:
            response = client.request(method, fill(path, {"user": user.id}), json=body, headers=user.headers)
            sent += 1
            if response.status_code == 429:
                limited = response
        assert limited is not None, f"no 429 after {sent} requests to {method} {path}"
        assert "retry-after" in limited.headers, "429 without Retry-After"
        fields = [name for name in ("ratelimit", "ratelimit-policy") if name in limited.headers]
        assert fields == ["ratelimit", "ratelimit-policy"], f"429 carries {fields} of RateLimit, RateLimit-Policy"
        wait = int(limited.headers["retry-after"])
        assert 0 <= wait <= 3600, f"Retry-After {wait}"
        time.sleep(wait + 0.5)
        after = client.request(method, fill(path, {"user": user.id}), json=body, headers=user.headers)
        assert after.status_code != 429, f"still 429 after Retry-After ({wait} s)"
    return f"{method} {path}: 429 after {sent} requests with Retry-After {wait} s + RateLimit fields; allowed after it"


# ---------------------------------------------------------------------------------------------------------------- #
def check_14_cors(live: Live) -> str:
    """A foreign Origin (with a cookie) gets no Access-Control-Allow-Origin echo and no credentials flag."""
    user = live.sign_up("Cors")
    foreign = "https://evil.example"
    preflight = live.request(
        "OPTIONS",
        "/tasks",
        headers={
            "Origin": foreign,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    simple = live.request("GET", "/tasks", headers={**user.headers, "Origin": foreign, "Cookie": "session=stolen"})
    null = live.request("GET", "/tasks", headers={**user.headers, "Origin": "null", "Cookie": "session=stolen"})
    answers = (preflight, simple, null)
    cors_headers = [name for answer in answers for name in answer.headers if name.startswith("access-control-")]
    varies = any("origin" in answer.headers.get("vary", "").lower() for answer in answers)
    if not cors_headers and not varies:
        not_applicable(
            f"no answer (preflight {preflight.status_code}) has an Access-Control-* field or varies by Origin: "
            "the app has no CORS policy (chapter 20's)"
        )
    for answer, origin in zip(answers, (foreign, foreign, "null"), strict=True):
        allowed = answer.headers.get("access-control-allow-origin")
        assert allowed != origin, (
            f"{answer.request.method} with Origin {origin} → Access-Control-Allow-Origin: {allowed}"
        )
        # Credentials are shared only with an Allow-Origin beside the flag: the flag alone is inert (Starlette's
        # CORSMiddleware sends it on every answer when credentials are on; a browser shares nothing without the echo).
        if allowed:
            assert answer.headers.get("access-control-allow-credentials") != "true", (
                f"{answer.request.method} with Origin {origin}: Access-Control-Allow-Origin {allowed} with credentials"
            )
    return f"preflight {preflight.status_code}; a foreign and a null Origin: no echo, no credentials"


__all__ = [name for name in dir() if name.startswith("check_")] + ["whole_run", "FULL"]


# ---------------------------------------------------------------------------------------------------------------- #
def check_18_property_exposure(live: Live) -> str:
    """No anonymous answer holds another user's e-mail; another user's profile is the documented smaller view."""
    victim, reader = live.sign_up("Victim"), live.sign_up("Reader")
    task = live.new_task(victim, "victim's task")
    values = {"task": task["id"], "user": victim.id, "*": victim.id}
    anonymous = 0
    for method, path, _ in live.operations():
        if method != "GET":
            continue
        response = live.request(method, fill(path, values))
        anonymous += 1
        assert victim.email not in response.text, f"GET {path} without credentials shows a user's e-mail"
    own = live.request("GET", f"/users/{victim.id}", headers=victim.headers)
    other = live.request("GET", f"/users/{victim.id}", headers=reader.headers)
    assert own.status_code == 200 and own.json().get("email") == victim.email, f"own profile: {own.text[:200]}"
    if other.status_code == 200:
        assert not {"email", "role"} & set(other.json()), f"another user's profile shows {sorted(other.json())}"
    return (
        f"{anonymous} anonymous GETs: no e-mail; own profile {sorted(own.json())}, another's "
        f"{sorted(other.json()) if other.status_code == 200 else other.status_code}"
    )


# ---------------------------------------------------------------------------------------------------------------- #
HOSTILE = [
    "é€😀",
    "x" * 5000,
    "%00%ff%zz",
    "\u202e\u200b\ufeff",
    "../../etc/passwd",
    "' OR 1=1 --",
    "-1",
    "99999999999999999999999",
    '"unterminated',
    "{{7*7}}${jndi:ldap://x}",
    "\x00\x1f\x7f",
]


def check_21_hostile_strings(live: Live) -> str:
    """Hostile strings in every path, query and header parameter the OpenAPI names (and in the credentials) → an
    answer below 500, in the problem format when it is an error."""
    user = live.sign_up("Hostile")
    task = live.new_task(user, "target")
    values = HOSTILE[: counts(6, len(HOSTILE))]
    sent = refused_by_client = 0
    mark = live.recorder.mark()
    with live.client() as client:
        for method, path, operation in live.operations():
            params = [p for p in operation.get("parameters", []) if p["in"] in ("path", "query", "header")]
            params += [{"name": "Authorization", "in": "header"}, {"name": "X-API-Key", "in": "header"}]
            for param in params:
                for value in values:
                    url = fill(path, {"task": task["id"], "user": user.id, "*": task["id"]})
                    headers = {**user.headers, "If-Match": "*"}
                    query = {}
                    if param["in"] == "path":
                        url = fill(path, {param["name"]: quote(value), "task": task["id"], "user": user.id})
                    elif param["in"] == "query":
                        query = {param["name"]: value}
                    else:  # as UTF-8 bytes: what a raw client can put in a field, whatever httpx would encode
                        headers[param["name"]] = value.encode()
                    try:
                        response = client.request(
                            method, url, params=query, headers=headers, json=example_body(live, operation)
                        )
                    except httpx.LocalProtocolError:
                        refused_by_client += 1  # a header no HTTP client can send (control characters, non-Latin-1)
                        continue
                    sent += 1
                    assert response.status_code < 500, (
                        f"{method} {path} with {param['in']} {param['name']}={value[:40]!r} → {response.status_code}"
                    )
    violations, _ = live.recorder.since(mark)
    assert not violations, "; ".join(map(str, violations[:5]))
    return f"{sent} requests with hostile strings → all < 500 ({refused_by_client} not sendable by an HTTP client)"


# ---------------------------------------------------------------------------------------------------------------- #
def check_16_concurrent_writers(live: Live) -> str:
    """Many writers at once (the issue's 50 × 100, through HTTP): every insert answered 201, the exact row count."""
    user = live.sign_up("Writers")
    writers, each = counts(10, 50), counts(10, 100)
    before = set(live.all_task_ids(user))
    with live.client() as client:

        def write(number: int) -> list[int]:
            made = []
            for n in range(each):
                response = client.post("/tasks", json={"title": f"writer {number} #{n}"}, headers=user.headers)
                assert response.status_code == 201, f"writer {number}: POST /tasks → {response.status_code}"
                made.append(response.json()["id"])
            return made

        with ThreadPoolExecutor(writers) as pool:
            made = [task for batch in pool.map(write, range(writers)) for task in batch]
    stored = set(live.all_task_ids(user)) - before
    assert len(made) == len(set(made)) == writers * each and stored == set(made), (
        f"{writers * each} inserts answered, {len(set(made))} distinct ids, {len(stored)} rows listed"
    )
    return f"{writers} writers × {each} POSTs at once → {len(made)} × 201, exactly {len(stored)} rows"
