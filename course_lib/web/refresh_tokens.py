"""Refresh tokens: opaque, stored server-side as digests, rotated on every use; a reused one revokes its family.

A login starts a *family*. Each refresh spends the token it was given and hands out the next one of the same family.
A refresh token that was already spent can only be presented again by someone holding a stolen copy (or by the
owner, after the thief used it first): the server cannot tell which, so it revokes the whole family and both must log
in again (RFC 9700 §4.14.2). Logout revokes the family too. Everything expires `ttl` seconds after login (Redis TTL).

Every key is written with its expiry in one MULTI/EXEC, and no later command can bring back an expired key without
one: spending is HDEL (which never creates a key) and revoking is DEL.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import cast

import redis

from course_lib.web.digests import digest

TOKEN_PREFIX = "rt_"  # recognisable in logs and by secret scanners, like the API keys' tk_


class RefreshRefused(Exception):
    """The refresh token is unknown, expired, revoked or reused; `reused` says whether the family was just revoked."""

    def __init__(self, message: str, *, reused: bool = False) -> None:
        super().__init__(message)
        self.reused = reused


@dataclass(frozen=True)
class Grant:
    """What a refresh token stands for: whose it is and which login (family) it belongs to."""

    user_id: int
    family: str


class RefreshStore:
    """Refresh-token families in Redis under `prefix`; each family expires `ttl` seconds after its login."""

    def __init__(self, client: redis.Redis, ttl: int, prefix: str | None = None) -> None:
        if ttl < 1:
            raise ValueError("a refresh token lives at least one second")
        self.redis, self.ttl = client, ttl
        self.prefix = prefix or f"refresh:{uuid.uuid4().hex[:12]}:"

    def _token_key(self, token: str) -> str:
        return f"{self.prefix}token:{digest(token)}"  # a leaked Redis holds no usable refresh token

    def _family_key(self, family: str) -> str:
        return f"{self.prefix}family:{family}"

    def start(self, user_id: int) -> str:
        """A new family for a login: its first refresh token (shown once)."""
        grant = Grant(user_id, uuid.uuid4().hex)
        with self.redis.pipeline() as pipe:  # MULTI/EXEC: the family and its first token, each with its TTL, or none
            pipe.set(self._family_key(grant.family), user_id, ex=self.ttl)
            token = self._add(pipe, grant, self.ttl)
            pipe.execute()
        return token

    def _add(self, pipe: redis.client.Pipeline, grant: Grant, ttl: int) -> str:
        """Queue a new unspent token of `grant` living `ttl` seconds on `pipe` (a MULTI the caller executes)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        pipe.hset(self._token_key(token), mapping={"user_id": grant.user_id, "family": grant.family, "unspent": 1})
        pipe.expire(self._token_key(token), ttl)
        return token

    def _fields(self, name: str) -> dict[str, str]:
        """A hash's fields, as the str the client decodes them to (redis_client's default)."""
        return cast(dict[str, str], self.redis.hgetall(name))

    def rotate(self, token: str) -> tuple[Grant, str]:
        """Spend `token`: its grant and the family's next token. RefreshRefused when it cannot be spent."""
        found = self._fields(self._token_key(token)) if token else {}
        if not found:
            raise RefreshRefused("unknown or expired refresh token: log in again")
        grant = Grant(int(found["user_id"]), found["family"])
        # One atomic HDEL decides who spent the token first: two concurrent refreshes cannot both delete the field,
        # and unlike HINCRBY it never recreates a key that expired meanwhile (one with no TTL, kept for ever).
        # The family's TTL is read in the same MULTI: a loser can revoke the family only after it sees the field
        # gone, so the winner's reading always comes first — two steps would let the loser revoke in between.
        with self.redis.pipeline() as pipe:
            pipe.hdel(self._token_key(token), "unspent")
            pipe.ttl(self._family_key(grant.family))  # -2: revoked or expired; the next token lives no longer
            spent, left = pipe.execute()
        if not spent:
            self.revoke_family(grant.family)
            raise RefreshRefused(
                "this refresh token was already used: its whole family is revoked, log in again", reused=True
            )
        if left < 1:
            raise RefreshRefused(
                "this refresh token was revoked (logout, or a reused token in its family) or its "
                "login expired: log in again"
            )
        with self.redis.pipeline() as pipe:
            next_token = self._add(pipe, grant, left)
            pipe.execute()
        return grant, next_token

    def family_alive(self, family: str) -> bool:
        """True while the family exists: nobody revoked it and its login has not expired."""
        return bool(self.redis.exists(self._family_key(family)))

    def revoke(self, token: str) -> bool:
        """Log out: revoke the family of `token`; True when there was a live one."""
        found = self._fields(self._token_key(token)) if token else {}
        return bool(found) and self.revoke_family(found["family"])

    def revoke_family(self, family: str) -> bool:
        """Every token of `family` stops working at once (DEL: nothing is left to expire); True when it was alive."""
        return bool(self.redis.delete(self._family_key(family)))

    def clear(self) -> int:
        """Delete every family and token of this store (a test's or an app's cleanup); returns how many keys."""
        names = list(self.redis.scan_iter(match=f"{self.prefix}*", count=500))
        return self.redis.delete(*names) if names else 0
