"""Passwords at rest: an argon2 hash (pwdlib), salted and slow on purpose, never the password itself."""

from __future__ import annotations

from pwdlib import PasswordHash

_HASHER = PasswordHash.recommended()  # argon2id with pwdlib's recommended cost


def hash_password(password: str) -> str:
    """A new argon2id hash of `password` ('$argon2id$v=19$m=...'); a fresh salt every call."""
    return _HASHER.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """True when `password` matches `password_hash`; False for an empty or unknown hash, never an exception."""
    if not password_hash:
        return False
    try:
        return _HASHER.verify(password, password_hash)
    except Exception:  # a malformed hash must read as "no match", not as a 500
        return False
