"""Checks for chapter 15 — JWT and roles."""

from __future__ import annotations

import ast
import inspect
import textwrap
import time
import types

from course_lib.lab.forged_tokens import claims, forged, signed
from course_lib.notebook.exercises import Exercise, Incorrect
from course_lib.web.tokens import TokenConfig, issue

KEY = "a-checker-key-of-forty-characters-or-more-0123456789"
OTHER_KEY = "another-server-another-key-of-forty-characters-9876543210"
ISSUER, AUDIENCE = "https://tasks.backend-course.example", "task-api"


def _test_verify(verify_token) -> None:
    chosen_by_token = _algorithms_chosen_by_token(verify_token)
    if chosen_by_token:
        raise Incorrect(
            f"the algorithm must be the server's choice, never the token's: {chosen_by_token}. The "
            "token's author writes its header; against a server with a key pair, alg=HS256 turns the "
            "public key into the HMAC secret (algorithm confusion). Write algorithms=['HS256'].",
            request="reading the code of verify_token",
            expected="algorithms=['HS256']",
            got=chosen_by_token,
        )
    config = TokenConfig(key=KEY, issuer=ISSUER, audience=AUDIENCE)
    for subject, role, key in ((7, "member", KEY), (12, "admin", OTHER_KEY)):
        good = issue(TokenConfig(key=key, issuer=ISSUER, audience=AUDIENCE), subject, role=role)
        call = f"verify_token(<a good token for user {subject}, signed with the key given>, {key[:12]!r}...)"
        try:
            got = verify_token(good, key)
        except Exception as error:  # the learner's code refused a good token: show what it raised
            raise Incorrect(
                "a good token must verify: signed with KEY (HS256), for AUDIENCE, by ISSUER, in date.",
                request=call,
                expected="its claims",
                got=f"{type(error).__name__}: {error}",
            ) from None
        if not isinstance(got, dict) or got.get("sub") != str(subject) or got.get("role") != role:
            raise Incorrect(
                "return the token's claims (the dict jwt.decode gives).",
                request=call,
                expected={"sub": str(subject), "role": role, "...": "..."},
                got=got,
            )
    within_leeway = signed(config, claims(config, 7, time.time() - config.ttl - 2))
    try:
        verify_token(within_leeway, KEY)
    except Exception as error:
        raise Incorrect(
            "a token that expired 2 seconds ago should still pass: allow a few seconds of leeway "
            "(clocks of two servers differ).",
            request="verify_token(<expired 2 s ago>, KEY)",
            expected="its claims",
            got=f"{type(error).__name__}: {error}",
        ) from None
    a_minute_ago = time.time() - config.ttl - 60
    bad = {
        **forged(config, 7),
        "expired a minute ago": signed(config, claims(config, 7, a_minute_ago)),
        "missing iat": signed(config, claims(config, 7, iat=None)),
        "missing sub": signed(config, claims(config, 7, sub=None)),
        "missing aud": signed(config, claims(config, 7, aud=None)),
        "missing iss": signed(config, claims(config, 7, iss=None)),
    }
    for name, token in bad.items():
        call = f"verify_token(<{name}>, KEY)"
        try:
            got = verify_token(token, KEY)
        except Exception:
            continue
        raise Incorrect(
            f"a token with {name} must be refused (raise), not trusted: {WHY.get(name, WHY['other'])}",
            request=call,
            expected="an exception (jwt.InvalidTokenError)",
            got=got,
        )


WHY = {
    "alg=none": "pin the algorithm: jwt.decode(..., algorithms=['HS256']).",
    "HS512 with the server's key": "this server signs HS256 only: pin it, algorithms=['HS256'], whatever the header "
    "says (RFC 8725 §3.1: one algorithm per key).",
    "tampered payload": "the signature must be checked (never verify_signature=False).",
    "expired": "exp is checked; keep the leeway to seconds.",
    "expired a minute ago": "a leeway of seconds is for clock skew, not a minute's grace.",
    "missing exp": "require it: options={'require': ['exp', 'iat', 'sub', 'aud', 'iss']}.",
    "missing iat": "require iat too.",
    "missing sub": "require sub: whose token is this?",
    "missing aud": "require aud: a token without an audience could be meant for any service.",
    "missing iss": "require iss.",
    "wrong audience": "pass audience=AUDIENCE: a token for another service must not open this one.",
    "wrong issuer": "pass issuer=ISSUER.",
    "other": "only tokens this server signed, for this API, in date, verify.",
}

