"""Access tokens as JWTs (RFC 7519, PyJWT): signed claims a server checks without asking anyone.

An access token is `header.payload.signature`, each base64url. The payload names who (`sub`), for whom (`aud`), by
whom (`iss`), when it was made (`iat`), from when (`nbf`) and until when (`exp`) it is good. Anyone can read it; only
the holder of the key can make one that verifies. verify() pins the algorithm (the server's choice, never the
token's header) and requires every claim it relies on: a token without `exp` is refused, not trusted forever.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt

ALGORITHM = "HS256"  # one algorithm, chosen by the server: the token's own header never picks it
REQUIRED_CLAIMS = ("exp", "iat", "sub", "aud", "iss")
MAX_TOKEN_LENGTH = 4096  # longer than any token this server signs: refuse before parsing


class InvalidToken(Exception):
    """The token cannot be trusted; the message says why (for the 401's error_description)."""


@dataclass(frozen=True)
class TokenConfig:
    """What signs and checks access tokens: the key, who issues them, who they are for, and how long they live."""

    key: str
    issuer: str = "https://tasks.backend-course.example"
    audience: str = "task-api"
    ttl: int = 300  # seconds: short, because a token cannot be recalled once issued
    leeway: int = 5  # seconds of clock difference between servers tolerated on exp, nbf and iat


def issue(config: TokenConfig, subject: int | str, *, now: float | None = None, **claims: Any) -> str:
    """A signed access token for `subject`, valid for config.ttl seconds from `now`; extra claims (role) added."""
    now = time.time() if now is None else now
    payload = {"iss": config.issuer, "aud": config.audience, "sub": str(subject), "iat": int(now),
               "nbf": int(now), "exp": int(now) + config.ttl, "jti": secrets.token_urlsafe(8), **claims}
    return jwt.encode(payload, config.key, algorithm=ALGORITHM)


def verify(config: TokenConfig, token: str) -> dict[str, Any]:
    """The claims of `token` if its signature, algorithm, audience, issuer and times all check; else InvalidToken."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("the token is empty or too long")
    try:
        return jwt.decode(token, config.key, algorithms=[ALGORITHM], audience=config.audience,
                          issuer=config.issuer, leeway=config.leeway,
                          options={"require": list(REQUIRED_CLAIMS), "verify_signature": True})
    except jwt.InvalidTokenError as error:  # the base of every refusal PyJWT makes: signature, alg, claims, format
        raise InvalidToken(reason(error)) from None
    except Exception:  # e.g. a header that is valid JSON but not an object: still a bad token, never a 500
        raise InvalidToken("the token is malformed") from None


def reason(error: jwt.InvalidTokenError) -> str:
    """A short, safe explanation of why PyJWT refused a token."""
    reasons = {jwt.ExpiredSignatureError: "the token has expired", jwt.ImmatureSignatureError: "the token is not "
               "valid yet (nbf or iat in the future)", jwt.InvalidAudienceError: "the token is for another audience",
               jwt.InvalidIssuerError: "the token was issued by someone else", jwt.MissingRequiredClaimError:
               f"the token lacks a required claim ({getattr(error, 'claim', '?')})",
               jwt.InvalidAlgorithmError: "the token is signed with an algorithm this server does not accept",
               jwt.InvalidSignatureError: "the token's signature does not match"}
    for kind, text in reasons.items():
        if isinstance(error, kind):
            return text
    return "the token is malformed"


def unverified_header(token: str) -> dict[str, Any]:
    """The token's header as written by whoever made it (for display only: never decide anything from it)."""
    return jwt.get_unverified_header(token)
