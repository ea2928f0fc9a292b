"""The blocklist check of a chosen password (NIST SP 800-63B-4 §3.1.1.2), from both sides."""

import pytest

from course_lib.web.password_rules import blocklist_reason


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "Correct Horse Battery Staple",
        "correcthorsebatterystaple",
        "aaaaaaaaaaaaaaa",
        "abcabcabcabcabc",
        "passwordpassword",
        "123456789012345",
        "987654321098765",
        "qwertyuiopasdfghjklzxcvbnm",
        "qwertyuiop[]\\qwertyu",
        "abcdefghijklmnop",
        "zyxwvutsrqponmlk",
        "password12345678",
        "P@ssw0rd!!!!!!!!",
        "Password 2026!!!!",
        "welcome12345678",
        "my taskapi password",
        "the quick brown fox jumps over the lazy dog",
        " " * 15,
        "\t" * 15,
        "\xa0" * 15,
        "a" + " " * 14,
        "ab" + " " * 13,
        "q7x 9  k2     m",
        "a" + "\u200b" * 14,
        "q7x9k2m" + "\ufeff" * 8,
    ],
)
def test_passwords_an_attacker_tries_first_are_refused(password):
    assert blocklist_reason(password) is not None


@pytest.mark.parametrize(
    "password",
    [
        "violet harbor lantern 42",
        "tulip orbit canyon 1906",
        "bob-is-great-at-chess",
        "plum kettle 7 orbit",
        "a3f9c1e07b5d2468",
        "passwords are hard to remember",
        "1234 apples on 5 trees",
        "horse staple correct",
        "q7x 9  k2 m  4 z",
    ],
)
def test_ordinary_long_passwords_pass(password):
    assert blocklist_reason(password) is None
