"""Checks for chapter 20 — security: the rate-limit fields of an answer, the client's address behind proxies, and
the headers a log line may keep."""

from __future__ import annotations

import copy
import math

from course_lib.notebook.exercises import Exercise, Incorrect

# (name, quota, window, used, seconds_left)
FIELD_CASES = [
    ("requests", 100, 60, 1, 59.2),
    ("requests", 100, 60, 99, 12.0),
    ("requests", 100, 60, 100, 6.5),  # the last one allowed: nothing left, not refused
    ("requests", 100, 60, 101, 6.5),  # the first one refused
    ("logins", 10, 900, 14, 0.3),  # a fraction of a second left: wait 1 s, never 0
    ("logins", 10, 900, 11, 0.0),
    ("burst", 3, 1, 3, 1.0),
    ("burst", 3, 1, 7, 2.0001),
]


def expected_fields(name: str, quota: int, window: int, used: int, seconds_left: float) -> dict[str, str]:
    """What the answer to the `used`-th request of a window must carry (draft-ietf-httpapi-ratelimit-headers-11)."""
    wait = max(1, math.ceil(seconds_left))
    fields = {
        "RateLimit-Policy": f'"{name}";q={quota};w={window}',
        "RateLimit": f'"{name}";r={max(0, quota - used)};t={wait}',
    }
    if used > quota:
        fields["Retry-After"] = str(wait)
    return fields


WHY_FIELD = {
    "RateLimit-Policy": 'the policy is the quota and its window, whatever was used: "name";q=<quota>;w=<window>',
    "RateLimit": "r is what is left (never below 0), t the whole seconds until the window resets, rounded up and at "
    'least 1 (a client told t=0 or told 6 when 6.5 remain asks too early): "name";r=<left>;t=<seconds>',
    "Retry-After": "Retry-After goes on a refused answer only (used > quota), with the same seconds as t",
}


def _test_fields(rate_limit_fields) -> None:
    for case in FIELD_CASES:
        call = "rate_limit_fields({!r}, {}, {}, {}, {})".format(*case)
        got = rate_limit_fields(*case)
        if not isinstance(got, dict):
            raise Incorrect("return a dict of header fields.", request=call, expected="a dict", got=got)
        got = {str(name).lower(): value for name, value in got.items()}
        expected = expected_fields(*case)
        for name, value in expected.items():
            if got.get(name.lower()) != value:
                raise Incorrect(
                    f"{name} is wrong: {WHY_FIELD[name]}.", request=call, expected=value, got=got.get(name.lower())
                )
        extra = set(got) - {name.lower() for name in expected}
        if extra:
            reason = WHY_FIELD["Retry-After"] if "retry-after" in extra else "only the fields the exercise names"
            raise Incorrect(f"{sorted(extra)} should not be there: {reason}.", request=call, expected=expected, got=got)


q1 = Exercise(
    "ch20.q1",
    "The RateLimit fields of an answer",
    _test_fields,
    hint="wait = max(1, math.ceil(seconds_left)); the policy '\"{name}\";q={quota};w={window}', the limit "
    "'\"{name}\";r={max(0, quota - used)};t={wait}', and Retry-After = str(wait) only when used > quota.",
)

