"""Server-side sessions: a random id in a cookie, the session itself in Redis, and the CSRF rule for cookie writes.

- The session id is 256 random bits from `secrets`; Redis keeps the session under the id's SHA-256 digest, so a dump
  of Redis reveals no live cookie. A session expires `ttl` seconds after login (Redis TTL): nothing to clean up.
- Logging out deletes the session in Redis: the cookie may live on in a browser, but it names nothing any more.
  (A signed cookie or a JWT carries its own data and stays valid until it expires; a server-side session can be ended.)
- The cookie's flags come from one SessionCookie; production uses `__Host-session; Secure; HttpOnly; SameSite=Lax;
  Path=/`, which browsers only accept over HTTPS (or on localhost).
- A browser attaches cookies to requests other sites make it send (CSRF); a cookie-authenticated write therefore
  must come from an allowed Origin (when the browser says) and carry the session's CSRF token in X-CSRF-Token.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Literal

import redis
from starlette.responses import Response

SESSION_TTL = 30 * 60  # seconds from login to expiry (OWASP: 15-30 minutes for an idle timeout is common)
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def new_token() -> str:
    """256 random bits, URL-safe: a session id or a CSRF token nobody can guess."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class SessionCookie:
    """The name and flags of the session cookie; __Host- names require Secure and Path=/ (and no Domain)."""

    name: str = "__Host-session"
    secure: bool = True  # sent over HTTPS only: no one on the network path reads it
    http_only: bool = True  # not visible to JavaScript (document.cookie): an XSS cannot steal it
    same_site: Literal["lax", "strict", "none"] = "lax"  # not sent on other sites' POSTs, fetches and frames
    path: str = "/"

    def __post_init__(self) -> None:
        if self.name.startswith("__Host-") and (not self.secure or self.path != "/"):
            raise ValueError("a __Host- cookie must be Secure with Path=/ (browsers refuse it otherwise)")
        if self.name.startswith("__Secure-") and not self.secure:
            raise ValueError("a __Secure- cookie must be Secure (browsers refuse it otherwise)")
        if self.same_site == "none" and not self.secure:
            raise ValueError("SameSite=None requires Secure (browsers refuse it otherwise)")

    def set(self, response: Response, session_id: str, max_age: int) -> None:
        """Add the Set-Cookie that hands `session_id` to the browser for `max_age` seconds."""
        response.set_cookie(self.name, session_id, max_age=max_age, path=self.path, secure=self.secure,
                            httponly=self.http_only, samesite=self.same_site)

    def clear(self, response: Response) -> None:
        """Add the Set-Cookie that makes the browser drop the cookie (same flags, or a browser ignores it)."""
        response.delete_cookie(self.name, path=self.path, secure=self.secure, httponly=self.http_only,
                               samesite=self.same_site)


PRODUCTION_COOKIE = SessionCookie()
PLAIN_HTTP_COOKIE = SessionCookie(name="session", secure=False)  # for clients that never send Secure cookies over http


def session_cookie(secure: bool) -> SessionCookie:
    """The production cookie, or with secure=False the same without Secure and without the __Host- prefix."""
    return PRODUCTION_COOKIE if secure else PLAIN_HTTP_COOKIE


@dataclass(frozen=True)
class Session:
    """What the server knows about one logged-in browser."""

    user_id: int
    csrf_token: str


def digest(session_id: str) -> str:
    """The name a session is stored under: a hash of its id, so Redis holds no usable cookie value."""
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    """Sessions in Redis under `prefix`, each expiring `ttl` seconds after it was created."""

    def __init__(self, client: redis.Redis, ttl: int = SESSION_TTL, prefix: str | None = None) -> None:
        if ttl < 1:
            raise ValueError("a session lives at least one second")
        self.redis, self.ttl = client, ttl
        self.prefix = prefix or f"session:{uuid.uuid4().hex[:12]}:"

    def key(self, session_id: str) -> str:
        """The Redis key of a session id."""
        return self.prefix + digest(session_id)

    def create(self, user_id: int) -> tuple[str, Session]:
        """A new session for `user_id`: its random id (for the cookie, shown once) and its data."""
        session_id, session = new_token(), Session(user_id, new_token())
        with self.redis.pipeline() as pipe:  # MULTI/EXEC: the hash and its expiry are written together
            pipe.hset(self.key(session_id), mapping={"user_id": user_id, "csrf_token": session.csrf_token})
            pipe.expire(self.key(session_id), self.ttl)
            pipe.execute()
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        """The live session `session_id` names; None when there is none, it ended or it expired."""
        if not session_id:
            return None
        found = self.redis.hgetall(self.key(session_id))
        if not found:
            return None
        return Session(int(found["user_id"]), found["csrf_token"])

    def delete(self, session_id: str | None) -> bool:
        """End a session at once (logout, rotation); True when there was one."""
        return bool(session_id) and self.redis.delete(self.key(session_id)) > 0

    def ttl_of(self, session_id: str) -> int:
        """Seconds until the session expires; negative when it does not exist."""
        return self.redis.ttl(self.key(session_id))

    def clear(self) -> int:
        """Delete every session of this store (a test's or an app's cleanup); returns how many."""
        names = list(self.redis.scan_iter(match=f"{self.prefix}*", count=500))
        return self.redis.delete(*names) if names else 0


def foreign(origin: str | None, own_origins: set[str]) -> bool:
    """True when the browser says the request comes from another origin (no Origin header: it does not say)."""
    return origin is not None and origin not in own_origins


def csrf_refusal(method: str, origin: str | None, own_origins: set[str], sent_token: str | None,
                 session_token: str) -> str | None:
    """Why a cookie-authenticated request must be refused as a possible CSRF, or None when it may run.

    Safe methods change nothing and always run. An unsafe one needs (1) no Origin, or one of `own_origins` (browsers
    send Origin on cross-site writes; 'null' comes from sandboxed or privacy-hiding contexts and is refused) and
    (2) the session's CSRF token in X-CSRF-Token: another site can make a browser send the cookie, but cannot read
    the token, nor set a custom header without a CORS preflight this API never grants.
    """
    if method.upper() in SAFE_METHODS:
        return None
    if foreign(origin, own_origins):
        return f"a write from the origin {origin!r}: this API only takes cookie-authenticated writes from itself"
    if not sent_token or not secrets.compare_digest(sent_token.encode(), session_token.encode()):
        return f"a cookie-authenticated write needs the session's CSRF token in the {CSRF_HEADER} header"
    return None
