"""Access tokens: issued with every required claim, verified with the algorithm pinned, refused with a reason."""

import time

import pytest

from course_lib.lab.forged_tokens import claims, forged, hs256_by_hand, signed
from course_lib.web.tokens import REQUIRED_CLAIMS, InvalidToken, TokenConfig, issue, key_id, unverified_header, verify

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
    hs512 = signed(CONFIG, claims(CONFIG, 1), algorithm="HS512")  # the right key, the wrong algorithm
    with pytest.raises(InvalidToken, match="algorithm"):
        verify(CONFIG, hs512)


def test_a_token_names_its_key_and_a_rotated_key_still_verifies_until_dropped():
    old_key, new_key = "the-key-that-signed-yesterday-0123456789", "the-key-that-signs-from-today-0123456789"
    yesterday = issue(TokenConfig(key=old_key), 7)
    assert unverified_header(yesterday)["kid"] == key_id(old_key) and old_key not in yesterday
    rotated = TokenConfig(key=new_key, previous_keys=(old_key,))
    assert verify(rotated, yesterday)["sub"] == "7"
    assert unverified_header(issue(rotated, 7))["kid"] == key_id(new_key)  # only the current key signs
    with pytest.raises(InvalidToken, match="kid names no key"):
        verify(TokenConfig(key=new_key), yesterday)  # the old key dropped once its tokens expired


def test_a_token_without_a_kid_or_with_a_strange_one_is_refused():
    payload = claims(CONFIG, 1)
    for headers in ({}, {"kid": "x" * 16}, {"kid": ["a"]}, {"kid": {"a": 1}}, {"kid": None}):
        with pytest.raises(InvalidToken, match="kid|malformed"):
            verify(CONFIG, hs256_by_hand({"alg": "HS256", **headers}, payload, CONFIG.key.encode()))


def test_a_short_key_is_refused():
    for config in ({"key": "short"}, {"key": CONFIG.key, "previous_keys": ("x" * 31,)}):
        with pytest.raises(ValueError, match="32 bytes"):
            TokenConfig(**config)
