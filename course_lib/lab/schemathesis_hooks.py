"""What the OpenAPI cannot state, told to schemathesis: loaded by conformance.py through SCHEMATHESIS_HOOKS.

JSON Schema checks each field on its own; chapter 08's cross-field rule (a password must not contain the user's name
or the first part of the email) compares fields, and its blocklist (NIST SP 800-63B-4) is no pattern either, so the
document states them in words and this hook keeps generated sign-ups on the right side of them. Every other rule
is in the document itself.
"""

from __future__ import annotations

import schemathesis

from course_lib.taskapi.schemas_validated import is_personal
from course_lib.web.password_rules import blocklist_reason


@schemathesis.hook
def filter_case(context, case) -> bool:
    """Leave out a sign-up whose password contains its name or email, or is a common one: the API refuses it, as
    documented in words. A case hook, not a body hook: the coverage phase builds its cases without the body strategy,
    and passes them through case hooks only."""
    return sign_up_is_allowed(case.body)


def sign_up_is_allowed(body) -> bool:
    """False for a sign-up body the API refuses by the rules the document states in words; True for any other body."""
    if not isinstance(body, dict):
        return True
    password, name, email = body.get("password"), body.get("name"), body.get("email")
    if not (isinstance(password, str) and isinstance(name, str) and isinstance(email, str)):
        return True
    return not is_personal(password, name.strip(), email) and blocklist_reason(password) is None