HEADER_READERS = {"get_unverified_header", "decode_complete", "get_unverified_claims"}


def _algorithms_chosen_by_token(function) -> str:
    """How `function` lets the token pick its algorithm (its header's alg, or 'none' allowed), or '' when it does not.

    PyJWT refuses alg=none with an HMAC key and a PEM as an HMAC secret, so behaviour alone cannot catch this: read the
    code — its source when there is one, else its compiled code (names and constants, nested functions included).
    """
    function = inspect.unwrap(function)  # the check calls it through a tracing wrapper
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return _chosen_in_bytecode(function)
    from_header = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and _mentions_alg(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        chosen = [keyword.value for keyword in node.keywords if keyword.arg == "algorithms"]
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("decode", "decode_complete"):
            chosen += node.args[2:3]
        for value in chosen:
            if _mentions_alg(value) or any(
                isinstance(name, ast.Name) and name.id in from_header for name in ast.walk(value)
            ):
                return f"algorithms={ast.unparse(value)} comes from the token's header"
            if any(isinstance(item, ast.Constant) and str(item.value).lower() == "none" for item in ast.walk(value)):
                return f"algorithms={ast.unparse(value)} lets an unsigned token choose 'none'"
    return ""


def _mentions_alg(node: ast.AST) -> bool:
    """True when `node` reads an 'alg' member (header["alg"], header.get("alg"))."""
    return any(isinstance(item, ast.Constant) and item.value == "alg" for item in ast.walk(node))


def _chosen_in_bytecode(function) -> str:
    codes, seen = [getattr(function, "__code__", None)], []
    while codes:
        code = codes.pop()
        if isinstance(code, types.CodeType) and code not in seen:
            seen.append(code)
            codes += [const for const in code.co_consts if isinstance(const, types.CodeType)]
    names = {name for code in seen for name in code.co_names}
    strings = {
        value
        for code in seen
        for const in code.co_consts
        for value in (const if isinstance(const, tuple) else (const,))
        if isinstance(value, str)
    }
    if "alg" in strings and names & HEADER_READERS:
        return "it reads 'alg' from the token's header"
    if "none" in {value.lower() for value in strings}:
        return "it allows the algorithm 'none'"
    return ""


q1 = Exercise(
    "ch15.q1",
    "Verify an access token: pin the algorithm, require the claims",
    _test_verify,
    hint="return jwt.decode(token, key, algorithms=['HS256'], audience=AUDIENCE, issuer=ISSUER, leeway=5, "
    "options={'require': ['exp', 'iat', 'sub', 'aud', 'iss']})",
)

# (caller id, caller role, the task's owner id or None for a missing task, is it an admin route?) → status
STATUS_CASES = [
    (None, None, 1, False, 401),
    (None, None, None, False, 401),
    (None, None, None, True, 401),
    (1, "member", 1, False, 200),
    (5, "admin", 5, False, 200),
    (2, "member", 1, False, 404),
    (5, "admin", 1, False, 404),
    (2, "member", None, False, 404),
    (9, "admin", None, False, 404),
    (2, "member", None, True, 403),
    (3, "guest", None, True, 403),
    (1, "admin", None, True, 200),
    (4, "admin", None, True, 200),
]


def _test_status(status_for) -> None:
    for caller, role, owner, admin_route, expected in STATUS_CASES:
        call = f"status_for(caller_id={caller!r}, role={role!r}, owner_id={owner!r}, admin_route={admin_route})"
        got = status_for(caller, role, owner, admin_route)
        if got != expected:
            raise Incorrect(_why_status(caller, role, owner, admin_route), request=call, expected=expected, got=got)


def _why_status(caller, role, owner, admin_route) -> str:
    if caller is None:
        return "nobody is logged in: 401 comes first, whatever the route (who are you?)."
    if admin_route:
        return (
            "an admin route: 200 for the admin role, 403 for any other role (we know who you are, and the "
            "answer is no)."
        )
    if owner is None:
        return "the task does not exist: 404."
    if owner != caller:
        return (
            "another user's task must look exactly like a missing one: 404, not 403 (a 403 would confirm the id "
            "exists) — also for admins on the task routes: the admin routes are separate."
        )
    return "the caller's own task: 200."


q2 = Exercise(
    "ch15.q2",
    "401, 403 or 404?",
    _test_status,
    hint="if caller_id is None: 401. If admin_route: 200 if role == 'admin' else 403. Otherwise 404 unless "
    "owner_id == caller_id (a missing task has owner_id None), then 200.",
)