NGINX, BALANCER = "10.0.0.2", "10.0.0.3"
TRUSTED = frozenset({NGINX, BALANCER})
# (peer, X-Forwarded-For or None, trusted proxies, the client's address, why)
ADDRESS_CASES = [
    ("198.51.100.4", None, TRUSTED, "198.51.100.4", "no proxy in between: the peer is the client"),
    ("198.51.100.4", "6.6.6.6", TRUSTED, "198.51.100.4", "a client that writes X-Forwarded-For itself is not a proxy"),
    (NGINX, "203.0.113.7", TRUSTED, "203.0.113.7", "nginx, trusted, says who connected to it"),
    (NGINX, "6.6.6.6, 203.0.113.7", TRUSTED, "203.0.113.7",
     "the client wrote 6.6.6.6 and nginx appended what it saw: only the rightmost entries are a proxy's words"),
    (NGINX, "6.6.6.6, 198.51.100.9, 10.0.0.3", TRUSTED, "198.51.100.9",
     "a balancer in front of nginx: skip every trusted hop from the right, the first untrusted one is the client"),
    (NGINX, " 203.0.113.7 ,10.0.0.3", TRUSTED, "203.0.113.7", "entries are separated by commas and spaces"),
    (NGINX, "", TRUSTED, NGINX, "an empty header names nobody: the peer is all we know"),
    (NGINX, None, TRUSTED, NGINX, "no header: the peer is all we know"),
    (NGINX, "10.0.0.3, 10.0.0.2", TRUSTED, "10.0.0.3",
     "every hop is a trusted proxy: the leftmost one is the farthest known, and it made the request"),
    ("10.0.0.9", "203.0.113.7", frozenset({"10.0.0.9"}), "203.0.113.7", "the trusted set is the one given"),
    (NGINX, "203.0.113.7", frozenset({"10.0.0.9"}), NGINX, "a peer not in the trusted set given is not believed"),
    ("10.0.0.9", "203.0.113.7, 10.0.0.8", frozenset({"10.0.0.9", "10.0.0.8"}), "203.0.113.7",
     "10.0.0.8 is one of the trusted proxies given: skip it too"),
]  # fmt: skip


def _test_client_address(client_address) -> None:
    for peer, forwarded, trusted, expected, why in ADDRESS_CASES:
        call = f"client_address({peer!r}, {forwarded!r}, {set(sorted(trusted))!r})"
        got = client_address(peer, forwarded, set(trusted))
        if got != expected:
            raise Incorrect(f"wrong client: {why}.", request=call, expected=expected, got=got)


q2 = Exercise(
    "ch20.q2",
    "The client's address behind proxies",
    _test_client_address,
    hint="If the peer is not trusted or there is no header, return the peer. Else split on ',' and strip; walk the "
    "list from the right and return the first entry not in trusted_proxies; if all are, the first entry.",
)

SECRET_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-API-Key")
MASK = "[REDACTED]"
HEADER_CASES = [
    {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "Accept": "application/json", "If-Match": '"v3"'},
    {"cookie": "__Host-session=s3cr3t", "x-api-key": "key_42", "user-agent": "curl/8"},
    {"SET-COOKIE": "__Host-session=n3w; HttpOnly", "Proxy-Authorization": "Basic YTpi", "ETag": '"v4"'},
    {"X-Api-Key": "key_7", "Content-Type": "application/json", "X-Request-ID": "r-1"},
    {"Accept": "*/*"},
    {},
]


def _test_redact(redact_headers) -> None:
    for headers in HEADER_CASES:
        given = copy.deepcopy(headers)
        call = f"redact_headers({headers!r})"
        got = redact_headers(given)
        secret = {h.lower() for h in SECRET_HEADERS}
        expected = {name: MASK if name.lower() in secret else v for name, v in headers.items()}
        if given != headers:
            raise Incorrect(
                "return a new dict and leave the one given alone: the request still needs its credentials.",
                request=call,
                expected=headers,
                got=given,
            )
        if not isinstance(got, dict) or set(got) != set(headers):
            raise Incorrect("keep every header's name, as given.", request=call, expected=expected, got=got)
        for name, value in expected.items():
            if got[name] != value:
                is_secret = value == MASK
                reason = (
                    f"{name} carries a credential: its value must be {MASK!r} (header names are case-insensitive)"
                    if is_secret
                    else f"{name} is no secret: keep its value as it is (a log without it is a log you cannot use)"
                )
                raise Incorrect(reason + ".", request=call, expected=expected, got=got)


q3 = Exercise(
    "ch20.q3",
    "Headers a log may keep",
    _test_redact,
    hint="{name: '[REDACTED]' if name.lower() in SECRET else value for name, value in headers.items()}, with SECRET "
    "the five names in lower case.",
)
