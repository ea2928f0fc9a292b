"""Signed opaque cursors: a position in a list that a client hands back but cannot forge, edit or reuse elsewhere.

    signer = CursorSigner(secret_key, ttl=3600)
    token = signer.sign([1767225600000000, 42], scope="/tasks?sort=-created_at")   # 'eyJ2Ijox….Qm9u…'
    signer.open(token, scope="/tasks?sort=-created_at")                              # [1767225600000000, 42]

A token is base64url(JSON payload) "." base64url(HMAC-SHA256 of the payload). The payload holds a version, the
position, a digest of the scope (the list it was issued for) and its issue time. Opaque is a contract, not secrecy:
a client can decode the payload, but any change breaks the signature. open() raises InvalidCursor (or its subclass
ExpiredCursor) for anything it did not issue itself within `ttl` seconds, for the same scope; never anything else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from typing import Any

VERSION = 1
MAX_LENGTH = 1024  # characters: a cursor of ours is about 150; anything far longer is not one of ours
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_PURPOSE = b"course_lib.web.cursors v1"  # its own key: a signature made for a session is no cursor's signature


class InvalidCursor(ValueError):
    """A cursor this server did not issue, or not for this list: malformed, tampered, of an unknown version."""


class ExpiredCursor(InvalidCursor):
    """A genuine cursor, older than the signer's time to live."""


def b64encode(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    """The bytes of unpadded base64url text; InvalidCursor for any other character."""
    if not _BASE64URL.fullmatch(text):
        raise InvalidCursor("the cursor is not base64url text")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidCursor("the cursor is not base64url text") from None


def scope_digest(scope: str) -> str:
    """A short fingerprint of the list a cursor belongs to."""
    return hashlib.sha256(scope.encode()).hexdigest()[:16]


class CursorSigner:
    """Issues and opens cursors with one secret key; they expire `ttl` seconds after they were issued."""

    def __init__(self, secret_key: str, ttl: int = 3600, clock: Callable[[], float] = time.time) -> None:
        self._key = hmac.new(secret_key.encode(), _PURPOSE, hashlib.sha256).digest()
        self.ttl, self.clock = ttl, clock

    def signature(self, payload: str) -> str:
        """The HMAC-SHA256 of the payload text, base64url."""
        return b64encode(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())

    def sign(self, position: list[Any], scope: str) -> str:
        """An opaque token for `position` in the list named by `scope`."""
        body = {"v": VERSION, "k": position, "s": scope_digest(scope), "iat": int(self.clock())}
        payload = b64encode(json.dumps(body, separators=(",", ":")).encode())
        return f"{payload}.{self.signature(payload)}"

    def open(self, token: str, scope: str) -> list[Any]:
        """The position in `token`, if this signer issued it for `scope` less than `ttl` seconds ago."""
        if len(token) > MAX_LENGTH:
            raise InvalidCursor(f"the cursor is longer than {MAX_LENGTH} characters")
        payload, dot, signature = token.partition(".")
        if not dot or not payload or not signature:
            raise InvalidCursor("the cursor is not of the form payload.signature")
        # Both parts must be base64url text (ASCII) before any is hashed: a non-ASCII payload is no cursor of ours.
        if not _BASE64URL.fullmatch(payload) or not _BASE64URL.fullmatch(signature):
            raise InvalidCursor("the cursor is not base64url text")
        # Check the signature before reading anything else: what fails it was never ours, whatever it says.
        if not hmac.compare_digest(self.signature(payload).encode(), signature.encode()):
            raise InvalidCursor("the cursor's signature does not match: it was changed, or made elsewhere")
        try:
            body = json.loads(b64decode(payload))
        except (UnicodeDecodeError, ValueError):  # signed by us yet not JSON: only a leaked key makes one
            raise InvalidCursor("the cursor's payload is not JSON") from None
        if (
            not isinstance(body, dict)
            or set(body) != {"v", "k", "s", "iat"}
            or type(body["v"]) is not int
            or body["v"] != VERSION
        ):
            raise InvalidCursor("the cursor is of an unknown version")
        if body["s"] != scope_digest(scope):
            raise InvalidCursor(
                "the cursor was issued for another list (other filters, sort or path): "
                "send it with the query it came with"
            )
        issued = body["iat"]
        if not isinstance(issued, int) or isinstance(issued, bool):
            raise InvalidCursor("the cursor's issue time is not a number")
        if self.clock() - issued > self.ttl:
            raise ExpiredCursor(
                f"the cursor expired ({self.ttl} s after it was issued): start again from the first page"
            )
        if not isinstance(body["k"], list):
            raise InvalidCursor("the cursor holds no position")
        return body["k"]
