"""Forged and broken access tokens: each one a server must refuse (401), none that may make it fail (500).

forged(config, subject) gives them by name, made the way an attacker or a broken client would: alg=none, a payload
edited after signing, expired, without exp, for another audience or issuer, not valid yet, the server's key with
another algorithm, a key id the server does not have, another secret, and plain garbage. Each carries the server's
`kid` (anyone can copy it from a real token) unless the kid is the point.

Algorithm confusion needs a server that signs with a key *pair*: es256_key_pair() makes one, confused_token() signs
HS256 with its public key as the HMAC secret, and header_trusting_verify() is the verifier that falls for it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import warnings
from typing import Any, cast

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from course_lib.web.tokens import ALGORITHM, TokenConfig, key_id

OTHER_SECRET = "not-this-servers-key-but-long-enough-0123456789"


def b64url(data: bytes) -> str:
    """Base64url without padding, as JWTs write every segment."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    """The bytes of a base64url segment (padding restored)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def segment(value: Any) -> str:
    """One JWT segment: compact JSON, base64url."""
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def hs256_by_hand(header: dict[str, Any], payload: dict[str, Any], key: bytes) -> str:
    """A JWT signed with HMAC-SHA256 under `key`, built by hand (PyJWT refuses a PEM key as an HMAC secret)."""
    signing_input = f"{segment(header)}.{segment(payload)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def claims(config: TokenConfig, subject: int | str, now: float | None = None, **changes: Any) -> dict[str, Any]:
    """The claims of a good token for `subject`, with `changes` applied (a value None removes that claim)."""
    now = time.time() if now is None else now
    good = {
        "iss": config.issuer,
        "aud": config.audience,
        "sub": str(subject),
        "iat": int(now),
        "nbf": int(now),
        "exp": int(now) + config.ttl,
        "role": "member",
    }
    return {name: value for name, value in {**good, **changes}.items() if value is not None}


def signed(
    config: TokenConfig,
    payload: dict[str, Any],
    *,
    key: str | None = None,
    algorithm: str = ALGORITHM,
    kid: str | None = None,
) -> str:
    """`payload` signed with the server's key and algorithm and its kid, unless told otherwise."""
    key = config.key if key is None else key
    with warnings.catch_warnings():  # PyJWT warns that HS512 wants 64 bytes: this token is refused before that
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid or key_id(config.key)})


def tampered(token: str, **changes: Any) -> str:
    """`token` with its payload edited and the old signature kept (what anyone can do: the payload is only base64)."""
    header, payload, signature = token.split(".")
    return f"{header}.{segment({**json.loads(unb64url(payload)), **changes})}.{signature}"


def forged(config: TokenConfig, subject: int | str) -> dict[str, str]:
    """Every kind of token the server must refuse, by name."""
    now = time.time()
    good = signed(config, claims(config, subject, now))
    kid = key_id(config.key)
    return {
        "alg=none": f"{segment({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{segment(claims(config, subject, now))}.",
        "tampered payload": tampered(good, role="admin"),
        "expired": signed(config, claims(config, subject, now - 3600)),
        "missing exp": signed(config, claims(config, subject, now, exp=None)),
        "wrong audience": signed(config, claims(config, subject, now, aud="billing-api")),
        "wrong issuer": signed(config, claims(config, subject, now, iss="https://evil.example")),
        "nbf in the future": signed(config, claims(config, subject, now, nbf=int(now) + 3600)),
        "HS512 with the server's key": signed(config, claims(config, subject, now), algorithm="HS512"),
        "other secret": signed(config, claims(config, subject, now), key=OTHER_SECRET),
        "unknown kid": signed(config, claims(config, subject, now), key=OTHER_SECRET, kid=key_id(OTHER_SECRET)),
        "not three segments": "abc.def",
        "not base64": "###.$$$.!!!",
        "huge header": f"{segment({'alg': 'HS256', 'pad': 'x' * 6000})}.{segment({})}.sig",
        "header not an object": f"{segment([1, 2])}.{segment({})}.sig",
    }


def es256_key_pair() -> tuple[bytes, bytes]:
    """(private PEM, public PEM) of a fresh P-256 key: a server signing ES256 publishes the public one to everyone."""
    private = ec.generate_private_key(ec.SECP256R1())
    return (
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
    )


def confused_token(public_pem: bytes, payload: dict[str, Any]) -> str:
    """The algorithm-confusion forgery: alg=HS256, signed with the server's *public* key as the HMAC secret."""
    return hs256_by_hand({"alg": "HS256", "typ": "JWT"}, payload, public_pem)


def header_trusting_verify(token: str, public_pem: bytes) -> dict[str, Any]:
    """The mistake, written out: the header picks the algorithm, the server passes the one key it has (its public key).

    Libraries did exactly this before CVE-2015-9235 (node's jsonwebtoken < 4.2.2). Raises ValueError when it refuses.
    """
    header, payload, signature = token.split(".")
    signing_input, raw = f"{header}.{payload}".encode(), unb64url(signature)
    algorithm = json.loads(unb64url(header))["alg"]
    if algorithm == "HS256":  # any bytes make an HMAC key: the public key too
        if not hmac.compare_digest(hmac.new(public_pem, signing_input, hashlib.sha256).digest(), raw):
            raise ValueError("bad HMAC")
    elif algorithm == "ES256":
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        try:
            key = cast(ec.EllipticCurvePublicKey, serialization.load_pem_public_key(public_pem))  # an ES256 key
            key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise ValueError("bad ECDSA signature") from None
    else:
        raise ValueError(f"unsupported alg {algorithm}")
    return json.loads(unb64url(payload))
