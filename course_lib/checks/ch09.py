"""Checks for chapter 09 — Authentication vs authorization, cookies."""

from __future__ import annotations

import random
import uuid
from typing import Any
from unittest import mock

import fakeredis

from course_lib.notebook.exercises import Exercise, Incorrect
from course_lib.web.sessions import SessionStore

# What the chapter's API answers in each situation (tests/checks/test_ch09.py proves it on the live API).
SCENARIOS = {
    "no cookie and no API key: POST /tasks": 401,
    "an expired session cookie: POST /tasks": 401,
    "an unknown API key: DELETE /tasks/1": 401,
    "a wrong password: POST /session": 401,
    "Bob's session and CSRF token: PATCH Ada's task": 403,
    "Ada's session without X-CSRF-Token: POST /tasks": 403,
    "Ada's session and token, sent by https://evil.example: POST /tasks": 403,
    "Bob's API key: DELETE Ada's task": 403,
}


def _test_statuses(answers) -> None:
    if not isinstance(answers, dict):
        raise Incorrect(
            "`answers` should be a dict: each scenario → 401 or 403.", expected="dict", got=type(answers).__name__
        )
    missing, unknown = sorted(set(SCENARIOS) - set(answers)), sorted(set(answers) - set(SCENARIOS))
    if missing or unknown:
        raise Incorrect(
            "answer every scenario of SCENARIOS, by its exact text."
            + (f" Missing: {missing}." if missing else "")
            + (f" Unknown: {unknown}." if unknown else ""),
            expected=len(SCENARIOS),
            got=len(answers),
        )
    odd = {scenario: status for scenario, status in answers.items() if status not in (401, 403)}
    if odd:
        raise Incorrect("each answer is the number 401 or 403.", expected="401 or 403", got=odd)
    for scenario, status in SCENARIOS.items():
        if answers[scenario] != status:
            why = (
                "the server does not know who is calling: authenticating (again) would help."
                if status == 401
                else "the server knows who is calling, and refuses this caller this action: logging in again "
                "would not help."
            )
            raise Incorrect(f"{scenario!r}: {why}", request=scenario, expected=status, got=answers[scenario])


q1 = Exercise(
    "ch09.q1",
    "Who are you (401) or what may you do (403)?",
    _test_statuses,
    hint="Ask: does the server know who sent this request? No (or no longer) → 401. Yes, but the request is not "
    "allowed for that caller — not the owner, or not provably sent by the user's own pages → 403.",
)

OWN = "http://127.0.0.1:8000"
TOKEN = "k2Jq0x9V4cZbY1mW8sRtE3nL5aHfGdUiOpQw7yTr6e0"
# (method, origin, sent token, allowed): both sides of every rule, with varied inputs.
CSRF_CASES = [
    ("GET", "https://evil.example", None, True),
    ("HEAD", None, None, True),
    ("OPTIONS", "https://evil.example", "wrong", True),
    ("POST", OWN, TOKEN, True),
    ("POST", None, TOKEN, True),
    ("DELETE", OWN, TOKEN, True),
    ("PATCH", None, TOKEN, True),
    ("POST", OWN, None, False),
    ("POST", None, None, False),
    ("PUT", OWN, "", False),
    ("PATCH", OWN, TOKEN[:-1], False),
    ("DELETE", OWN, TOKEN + "x", False),
    ("POST", OWN, TOKEN.lower(), False),
    ("POST", "https://evil.example", TOKEN, False),
    ("PUT", "null", TOKEN, False),
    ("DELETE", "http://127.0.0.1:8001", TOKEN, False),
    ("POST", "https://127.0.0.1:8000", TOKEN, False),
    ("PATCH", OWN + ".evil.example", TOKEN, False),
]


class _Compared:
    """Whether a watched token met == or != with another non-empty token."""

    def __init__(self) -> None:
        self.seen = False

    def note(self, other: object) -> None:
        if isinstance(other, (str, bytes)) and other:
            self.seen = True


