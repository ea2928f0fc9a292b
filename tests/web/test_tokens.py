"""Access tokens: issued with every required claim, verified with the algorithm pinned, refused with a reason."""

import time

import jwt
import pytest

from course_lib.lab.forged_tokens import claims, forged, signed
from course_lib.web.tokens import REQUIRED_CLAIMS, InvalidToken, TokenConfig, issue, unverified_header, verify

CONFIG = TokenConfig(key="a-test-key-of-forty-characters-or-more-0123456789", ttl=60, leeway=5)


def test_an_issued_token_carries_every_required_claim_and_verifies():
    token = issue(CONFIG, 7, role="admin")
    found = verify(CONFIG, token)
    assert set(REQUIRED_CLAIMS) <= set(found) and found["sub"] == "7" and found["role"] == "admin"
    assert found["exp"] - found["iat"] == 60 and unverified_header(token)["alg"] == "HS256"


def test_two_tokens_for_the_same_user_differ():
    assert issue(CONFIG, 7) != issue(CONFIG, 7)  # jti: each token is its own


def test_leeway_is_seconds_both_sides():
    now = time.time()
    assert verify(CONFIG, signed(CONFIG, claims(CONFIG, 1, now - 60 - 3)))  # expired 3 s ago: clock skew
    assert verify(CONFIG, signed(CONFIG, claims(CONFIG, 1, now, nbf=int(now) + 3)))
    with pytest.raises(InvalidToken, match="expired"):
        verify(CONFIG, signed(CONFIG, claims(CONFIG, 1, now - 60 - 10)))
    with pytest.raises(InvalidToken, match="not valid yet"):
        verify(CONFIG, signed(CONFIG, claims(CONFIG, 1, now, nbf=int(now) + 10)))


@pytest.mark.parametrize("kind", sorted(forged(CONFIG, 1)))
def test_every_forged_token_is_refused_with_a_reason(kind):
    with pytest.raises(InvalidToken) as refused:
        verify(CONFIG, forged(CONFIG, 1)[kind])
    assert str(refused.value).startswith("the token")


@pytest.mark.parametrize("claim", REQUIRED_CLAIMS)
def test_each_required_claim_is_required(claim):
    with pytest.raises(InvalidToken, match=f"lacks a required claim \\({claim}\\)"):
        verify(CONFIG, signed(CONFIG, claims(CONFIG, 1, **{claim: None})))


@pytest.mark.parametrize("token", ["", "x" * 5000, "a.b.c.d", "é.é.é", "e30.e30.", "null"])
def test_garbage_is_refused_not_raised(token):
    with pytest.raises(InvalidToken):
        verify(CONFIG, token)


def test_the_algorithm_is_the_servers_choice():
    hs512 = jwt.encode(claims(CONFIG, 1), CONFIG.key * 2, algorithm="HS512")  # refused before any signature check
    with pytest.raises(InvalidToken, match="algorithm"):
        verify(CONFIG, hs512)
