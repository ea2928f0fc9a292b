"""Signed cursors: what one signer issues it opens again; anything else is InvalidCursor, never another error."""

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.web.cursors import MAX_LENGTH, CursorSigner, ExpiredCursor, InvalidCursor, b64encode

SECRET = "a test secret that is long enough to sign with"
SCOPE = "/tasks?sort=-created_at,-id"


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_cursor_opens_to_the_position_it_was_signed_with():
    signer = CursorSigner(SECRET)
    token = signer.sign([1767225600123456, 42], SCOPE)
    assert signer.open(token, SCOPE) == [1767225600123456, 42]
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_another_key_or_another_scope_refuses_it():
    token = CursorSigner(SECRET).sign([1, 2], SCOPE)
    with pytest.raises(InvalidCursor, match="signature"):
        CursorSigner(SECRET + "!").open(token, SCOPE)
    with pytest.raises(InvalidCursor, match="another list"):
        CursorSigner(SECRET).open(token, SCOPE + "&done=true")


def test_an_edited_payload_fails_the_signature():
    signer = CursorSigner(SECRET)
    payload, signature = signer.sign([1, 2], SCOPE).split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["k"] = [1, 3]
    edited = b64encode(json.dumps(body, separators=(",", ":")).encode())
    with pytest.raises(InvalidCursor, match="signature"):
        signer.open(f"{edited}.{signature}", SCOPE)


def test_it_expires_after_its_time_to_live_and_not_before():
    clock = Clock()
    signer = CursorSigner(SECRET, ttl=60, clock=clock)
    token = signer.sign([1, 2], SCOPE)
    clock.now += 60
    assert signer.open(token, SCOPE) == [1, 2]
    clock.now += 1
    with pytest.raises(ExpiredCursor):
        signer.open(token, SCOPE)


def signed(signer: CursorSigner, body) -> str:
    """A token with a valid signature over any JSON (what only a holder of the key could make)."""
    payload = b64encode(json.dumps(body).encode())
    return f"{payload}.{signer.signature(payload)}"


@pytest.mark.parametrize(
    "body",
    [
        [1, 2],
        {"v": 2, "k": [1, 2], "s": "x", "iat": 0},
        {"v": 1, "k": [1, 2]},
        {"v": True, "k": [1, 2], "s": "x", "iat": 0},
        "text",
        None,
    ],
)
def test_a_signed_payload_of_an_unknown_shape_is_invalid(body):
    signer = CursorSigner(SECRET)
    with pytest.raises(InvalidCursor, match="version"):
        signer.open(signed(signer, body), SCOPE)


def test_signed_bytes_that_are_not_json_are_invalid():
    signer = CursorSigner(SECRET)
    payload = b64encode(b"\xff\xfe not json")
    with pytest.raises(InvalidCursor, match="JSON"):
        signer.open(f"{payload}.{signer.signature(payload)}", SCOPE)


@pytest.mark.parametrize(
    "token",
    [
        "",
        ".",
        "abc",
        "abc.",
        ".abc",
        "a.b.c",
        "abc.d$f",
        "ab+c.def",
        "x" * (MAX_LENGTH + 1),
        "é.é",
        "abc.\x00",
        "YWJj.YWJj",
        # non-ASCII before the dot: hashing it as ASCII once raised UnicodeEncodeError
        "\x80.00",
        "\u00e9abc.YWJj",
        "YWJj.\u00e9",
        "\ud800.AA",
    ],
)
def test_malformed_tokens_are_invalid(token):
    with pytest.raises(InvalidCursor):
        CursorSigner(SECRET).open(token, SCOPE)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=300),
        st.binary(max_size=300).map(b64encode),
        st.tuples(st.binary(max_size=100), st.binary(max_size=40)).map(
            lambda parts: f"{b64encode(parts[0])}.{b64encode(parts[1])}"
        ),
    )
)
def test_garbage_is_only_ever_invalid(token):
    with pytest.raises(InvalidCursor):
        CursorSigner(SECRET).open(token, SCOPE)
