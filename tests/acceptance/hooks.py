"""The suite's one look behind HTTP (check 5): a user's stored password hash, read from the app's storage.

A learner whose app keeps users elsewhere names their own function in ACCEPTANCE_PASSWORD_HASH (module:function with
the same signature). Nothing else in the suite reads the app's internals.
"""

from __future__ import annotations

from typing import Any


def stored_password_hash(app: Any, email: str) -> str | None:
    """The password hash the app stored for `email` (the course's storage: app.context.storage), None if no user."""
    with app.context.storage.unit_of_work() as uow:
        user = uow.users.get_by_email(email)
        return None if user is None else user.password_hash
