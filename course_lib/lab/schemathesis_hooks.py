"""What the OpenAPI cannot state, told to schemathesis: loaded by conformance.py through SCHEMATHESIS_HOOKS.

JSON Schema checks each field on its own; chapter 08's cross-field rule (a password must not contain the user's name
or the first part of the email) compares fields, so the document states it in words and this hook keeps generated
sign-ups on the right side of it. Every other rule is in the document itself.
"""

from __future__ import annotations

import schemathesis

from course_lib.taskapi.schemas_validated import is_personal


@schemathesis.hook
def filter_body(context, body) -> bool:
    """Leave out a sign-up whose password contains its name or email: the API refuses it, as documented in words."""
    if not isinstance(body, dict):
        return True
    password, name, email = body.get("password"), body.get("name"), body.get("email")
    if not all(isinstance(value, str) for value in (password, name, email)):
        return True
    return not is_personal(password, name.strip(), email)
