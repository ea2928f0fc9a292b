"""API keys in the X-API-Key header: issued at sign-up, the login scheme of chapter 05, and a client's sign_up helper.

POST /users issues a random key and answers it once; the database keeps only the key's SHA-256 digest, so a leaked
database does not leak keys, and every replica on that database knows every key. A request with no key or an
unknown key names nobody (401 from current_user, login_schemes.py); whether a known user may do what it asks (403)
is the route's decision.
"""

from __future__ import annotations

import secrets

from fastapi import Request
from fastapi.security import APIKeyHeader

from course_lib.taskapi.login_schemes import LoginScheme
from course_lib.taskapi.records import User
from course_lib.taskapi.storage import UnitOfWork
from course_lib.web.digests import digest  # a key is random and long: a fast hash is enough

API_KEY_HEADER = "X-API-Key"
KEY_PREFIX = "tk_"  # recognisable in logs and by secret scanners

api_key_header = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="The api_key that POST /users answered when the user was created.",
)


def issue_api_key(uow: UnitOfWork, user: User) -> dict[str, str]:
    """A new random key for `user`, stored as its digest in the same transaction as the user; shown this once."""
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    uow.api_keys.add(digest(key), user.id)
    return {"api_key": key}


def api_key_user(request: Request, uow: UnitOfWork, key: str) -> User | None:
    """The user whose key the request carries; None when the key is unknown (or its user is gone)."""
    return uow.api_keys.user(digest(key)) if key else None


def api_key_hint(key: str | None) -> str:
    """What a 401 says about the API key the request sent, or did not."""
    return "unknown API key" if key else f"send your API key in the {API_KEY_HEADER} header"


API_KEY = LoginScheme(
    "api_key", sent=api_key_header, user=api_key_user, challenge=f'ApiKey header="{API_KEY_HEADER}"', hint=api_key_hint
)


def sign_up(client, name: str, email: str | None = None, password: str = "violet harbor lantern 42") -> dict[str, str]:
    """Create a user through `client` (a RunningServer, httpx or TestClient); return the headers its requests carry.

    Before chapter 05 there are no keys, and the headers are {}.

    The password is ignored by chapters without passwords and lets the same helper work with those that have them.
    """
    email = email or f"{name.lower()}@example.org"
    response = client.post("/users", json={"name": name, "email": email, "password": password})
    response.raise_for_status()
    key = response.json().get("api_key")
    return {API_KEY_HEADER: key} if key else {}
