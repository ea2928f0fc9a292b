"""What a server keeps instead of a secret it hands out (an API key, a session id, a refresh token): its digest."""

import hashlib


def digest(secret: str) -> str:
    """The SHA-256 of `secret`, in hex: a leaked copy opens nothing, and a random secret of 128+ bits cannot be found
    from it (a password, which people choose, needs a slow hash instead: web/passwords.py)."""
    return hashlib.sha256(secret.encode()).hexdigest()
