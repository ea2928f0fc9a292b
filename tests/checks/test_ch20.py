"""Each checker of chapter 20 against its stub, its solution, valid alternatives and known-wrong answers."""

import math

from course_lib.checks.ch20 import q1, q2, q3
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED


def rate_limit_fields(name, quota, window, used, seconds_left):
    wait = max(1, math.ceil(seconds_left))
    fields = {
        "RateLimit-Policy": f'"{name}";q={quota};w={window}',
        "RateLimit": f'"{name}";r={max(0, quota - used)};t={wait}',
    }
    if used > quota:
        fields["Retry-After"] = str(wait)
    return fields


def test_q1_solution_stub_alternatives_and_wrong_fields():
    assert q1.evaluate(None).status == NOT_ATTEMPTED
    assert q1.evaluate(rate_limit_fields).status == CORRECT

    def lower_case_names(*args):
        return {name.lower(): value for name, value in rate_limit_fields(*args).items()}

    def integer_ceiling(name, quota, window, used, seconds_left):
        wait = max(1, -int(-seconds_left // 1))
        return rate_limit_fields(name, quota, window, used, wait)

    assert q1.evaluate(lower_case_names).status == CORRECT
    assert q1.evaluate(integer_ceiling).status == CORRECT

    def edit(change):
        def answer(name, quota, window, used, seconds_left):
            return change(rate_limit_fields(name, quota, window, used, seconds_left), name, quota, used, seconds_left)

        return answer

    wrong = [
        edit(lambda f, n, q, u, s: {**f, "RateLimit": f'"{n}";r={q - u};t={max(1, math.ceil(s))}'}),  # negative r
        edit(lambda f, n, q, u, s: {**f, "RateLimit": f'"{n}";r={max(0, q - u)};t={math.ceil(s)}'}),  # t=0
        edit(lambda f, n, q, u, s: {**f, "RateLimit": f'"{n}";r={max(0, q - u)};t={max(1, round(s))}'}),  # rounds
        edit(lambda f, n, q, u, s: {**f, "RateLimit": f'"{n}";r={max(0, q - u)};t={max(1, int(s))}'}),  # floors
        edit(lambda f, n, q, u, s: {**f, "RateLimit-Policy": f"{n};q={q};w=60"}),  # not a quoted string
        edit(lambda f, n, q, u, s: {**f, "RateLimit": f'"{n}"; r={max(0, q - u)}; t={max(1, math.ceil(s))}'}),
        edit(lambda f, n, q, u, s: {k: v for k, v in f.items() if k != "Retry-After"}),  # no Retry-After
        edit(lambda f, n, q, u, s: {**f, "Retry-After": str(max(1, math.ceil(s)))}),  # Retry-After on every answer
        edit(lambda f, n, q, u, s: {**f, "Retry-After": str(max(1, math.ceil(s)))} if u >= q else f),  # >= quota
        edit(lambda f, n, q, u, s: {**f, "RateLimit-Limit": str(q)}),  # an older draft's field too
        lambda *args: list(rate_limit_fields(*args).items()),
        lambda *args: 1 / 0,
    ]
    for answer in wrong:
        assert q1.evaluate(answer).status == INCORRECT


def client_address(peer, forwarded_for, trusted_proxies):
    if peer not in trusted_proxies or not forwarded_for:
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",")]
    for hop in reversed(hops):
        if hop not in trusted_proxies:
            return hop
    return hops[0]


def test_q2_solution_stub_alternatives_and_wrong_addresses():
    assert q2.evaluate(None).status == NOT_ATTEMPTED
    assert q2.evaluate(client_address).status == CORRECT

    def with_ipaddress_free_loop(peer, forwarded_for, trusted_proxies):
        address = peer
        hops = [h.strip() for h in (forwarded_for or "").split(",") if h.strip()]
        while address in trusted_proxies and hops:
            address = hops.pop()
        return address

    assert q2.evaluate(with_ipaddress_free_loop).status == CORRECT

    def leftmost(peer, forwarded_for, trusted_proxies):  # uvicorn with --forwarded-allow-ips '*'
        return forwarded_for.split(",")[0].strip() if forwarded_for else peer

    def believes_anyone(peer, forwarded_for, trusted_proxies):
        return client_address(next(iter(trusted_proxies)), forwarded_for, trusted_proxies)

    def rightmost_only(peer, forwarded_for, trusted_proxies):
        if peer not in trusted_proxies or not forwarded_for:
            return peer
        return forwarded_for.split(",")[-1].strip()

    def no_strip(peer, forwarded_for, trusted_proxies):
        if peer not in trusted_proxies or not forwarded_for:
            return peer
        for hop in reversed(forwarded_for.split(",")):
            if hop not in trusted_proxies:
                return hop
        return forwarded_for

    def all_trusted_gives_peer(peer, forwarded_for, trusted_proxies):
        found = client_address(peer, forwarded_for, trusted_proxies)
        return peer if found in trusted_proxies else found

    for answer in (leftmost, believes_anyone, rightmost_only, no_strip, all_trusted_gives_peer, lambda *a: None):
        assert q2.evaluate(answer).status == INCORRECT, answer


SECRET = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}


def redact_headers(headers):
    return {name: "[REDACTED]" if name.lower() in SECRET else value for name, value in headers.items()}


def test_q3_solution_stub_and_wrong_redactions():
    assert q3.evaluate(None).status == NOT_ATTEMPTED
    assert q3.evaluate(redact_headers).status == CORRECT

    def in_place(headers):
        for name in list(headers):
            if name.lower() in SECRET:
                headers[name] = "[REDACTED]"
        return headers

    def case_sensitive(headers):
        named = {"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-API-Key"}
        return {n: "[REDACTED]" if n in named else v for n, v in headers.items()}

    def drops_secrets(headers):
        return {n: v for n, v in headers.items() if n.lower() not in SECRET}

    def masks_everything(headers):
        return dict.fromkeys(headers, "[REDACTED]")

    def forgets(missing):
        return lambda headers: {n: "[REDACTED]" if n.lower() in SECRET - {missing} else v for n, v in headers.items()}

    def lower_cases_names(headers):
        return {n.lower(): v for n, v in redact_headers(headers).items()}

    def keeps_a_prefix(headers):
        return {n: v.split(" ")[0] + " [REDACTED]" if n.lower() in SECRET else v for n, v in headers.items()}

    wrong = [in_place, case_sensitive, drops_secrets, masks_everything, lower_cases_names, keeps_a_prefix]
    wrong += [forgets(name) for name in SECRET]
    for answer in wrong:
        assert q3.evaluate(answer).status == INCORRECT, answer
