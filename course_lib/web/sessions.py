"""Server-side sessions: a random id in a cookie, the session itself in Redis, and the CSRF rule for cookie writes.

- The session id is 256 random bits from `secrets`; Redis keeps the session under the id's SHA-256 digest, so a dump
  of Redis reveals no live cookie.
- Two timeouts (OWASP Session Management Cheat Sheet): an idle one (the Redis TTL, renewed by every request that
  uses the session) and an absolute one (a deadline stored with the session, never renewed).
- Logging out deletes the session in Redis: the cookie may live on in a browser, but it names nothing any more.
  Each user's sessions are indexed, so all of them end at once (a password or a role change).
- The cookie's flags come from one SessionCookie; production uses `__Host-session; Secure; HttpOnly; SameSite=Lax;
  Path=/` without Max-Age, which browsers only accept over HTTPS (or on localhost).
- A browser attaches cookies to requests other sites make it send (CSRF); a cookie-authenticated write therefore
  must not come from another site (Sec-Fetch-Site, else Origin) and must carry the session's CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal

import redis
from starlette.responses import Response

from course_lib.web.digests import digest

# OWASP: "Common idle timeouts ranges are 2-5 minutes for high-value applications and 15-30 minutes for low risk
# applications"; an absolute timeout for "a full day" of office work "could be between 4 and 8 hours".
IDLE_TIMEOUT = 30 * 60  # a to-do list is a low-risk application: the upper end of 15-30 minutes
ABSOLUTE_TIMEOUT = 8 * 3600  # a working day, then log in again however active the session was
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FETCH_SITES = frozenset({"same-origin", "same-site", "cross-site", "none"})  # Sec-Fetch-Site's values (Fetch Metadata)


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

    def set(self, response: Response, session_id: str) -> None:
        """Add the Set-Cookie that hands `session_id` to the browser, without Max-Age or Expires.

        A cookie without them is non-persistent (OWASP's recommendation for session ids): the browser keeps it in
        memory only, and the server's timeouts decide how long it names a session.
        """
        response.set_cookie(
            self.name, session_id, path=self.path, secure=self.secure, httponly=self.http_only, samesite=self.same_site
        )

    def clear(self, response: Response) -> None:
        """Add the Set-Cookie that makes the browser drop the cookie (same flags, or a browser ignores it)."""
        response.delete_cookie(
            self.name, path=self.path, secure=self.secure, httponly=self.http_only, samesite=self.same_site
        )


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
    ends_at: float = float("inf")  # the absolute timeout: seconds since the epoch


class SessionStore:
    """Sessions in Redis under `prefix`: each ends after `idle` seconds without use, or `absolute` after login."""

    def __init__(
        self,
        client: redis.Redis,
        idle: int = IDLE_TIMEOUT,
        absolute: int = ABSOLUTE_TIMEOUT,
        prefix: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if idle < 1 or absolute < 1:
            raise ValueError("a session lives at least one second")
        self.redis, self.idle, self.absolute, self.clock = client, min(idle, absolute), absolute, clock
        self.prefix = prefix or f"session:{uuid.uuid4().hex[:12]}:"

    def key(self, session_id: str) -> str:
        """The Redis key of a session id: its digest, so Redis holds no usable cookie value."""
        return self.prefix + digest(session_id)

    def user_key(self, user_id: int) -> str:
        """The Redis set of one user's session keys (so that all of them can end at once)."""
        return f"{self.prefix}user:{user_id}"

    def create(self, user_id: int) -> tuple[str, Session]:
        """A new session for `user_id`: its random id (for the cookie, shown once) and its data."""
        session_id = new_token()
        session = Session(user_id, new_token(), self.clock() + self.absolute)
        key, index = self.key(session_id), self.user_key(user_id)
        with self.redis.pipeline() as pipe:  # MULTI/EXEC: the hash, its expiry and the index are written together
            pipe.hset(key, mapping={"user_id": user_id, "csrf_token": session.csrf_token, "ends_at": session.ends_at})
            pipe.expire(key, self.idle)
            pipe.sadd(index, key)
            pipe.expire(index, self.absolute)  # no session in it outlives this: the index cannot grow without end
            pipe.execute()
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        """The live session `session_id` names, its idle timeout renewed; None when it ended or timed out."""
        if not session_id:
            return None
        key = self.key(session_id)
        with self.redis.pipeline(transaction=False) as pipe:  # one round trip: read it, and it was used now
            pipe.hgetall(key)
            pipe.expire(key, self.idle)
            found, _ = pipe.execute()
        if not found or not {"user_id", "csrf_token", "ends_at"} <= found.keys():
            return None
        session = Session(int(found["user_id"]), found["csrf_token"], float(found["ends_at"]))
        left = session.ends_at - self.clock()
        if left <= 0:  # the absolute timeout, however active the session was
            self.redis.delete(key)
            return None
        if left < self.idle:
            self.redis.expire(key, max(1, int(left)))  # the idle timeout never reaches past the absolute one
        return session

    def delete(self, session_id: str | None) -> bool:
        """End a session at once (logout, rotation); True when there was one."""
        return bool(session_id and self.redis.delete(self.key(session_id)) > 0)

    def end_all(self, user_id: int) -> int:
        """End every session of `user_id` (a password change, a role change); returns how many were live."""
        index = self.user_key(user_id)
        keys = list(self.redis.smembers(index))
        if not keys:
            return 0
        with self.redis.pipeline() as pipe:  # a session created meanwhile stays indexed: it is not in `keys`
            pipe.delete(*keys)
            pipe.srem(index, *keys)
            ended, _ = pipe.execute()
        return ended

    def ttl_of(self, session_id: str) -> int:
        """Seconds until the session times out if unused; negative when it does not exist."""
        return self.redis.ttl(self.key(session_id))

    def clear(self) -> int:
        """Delete every session of this store (a test's or an app's cleanup); returns how many keys.

        A Redis that cannot be reached keeps them until their timeouts: a clean-up at stop must not fail the stop.
        """
        try:
            names = list(self.redis.scan_iter(match=f"{self.prefix}*", count=500))
            return self.redis.delete(*names) if names else 0
        except redis.RedisError:
            return 0


def cross_site_refusal(origin: str | None, fetch_site: str | None, allowed_origins: Collection[str]) -> str | None:
    """Why a write must be refused as sent by another site, or None when nothing says it was.

    An Origin in `allowed_origins` (a front end this API trusts) may write. Otherwise the browser's Sec-Fetch-Site
    decides (Fetch Metadata, every major browser since 2023): same-origin or none (the user typed or bookmarked it)
    may write, same-site (a sibling subdomain) and cross-site may not. A browser too old to send it falls back to
    Origin: one that is present and not allowed is refused ('null' too). With neither header, the token decides.
    """
    if origin is not None and origin in allowed_origins:
        return None
    if fetch_site in FETCH_SITES:
        if fetch_site in ("same-origin", "none"):
            return None
        return f"the browser says this write comes from a {fetch_site} page (Sec-Fetch-Site: {fetch_site})"
    if origin is not None:
        return f"a write from the origin {origin!r}, which is not one of this API's allowed origins"
    return None


def tokens_match(sent: str | None, expected: str) -> bool:
    """True when `sent` is the non-empty `expected` token, compared in constant time (as bytes: any text is safe)."""
    return bool(sent and expected and hmac.compare_digest(sent.encode(), expected.encode()))


def csrf_refusal(
    method: str,
    origin: str | None,
    allowed_origins: Collection[str],
    sent_token: str | None,
    session_token: str,
    fetch_site: str | None = None,
) -> str | None:
    """Why a cookie-authenticated request must be refused as a possible CSRF, or None when it may run.

    Safe methods change nothing and always run. An unsafe one must (1) not come from another site
    (cross_site_refusal) and (2) carry the session's CSRF token in X-CSRF-Token: another site can make a browser
    send the cookie, but cannot read the token, nor set a custom header without a CORS preflight this API never grants.
    """
    if method.upper() in SAFE_METHODS:
        return None
    refusal = cross_site_refusal(origin, fetch_site, allowed_origins)
    if refusal:
        return f"{refusal}: this API takes cookie-authenticated writes only from its own pages"
    if not tokens_match(sent_token, session_token):
        return f"a cookie-authenticated write needs the session's CSRF token in the {CSRF_HEADER} header"
    return None


def signed_csrf_token(key: bytes, session_id: str) -> str:
    """A signed, session-bound double-submit token (OWASP): HMAC(key, session id + random) "." random.

    For an API that keeps no session state: the token can sit in a readable cookie, and a token planted by a sibling
    subdomain is worthless, because it was not made for this session id with the server's key.
    """
    random_part = secrets.token_urlsafe(32)
    message = f"{len(session_id)}!{session_id}!{len(random_part)}!{random_part}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest() + "." + random_part


def signed_csrf_token_valid(key: bytes, session_id: str, token: str | None) -> bool:
    """True when `token` was made by signed_csrf_token for this `session_id` with this `key`."""
    signature, _, random_part = (token or "").partition(".")
    message = f"{len(session_id)}!{session_id}!{len(random_part)}!{random_part}".encode()
    return bool(random_part) and tokens_match(signature, hmac.new(key, message, hashlib.sha256).hexdigest())
