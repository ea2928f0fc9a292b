"""Forged and broken access tokens: each one a server must refuse (401), none that may make it fail (500).

forged(config, subject) gives them by name, made the way an attacker or a broken client would: alg=none, a payload
edited after signing, expired, without exp, for another audience or issuer, not valid yet, HS256 signed with the
server's *public* key (algorithm confusion), and plain garbage.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from course_lib.web.tokens import ALGORITHM, TokenConfig


def b64url(data: bytes) -> str:
    """Base64url without padding, as JWTs write every segment."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: dict[str, Any]) -> str:
    """One JWT segment: compact JSON, base64url."""
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def hs256_by_hand(header: dict[str, Any], payload: dict[str, Any], key: bytes) -> str:
    """A JWT signed with HMAC-SHA256 under `key`, built by hand (PyJWT refuses a PEM key as an HMAC secret)."""
    signing_input = f"{segment(header)}.{segment(payload)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def public_key_pem() -> bytes:
    """The PEM of a fresh Ed25519 public key: what a server that signs with EdDSA publishes to everyone."""
    public = ed25519.Ed25519PrivateKey.generate().public_key()
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def claims(config: TokenConfig, subject: int | str, now: float | None = None, **changes: Any) -> dict[str, Any]:
    """The claims of a good token for `subject`, with `changes` applied (a value None removes that claim)."""
    now = time.time() if now is None else now
    good = {"iss": config.issuer, "aud": config.audience, "sub": str(subject), "iat": int(now),
            "nbf": int(now), "exp": int(now) + config.ttl, "role": "member"}
    return {name: value for name, value in {**good, **changes}.items() if value is not None}


def signed(config: TokenConfig, payload: dict[str, Any]) -> str:
    """`payload` signed properly with the server's key: only its claims can be wrong."""
    return jwt.encode(payload, config.key, algorithm=ALGORITHM)


def tampered(token: str, **changes: Any) -> str:
    """`token` with its payload edited and the old signature kept (what anyone can do: the payload is only base64)."""
    header, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return f"{header}.{segment({**decoded, **changes})}.{signature}"


def forged(config: TokenConfig, subject: int | str) -> dict[str, str]:
    """Every kind of token the server must refuse, by name."""
    now = time.time()
    good = signed(config, claims(config, subject, now))
    return {
        "alg=none": f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(claims(config, subject, now))}.",
        "tampered payload": tampered(good, role="admin"),
        "expired": signed(config, claims(config, subject, now - 3600)),
        "missing exp": signed(config, claims(config, subject, now, exp=None)),
        "wrong audience": signed(config, claims(config, subject, now, aud="billing-api")),
        "wrong issuer": signed(config, claims(config, subject, now, iss="https://evil.example")),
        "nbf in the future": signed(config, claims(config, subject, now, nbf=int(now) + 3600)),
        "HS256 with the public key": hs256_by_hand({"alg": "HS256", "typ": "JWT"}, claims(config, subject, now),
                                                   public_key_pem()),
        "other secret": jwt.encode(claims(config, subject, now), "x" * 64, algorithm=ALGORITHM),
        "not three segments": "abc.def",
        "not base64": "###.$$$.!!!",
        "huge header": f"{segment({'alg': 'HS256', 'pad': 'x' * 6000})}.{segment({})}.sig",
        "header not an object": f"{b64url(b'[1, 2]')}.{segment({})}.sig",
    }
