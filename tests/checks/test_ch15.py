"""Each checker against its stub, its solution and plausible wrong answers; q2's statuses against the live API."""

import jwt
import pytest

from course_lib.checks.ch15 import AUDIENCE, ISSUER, STATUS_CASES, q1, q2
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.notebook.server import serve
from course_lib.taskapi import ch15_jwt_roles
from course_lib.taskapi.api_keys import sign_up

REQUIRE = ["exp", "iat", "sub", "aud", "iss"]


def verify_solution(token, key):
    return jwt.decode(
        token, key, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER, leeway=5, options={"require": REQUIRE}
    )


WRONG_VERIFIERS = {
    "no signature check": lambda t, k: jwt.decode(
        t,
        k,
        algorithms=["HS256"],
        audience=AUDIENCE,
        issuer=ISSUER,
        options={"verify_signature": False, "require": REQUIRE},
    ),
    "algorithm read from the header": lambda t, k: jwt.decode(
        t,
        k,
        algorithms=[jwt.get_unverified_header(t)["alg"]],
        audience=AUDIENCE,
        issuer=ISSUER,
        options={"require": REQUIRE},
    ),
    "nothing required": lambda t, k: jwt.decode(t, k, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER, leeway=5),
    "exp not required": lambda t, k: jwt.decode(
        t, k, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER, leeway=5, options={"require": REQUIRE[1:]}
    ),
    "aud not checked": lambda t, k: jwt.decode(
        t, k, algorithms=["HS256"], issuer=ISSUER, leeway=5, options={"require": REQUIRE, "verify_aud": False}
    ),
    "iss not checked": lambda t, k: jwt.decode(
        t, k, algorithms=["HS256"], audience=AUDIENCE, leeway=5, options={"require": REQUIRE}
    ),
    "an hour of leeway": lambda t, k: jwt.decode(
        t, k, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER, leeway=3600, options={"require": REQUIRE}
    ),
    "no leeway": lambda t, k: jwt.decode(
        t, k, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER, options={"require": REQUIRE}
    ),
    "returns the header": lambda t, k: verify_solution(t, k) and jwt.get_unverified_header(t),
    "algorithms= removed": lambda t, k: jwt.decode(
        t, k, audience=AUDIENCE, issuer=ISSUER, leeway=5, options={"require": REQUIRE}
    ),
    "verify_exp off": lambda t, k: jwt.decode(
        t,
        k,
        algorithms=["HS256"],
        audience=AUDIENCE,
        issuer=ISSUER,
        leeway=5,
        options={"require": REQUIRE, "verify_exp": False},
    ),
    "verify_signature off (with algorithms)": lambda t, k: jwt.decode(
        t,
        k,
        algorithms=["HS256"],
        audience=AUDIENCE,
        issuer=ISSUER,
        leeway=5,
        options={"require": REQUIRE, "verify_signature": False},
    ),
    "audience not passed, aud not verified": lambda t, k: jwt.decode(
        t, k, algorithms=["HS256"], issuer=ISSUER, leeway=5, options={"require": REQUIRE, "verify_aud": False}
    ),
    "nbf not verified": lambda t, k: jwt.decode(
        t,
        k,
        algorithms=["HS256"],
        audience=AUDIENCE,
        issuer=ISSUER,
        leeway=5,
        options={"require": REQUIRE, "verify_nbf": False},
    ),
    "every HMAC algorithm": lambda t, k: jwt.decode(
        t,
        k,
        algorithms=["HS256", "HS384", "HS512"],
        audience=AUDIENCE,
        issuer=ISSUER,
        leeway=5,
        options={"require": REQUIRE},
    ),
}


def header_alg_in_a_variable(token, key):
    header = jwt.get_unverified_header(token)
    chosen = header["alg"]
    return jwt.decode(
        token, key, algorithms=[chosen], audience=AUDIENCE, issuer=ISSUER, leeway=5, options={"require": REQUIRE}
    )


def header_alg_if_hmac(token, key):
    """Takes the header's alg when it looks like an HMAC one: the same mistake with a guard that does not help."""
    alg = jwt.get_unverified_header(token).get("alg", "HS256")
    return jwt.decode(
        token,
        key,
        algorithms=[alg] if alg.startswith("HS") else ["HS256"],
        audience=AUDIENCE,
        issuer=ISSUER,
        leeway=5,
        options={"require": REQUIRE},
    )


def none_allowed_too(token, key):
    return jwt.decode(
        token, key, ["HS256", "none"], audience=AUDIENCE, issuer=ISSUER, leeway=5, options={"require": REQUIRE}
    )


def header_alg_refused_unless_hs256(token, key):
    """A valid alternative: reads the header only to refuse early, and still pins the algorithm."""
    if jwt.get_unverified_header(token).get("alg") != "HS256":
        raise jwt.InvalidAlgorithmError("HS256 only")
    return verify_solution(token, key)