class _WatchedBytes(bytes):
    """A token's bytes that notice == and !=."""

    compared: _Compared

    def __eq__(self, other: object) -> bool:
        self.compared.note(other)
        return bytes.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        self.compared.note(other)
        return bytes.__ne__(self, other)

    __hash__ = bytes.__hash__


class _Watched(str):
    """A token that notices == and != (they stop at the first different character: a timing leak)."""

    compared: _Compared

    def __eq__(self, other: object) -> bool:
        self.compared.note(other)
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        self.compared.note(other)
        return str.__ne__(self, other)

    __hash__ = str.__hash__

    def encode(self, *args, **kwargs) -> bytes:
        encoded = _WatchedBytes(str.encode(self, *args, **kwargs))
        encoded.compared = self.compared
        return encoded


def _watched(token: str | None, compared: _Compared) -> str | None:
    if token is None:
        return None
    watched = _Watched(token)
    watched.compared = compared
    return watched


NON_ASCII = "tökén-" + TOKEN  # a header may carry any text


def _test_csrf_allows(csrf_allows) -> None:
    cases: list[tuple[Any, ...]] = [
        *CSRF_CASES,
        ("POST", None, "", False, ""),
        ("PUT", "https://api.example.org", "s3cret", True, "s3cret", "https://api.example.org"),
        ("POST", OWN, NON_ASCII, False),
    ]
    leaked_at = None  # the first call that compared the tokens with == (said after any wrong answer)
    for method, origin, sent, allowed, *rest in cases:
        session_token = rest[0] if rest else TOKEN
        own = rest[1] if len(rest) > 1 else OWN
        compared = _Compared()
        call = (
            f"csrf_allows({method!r}, {origin!r}, {own!r}, "
            f"{'the right token' if sent == session_token and sent else repr(sent)}, "
            f"{'the session token' if session_token else repr(session_token)})"
        )
        try:
            got = csrf_allows(method, origin, own, _watched(sent, compared), _watched(session_token, compared))
        except TypeError as error:
            if sent != NON_ASCII:
                raise
            raise Incorrect(
                "a token from a header may hold any text: compare bytes, "
                "secrets.compare_digest(sent_token.encode(), session_token.encode()) "
                "(compare_digest refuses str with non-ASCII characters: in an API, a 500).",
                request=call,
                expected=allowed,
                got=f"TypeError: {error}",
            ) from None
        leaked_at = leaked_at or (call if compared.seen else None)
        if not isinstance(got, bool):
            raise Incorrect(
                "return True (let the request run) or False (refuse it).", request=call, expected=allowed, got=got
            )
        if got != allowed:
            raise Incorrect(
                _why_csrf(method, origin, own, sent, session_token, allowed), request=call, expected=allowed, got=got
            )
    if leaked_at:
        raise Incorrect(
            "compare the tokens in constant time with secrets.compare_digest, as the task says: == "
            "stops at the first character that differs, so its time tells an attacker how much "
            "of a guess was right.",
            request=leaked_at,
            expected="secrets.compare_digest(...)",
            got="== or != on the tokens",
        )


def _why_csrf(method: str, origin, own: str, sent, session_token: str, allowed: bool) -> str:
    if method in ("GET", "HEAD", "OPTIONS"):
        return f"{method} is safe: it changes nothing, so it runs whatever its Origin or token."
    if origin is not None and origin != own:
        return (
            f"the browser says another origin ({origin!r}) sent this write: refuse it, even with the right "
            "token. Origins must match exactly: scheme, host and port."
        )
    if allowed:
        return (
            "the right token and no foreign Origin: let it run (an Origin header may be missing: older browsers "
            "and non-browser clients do not send one; the token decides)."
        )
    if not sent:
        return "a write without the token must be refused — also when the session's token is empty."
    return "the token must equal the session's token exactly, every character of it."


q2 = Exercise(
    "ch09.q2",
    "The CSRF rule for cookie-authenticated requests",
    _test_csrf_allows,
    hint="Safe methods (GET, HEAD, OPTIONS) → True. Otherwise: an Origin that is present and not own_origin → "
    "False; then True only if sent_token is non-empty and equal to session_token, compared as bytes in "
    "constant time: secrets.compare_digest(sent_token.encode(), session_token.encode()).",
)


