"""Who is calling: API keys in the X-API-Key header (chapter 05's current_user).

POST /users issues a random key and answers it once; the database keeps only the key's SHA-256 digest, so a leaked
database does not leak keys, and every replica on that database knows every key. A request with no key or an
unknown key is 401 with WWW-Authenticate; whether a known user may do what it asks (403) is the route's decision.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Annotated

from fastapi import HTTPException, Security
from fastapi.security import APIKeyHeader

from course_lib.taskapi.deps import UnitOfWorkDep
from course_lib.taskapi.records import User
from course_lib.taskapi.storage import UnitOfWork

API_KEY_HEADER = "X-API-Key"
KEY_PREFIX = "tk_"  # recognisable in logs and by secret scanners
CHALLENGE = {"WWW-Authenticate": f'ApiKey header="{API_KEY_HEADER}"'}

api_key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False,
                              description="The api_key that POST /users answered when the user was created.")


def digest(key: str) -> str:
    """What the server stores instead of the key: a key is random and long, so a fast hash is enough."""
    return hashlib.sha256(key.encode()).hexdigest()


def issue_api_key(uow: UnitOfWork, user: User) -> dict[str, str]:
    """A new random key for `user`, stored as its digest in the same transaction as the user; shown this once."""
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    uow.api_keys.add(digest(key), user.id)
    return {"api_key": key}


def api_key_user(uow: UnitOfWorkDep, key: Annotated[str | None, Security(api_key_header)]) -> User:
    """The user whose key the request carries; 401 with WWW-Authenticate when there is none or it is unknown."""
    if not key:
        raise HTTPException(401, f"send your API key in the {API_KEY_HEADER} header", headers=CHALLENGE)
    user = uow.api_keys.user(digest(key))
    if user is None:
        raise HTTPException(401, "unknown API key", headers=CHALLENGE)
    return user


def sign_up(client, name: str, email: str | None = None,
            password: str = "violet harbor lantern 42") -> dict[str, str]:
    """Create a user through `client` (a RunningServer, httpx or TestClient); return the headers its requests carry.

    Before chapter 05 there are no keys, and the headers are {}.

    The password is ignored by chapters without passwords and lets the same helper work with those that have them.
    """
    email = email or f"{name.lower()}@example.org"
    response = client.post("/users", json={"name": name, "email": email, "password": password})
    response.raise_for_status()
    key = response.json().get("api_key")
    return {API_KEY_HEADER: key} if key else {}