WRONG_VERIFIERS |= {
    "header alg in a variable": header_alg_in_a_variable,
    "header alg if HMAC": header_alg_if_hmac,
    "'none' allowed too (PyJWT refuses it with an HMAC key)": none_allowed_too,
}


def test_q1_statuses():
    assert q1.evaluate(None).status == NOT_ATTEMPTED
    assert q1.evaluate(verify_solution).status == CORRECT
    for name, wrong in WRONG_VERIFIERS.items():
        assert q1.evaluate(wrong).status == INCORRECT, name
    result = q1.evaluate(WRONG_VERIFIERS["exp not required"])
    assert "missing exp" in result.request and "require" in result.message
    assert q1.evaluate(header_alg_refused_unless_hs256).status == CORRECT


@pytest.mark.parametrize(
    "name",
    [
        "algorithm read from the header",
        "header alg in a variable",
        "header alg if HMAC",
        "'none' allowed too (PyJWT refuses it with an HMAC key)",
    ],
)
def test_q1_says_the_algorithm_is_the_servers_choice(name):
    result = q1.evaluate(WRONG_VERIFIERS[name])
    assert result.status == INCORRECT and "never the token's" in result.message, result.message


def test_q1_reads_compiled_code_when_there_is_no_source():
    """In an exec'd cell inspect.getsource fails: the names and constants of the code still show the mistake."""
    space = {"jwt": jwt, "AUDIENCE": AUDIENCE, "ISSUER": ISSUER}
    exec(
        compile(
            "def verify_token(token, key):\n"
            "    return jwt.decode(token, key, algorithms=[jwt.get_unverified_header(token)['alg']],\n"
            "                      audience=AUDIENCE, issuer=ISSUER, leeway=5,\n"
            "                      options={'require': ['exp', 'iat', 'sub', 'aud', 'iss']})\n",
            "<cell>",
            "exec",
        ),
        space,
    )
    result = q1.evaluate(space["verify_token"])
    assert result.status == INCORRECT and "never the token's" in result.message


def status_solution(caller_id, role, owner_id, admin_route):
    if caller_id is None:
        return 401
    if admin_route:
        return 200 if role == "admin" else 403
    return 200 if owner_id == caller_id else 404


WRONG_STATUSES = {
    "403 for another user's task": lambda c, r, o, a: (
        401 if c is None else ((200 if r == "admin" else 403) if a else 404 if o is None else 200 if o == c else 403)
    ),
    "admins see every task": lambda c, r, o, a: (
        401
        if c is None
        else ((200 if r == "admin" else 403) if a else 404 if o is None else 200 if o == c or r == "admin" else 404)
    ),
    "403 before 401": lambda c, r, o, a: (403 if r != "admin" else 200) if a else status_solution(c, r, o, a),
    "401 for a member on an admin route": lambda c, r, o, a: (
        401 if c is None or (a and r != "admin") else (200 if a else status_solution(c, r, o, a))
    ),
    "role 'member' is the only non-admin": lambda c, r, o, a: (
        401 if c is None else ((403 if r == "member" else 200) if a else status_solution(c, r, o, a))
    ),
}


def test_q2_statuses():
    assert q2.evaluate(None).status == NOT_ATTEMPTED
    assert q2.evaluate(status_solution).status == CORRECT
    for name, wrong in WRONG_STATUSES.items():
        assert q2.evaluate(wrong).status == INCORRECT, name
    assert "404, not 403" in q2.evaluate(WRONG_STATUSES["403 for another user's task"]).message


@pytest.fixture(scope="module")
def live():
    api = serve(ch15_jwt_roles.create_app(), name="test-ch15-checks")
    api.client.headers["If-Match"] = "*"
    yield api
    api.stop()


def test_q2_cases_are_what_the_api_answers(live):
    """Each case of q2 on the live API: users 1 (admin) and 2 (member); task 1 is user 1's."""
    ada, bob = sign_up(live, "Ada"), sign_up(live, "Bob")
    with live.server.config.app.context.storage.unit_of_work() as uow:
        uow.users.set_role(1, "admin")
        uow.commit()
    live.post("/tasks", json={"title": "Ada's"}, headers=ada)
    headers = {None: {}, 1: ada, 2: bob}
    for caller, role, owner, admin_route, expected in STATUS_CASES:
        if caller not in headers or (caller == 1) != (role == "admin") or owner not in (None, 1):
            continue  # a case about users this API does not have
        path = "/admin/users" if admin_route else f"/tasks/{1 if owner else 99}"
        assert live.get(path, headers=headers[caller]).status_code == expected, (caller, role, owner, admin_route)
