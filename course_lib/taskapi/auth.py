"""Who is calling: API keys in the X-API-Key header, and the CurrentUser dependency routes declare.

POST /users issues a random key and answers it once; the server keeps only the key's SHA-256 digest, so a leaked
store does not leak keys. A request with no key or an unknown key is 401 with WWW-Authenticate; whether a known user
may do what it asks (403) is the route's decision.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from course_lib.taskapi.deps import UsersDep
from course_lib.taskapi.repository import User

API_KEY_HEADER = "X-API-Key"
KEY_PREFIX = "tk_"  # recognisable in logs and by secret scanners
CHALLENGE = {"WWW-Authenticate": f'ApiKey header="{API_KEY_HEADER}"'}

api_key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False,
                              description="The api_key that POST /users answered when the user was created.")


def digest(key: str) -> str:
    """What the server stores instead of the key."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    """The issued keys of one app, as digests mapped to user ids."""

    def __init__(self) -> None:
        self._owners: dict[str, int] = {}
        self._lock = threading.Lock()

    def issue(self, user_id: int) -> str:
        """A new random key for `user_id`; only its digest is kept."""
        key = KEY_PREFIX + secrets.token_urlsafe(24)
        with self._lock:
            self._owners[digest(key)] = user_id
        return key

    def owner(self, key: str) -> int | None:
        """The user id a key belongs to, or None."""
        return self._owners.get(digest(key))


def install_api_keys(app: FastAPI) -> None:
    """Give `app` its own key store (two apps never share keys)."""
    app.state.api_keys = ApiKeys()


def get_api_keys(request: Request) -> ApiKeys:
    """The app's key store (app.state.api_keys)."""
    return request.app.state.api_keys


def current_user(users: UsersDep, keys: Annotated[ApiKeys, Depends(get_api_keys)],
                 key: Annotated[str | None, Security(api_key_header)]) -> User:
    """The user whose key the request carries; 401 with WWW-Authenticate when there is none or it is unknown."""
    if not key:
        raise HTTPException(401, f"send your API key in the {API_KEY_HEADER} header", headers=CHALLENGE)
    user_id = keys.owner(key)
    user = users.get(user_id) if user_id is not None else None
    if user is None:
        raise HTTPException(401, "unknown API key", headers=CHALLENGE)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def issue_api_key(request: Request, user: User) -> dict[str, str]:
    """The extra field of the answer to POST /users: a new key for `user`, shown this one time."""
    return {"api_key": get_api_keys(request).issue(user.id)}


def sign_up(client, name: str, email: str | None = None,
            password: str = "correct horse battery staple") -> dict[str, str]:
    """Create a user through `client` (a RunningServer, httpx or TestClient); return the headers its requests carry.

    Before chapter 05 there are no keys, and the headers are {}.

    The password is ignored by chapters without passwords and lets the same helper work with those that have them.
    """
    email = email or f"{name.lower()}@example.org"
    response = client.post("/users", json={"name": name, "email": email, "password": password})
    response.raise_for_status()
    key = response.json().get("api_key")
    return {API_KEY_HEADER: key} if key else {}
