"""Passwords at rest: an argon2 hash (pwdlib), salted and slow on purpose, never the password itself."""

from __future__ import annotations

from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from course_lib.services.settings import get_settings

# The test suite's cost (PASSWORD_HASH_COST=minimal): still argon2id, salted and verified for real, but about 1,000×
# cheaper, the way Django's test runs swap in a fast hasher. Thousands of sign-ups must not each cost 0.1–0.3 s of CPU.
MINIMAL = Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1)


@cache
def _hasher(cost: str) -> PasswordHash:
    return PasswordHash((MINIMAL,)) if cost == "minimal" else PasswordHash.recommended()  # argon2id, pwdlib's cost


def hash_password(password: str) -> str:
    """A new argon2id hash of `password` ('$argon2id$v=19$m=...'); a fresh salt every call."""
    return _hasher(get_settings().password_hash_cost).hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """True when `password` matches `password_hash`; False for an empty or unknown hash, never an exception."""
    if not password_hash:
        return False
    try:
        return _hasher(get_settings().password_hash_cost).verify(password, password_hash)
    except Exception:  # a malformed hash must read as "no match", not as a 500
        return False
