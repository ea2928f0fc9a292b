"""Access tokens as JWTs (RFC 7519, PyJWT): signed claims a server checks without asking anyone.

An access token is `header.payload.signature`, each base64url. The payload names who (`sub`), for whom (`aud`), by
whom (`iss`), when it was made (`iat`), from when (`nbf`) and until when (`exp`) it is good. Anyone can read it; only
the holder of the key can make one that verifies. verify() pins the algorithm (the server's choice, never the
token's header) and requires every claim it relies on: a token without `exp` is refused, not trusted forever.

Keys rotate: the header's `kid` names the key that signed the token, and verify() looks it up among the server's own
keys (the current one, which signs, and the previous ones, which only verify until the tokens they signed expire).
An unknown kid is refused; the token never supplies a key or an algorithm.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt

ALGORITHM = "HS256"  # one algorithm, chosen by the server: the token's own header never picks it
REQUIRED_CLAIMS = ("exp", "iat", "sub", "aud", "iss")
MAX_TOKEN_LENGTH = 4096  # longer than any token this server signs: refuse before parsing
MIN_KEY_BYTES = 32  # RFC 7518 §3.2: an HS256 key of at least the hash's size (RFC 8725 §3.5: and random)


class InvalidToken(Exception):
    """The token cannot be trusted; the message says why (for the 401's error_description)."""


def key_id(key: str) -> str:
    """The public name of `key` in a token's `kid` header: a digest, which does not give the key away."""
    return hashlib.sha256(b"jwt-kid:" + key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TokenConfig:
    """What signs and checks access tokens: the key, who issues them, who they are for, and how long they live."""

    key: str
    issuer: str = "https://tasks.backend-course.example"
    audience: str = "task-api"
    ttl: int = 300  # seconds: short, because a token cannot be recalled once issued
    leeway: int = 5  # seconds of clock difference between servers tolerated on exp, nbf and iat
    previous_keys: tuple[str, ...] = ()  # verify, never sign: drop each one `ttl` seconds after it stopped signing

    def __post_init__(self) -> None:
        if any(len(key.encode()) < MIN_KEY_BYTES for key in (self.key, *self.previous_keys)):
            raise ValueError(f"an HS256 key has at least {MIN_KEY_BYTES} bytes (RFC 7518 §3.2)")

    def keys(self) -> dict[str, str]:
        """Every key that verifies, by its kid: the current one and the previous ones."""
        return {key_id(key): key for key in (self.key, *self.previous_keys)}


def issue(config: TokenConfig, subject: int | str, *, now: float | None = None, **claims: Any) -> str:
    """A signed access token for `subject`, valid for config.ttl seconds from `now`; extra claims (role) added."""
    now = time.time() if now is None else now
    payload = {
        "iss": config.issuer,
        "aud": config.audience,
        "sub": str(subject),
        "iat": int(now),
        "nbf": int(now),
        "exp": int(now) + config.ttl,
        "jti": secrets.token_urlsafe(8),
        **claims,
    }
    return jwt.encode(payload, config.key, algorithm=ALGORITHM, headers={"kid": key_id(config.key)})


def verify(config: TokenConfig, token: str) -> dict[str, Any]:
    """The claims of `token` if its key id, signature, algorithm, audience, issuer and times all check."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("the token is empty or too long")
    try:
        key = config.keys().get(str(unverified_header(token).get("kid")))
    except jwt.InvalidTokenError as error:
        raise InvalidToken(reason(error)) from None
    except Exception:  # e.g. a header that is valid JSON but not an object: still a bad token, never a 500
        raise InvalidToken("the token is malformed") from None
    if key is None:
        raise InvalidToken("the token's kid names no key of this server")
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=config.audience,
            issuer=config.issuer,
            leeway=config.leeway,
            options={"require": list(REQUIRED_CLAIMS), "verify_signature": True},
        )
    except jwt.InvalidTokenError as error:  # the base of every refusal PyJWT makes: signature, alg, claims, format
        raise InvalidToken(reason(error)) from None
    except Exception:
        raise InvalidToken("the token is malformed") from None


def reason(error: jwt.InvalidTokenError) -> str:
    """A short, safe explanation of why PyJWT refused a token."""
    reasons = {
        jwt.ExpiredSignatureError: "the token has expired",
        jwt.ImmatureSignatureError: "the token is not valid yet (nbf or iat in the future)",
        jwt.InvalidAudienceError: "the token is for another audience",
        jwt.InvalidIssuerError: "the token was issued by someone else",
        jwt.MissingRequiredClaimError: f"the token lacks a required claim ({getattr(error, 'claim', '?')})",
        jwt.InvalidAlgorithmError: "the token is signed with an algorithm this server does not accept",
        jwt.InvalidSignatureError: "the token's signature does not match",
    }
    for kind, text in reasons.items():
        if isinstance(error, kind):
            return text
    return "the token is malformed"


def unverified_header(token: str) -> dict[str, Any]:
    """The token's header as written by whoever made it: its kid picks one of the server's keys, nothing else."""
    return jwt.get_unverified_header(token)
