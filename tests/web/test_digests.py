"""digest(): the one hash every stored secret goes through."""

import hashlib

from course_lib.web.digests import digest


def test_a_digest_is_the_hex_sha256_and_never_the_secret():
    secret = "rt_3q2-7Jx"
    assert digest(secret) == hashlib.sha256(secret.encode()).hexdigest() and secret not in digest(secret)
    assert digest(secret) != digest(secret + "x") and len(digest("")) == 64