def _weak_id(session_id: str) -> str | None:
    """Why `session_id` could be guessed, judged from the id itself; None when nothing shows."""
    if len(session_id) < 22:
        return f"{len(session_id)} characters cannot hold the 128 random bits a session id needs (OWASP: 64 at least)"
    if session_id.replace(".", "", 1).isdigit():
        return "the id is a number: a counter or a clock reading, which the next login's id can be guessed from"
    try:
        version = uuid.UUID(session_id).version
    except ValueError:
        return None
    if version != 4:
        return f"a uuid{version} is made of a clock and a node or of a name, not of random bits"
    return None


def _predictable(log_in) -> bool:
    """True when two logins under the same `random` seed and the same clock reading get the same id."""
    ids = []
    state = random.getstate()
    try:
        for _ in range(2):
            store = SessionStore(fakeredis.FakeRedis(decode_responses=True), idle=60)
            random.seed(2026)
            with (
                mock.patch("time.time", return_value=1_800_000_000.0),
                mock.patch("time.time_ns", return_value=1_800_000_000_000_000_000),
            ):
                ids.append(log_in(store, None, 5))
    finally:
        random.setstate(state)
    return ids[0] == ids[1]


def _test_log_in(log_in) -> None:
    store = SessionStore(fakeredis.FakeRedis(decode_responses=True), idle=60)
    bystander, _ = store.create(99)
    checks = [
        (None, 5, "no session before"),
        ("planted-by-an-attacker", 7, "an id the server never issued"),
        (store.create(3)[0], 3, "the user's own previous session"),
        (store.create(4)[0], 8, "another user's session on a shared computer"),
    ]
    for old, user_id, what in checks:
        call = f"log_in(store, <{what}>, {user_id})"
        new = log_in(store, old, user_id)
        if not isinstance(new, str) or not new:
            raise Incorrect(
                "return the new session id (a string) for the cookie.", request=call, expected="a session id", got=new
            )
        if new == old:
            raise Incorrect(
                f"with {what}, the id after login must be a new one: an id known before login could "
                "be known to an attacker too (session fixation).",
                request=call,
                expected="a new id",
                got="the same id",
            )
        weak = _weak_id(new)
        if weak:
            raise Incorrect(
                f"the new id must be unguessable: {weak}. store.create makes one from secrets (256 random bits).",
                request=call,
                expected="secrets.token_urlsafe(32)-like",
                got=new,
            )
        ttl = store.ttl_of(new)  # before store.get, which renews it
        if ttl == -1 or ttl > store.idle:
            raise Incorrect(
                "the new session must expire: store.create gives it the idle timeout in Redis; a session "
                "written without one lives until someone deletes it.",
                request=call,
                expected=f"a TTL of at most {store.idle} s",
                got="no TTL" if ttl == -1 else ttl,
            )
        session = store.get(new)
        if session is None or session.user_id != user_id:
            raise Incorrect(
                "the returned id must name a session of the user who logged in: store.create writes "
                "it with its user, CSRF token and timeouts.",
                request=call,
                expected=user_id,
                got=None if session is None else session.user_id,
            )
        if old and store.get(old) is not None:
            raise Incorrect(
                f"{what} must be deleted on the server at login, not left valid.",
                request=call,
                expected="store.get(old) is None",
                got="still a session",
            )
    if store.get(bystander) is None:
        raise Incorrect(
            "logging one browser in must not end other users' sessions.",
            request="log_in(...) then store.get(<another user's session>)",
            expected="still a session",
            got=None,
        )
    if _predictable(log_in):
        raise Incorrect(
            "two logins with the same `random` seed and the same clock got the same session id: it "
            "comes from random or time, which an attacker can replay. Use store.create (secrets).",
            request="log_in(store, None, 5), twice, random.seed(2026) and a frozen clock",
            expected="two different ids",
            got="the same id twice",
        )


q3 = Exercise(
    "ch09.q3",
    "Rotate the session id at login",
    _test_log_in,
    hint="Two calls: store.delete(old_session_id) (it takes None too), then session_id, _ = store.create(user_id); "
    "return session_id.",
)
