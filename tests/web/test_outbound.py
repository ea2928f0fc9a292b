import asyncio
import gzip
import time

import httpx
import pytest

from course_lib.web.outbound import RETRY_AFTER_SECONDS, dependency_problem, get_json, status_for
from course_lib.web.problems import Problem


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (httpx.Response(200, json={"ok": True}), 200),
        (httpx.ReadTimeout("slow"), 504),
        (httpx.ConnectTimeout("slow"), 504),
        (httpx.ConnectError("refused"), 503),
        (httpx.Response(502), 503),
        (httpx.Response(429), 503),
        (httpx.Response(404, json={}), 502),
        (httpx.Response(200, content=b"<html>"), 502),
        (httpx.RemoteProtocolError("bad"), 502),
    ],
)
def test_each_outcome_maps_to_a_gateway_status(outcome, expected):
    assert status_for(outcome) == expected


def test_only_503_says_when_to_retry():
    assert dependency_problem(503, "x", "down").headers == {"Retry-After": str(RETRY_AFTER_SECONDS)}
    assert dependency_problem(504, "x", "slow").headers is None
    problem = dependency_problem(502, "calendar", "garbage")
    assert (problem.status_code, problem.type, problem.detail) == (
        502,
        "/problems/bad-dependency-answer",
        "calendar: garbage",
    )


def fetch(handler, timeout: float = 1.0):
    async def run():
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await get_json(client, "http://dependency/x", service="dep", timeout=timeout)

    return asyncio.run(run())


def test_get_json_returns_the_body_or_raises_the_problem():
    assert fetch(lambda request: httpx.Response(200, json={"a": 1})) == {"a": 1}

    def times_out(request):
        assert request.extensions["timeout"]["read"] == 0.25  # the timeout reaches the transport
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(Problem) as slow:
        fetch(times_out, timeout=0.25)
    assert slow.value.status_code == 504 and "0.25 s" in slow.value.detail
    with pytest.raises(Problem) as down:
        fetch(lambda request: httpx.Response(500))
    assert down.value.status_code == 503 and down.value.headers["Retry-After"]


def test_a_trickling_answer_is_cut_at_the_deadline_though_every_read_is_quick():
    async def one_byte_at_a_time():
        while True:  # each byte well inside the per-read timeout: httpx's timeouts alone would wait forever
            yield b" "
            await asyncio.sleep(0.02)

    started = time.perf_counter()
    with pytest.raises(Problem) as trickled:
        fetch(lambda request: httpx.Response(200, content=one_byte_at_a_time()), timeout=0.3)
    waited = time.perf_counter() - started
    assert trickled.value.status_code == 504 and "0.3 s" in trickled.value.detail
    assert 0.3 <= waited < 2.0, waited


def test_an_answer_longer_than_the_cap_is_502_whether_declared_or_not():
    async def endless():
        while True:
            yield b"[1," * 1000
            await asyncio.sleep(0)

    async def run(handler):
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await get_json(client, "http://dependency/x", service="dep", timeout=5, max_bytes=10_000)

    for handler in (
        lambda request: httpx.Response(200, content=endless()),
        lambda request: httpx.Response(200, content=b"[" + b"1," * 10_000 + b"1]"),
    ):
        with pytest.raises(Problem) as large:
            asyncio.run(run(handler))
        assert large.value.status_code == 502 and "10,000 bytes" in large.value.detail


def test_a_compressed_answer_is_read_and_decoded_once():
    body = gzip.compress(b'{"a": 1}')
    assert fetch(lambda request: httpx.Response(200, content=body, headers={"Content-Encoding": "gzip"})) == {"a": 1}
