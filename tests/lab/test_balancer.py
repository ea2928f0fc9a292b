"""The course's round-robin proxy: which origin each request tries, and when a failed one is tried again."""

import asyncio

import httpx
import pytest

from course_lib.lab.balancer import FAIL_TIMEOUT, RoundRobinProxy


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_turns_go_round_and_leave_out_an_origin_marked_down_until_fail_timeout():
    clock = Clock()
    proxy = RoundRobinProxy(["http://a", "http://b", "http://c"], clock=clock)
    assert [proxy.turns()[0] for _ in range(4)] == ["http://a", "http://b", "http://c", "http://a"]
    proxy.down_until["http://b"] = clock.now + FAIL_TIMEOUT
    assert [proxy.turns()[0] for _ in range(4)] == ["http://c", "http://a", "http://c", "http://a"]
    assert proxy.turns()[-1] == "http://b"  # still tried last, when every other one fails
    clock.now += FAIL_TIMEOUT
    assert [proxy.turns()[0] for _ in range(3)] == ["http://a", "http://b", "http://c"]  # b is back
    proxy.down_until.update(dict.fromkeys(proxy.origins, clock.now + 1))
    assert sorted(proxy.turns()) == sorted(proxy.origins)  # all down: try them all rather than refuse


def _proxy(failing: set[str], error: type[httpx.TransportError]) -> tuple[RoundRobinProxy, list[str]]:
    tried: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        origin = f"http://{request.url.host}"
        tried.append(origin)
        if origin in failing:
            raise error("down", request=request)
        return httpx.Response(200, text=origin)

    proxy = RoundRobinProxy(["http://a", "http://b"], clock=Clock())
    proxy._clients = {
        origin: httpx.AsyncClient(base_url=origin, transport=httpx.MockTransport(handler)) for origin in proxy.origins
    }
    return proxy, tried


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_refused_connection_goes_to_the_next_origin_whatever_the_method(method):
    proxy, tried = _proxy({"http://a"}, httpx.ConnectError)
    answer = asyncio.run(proxy.exchange(method, "/x", [], b""))
    assert answer.text == "http://b" and tried == ["http://a", "http://b"]
    assert proxy.down_until["http://a"] == 100.0 + FAIL_TIMEOUT


def test_a_post_that_may_have_arrived_is_not_sent_again():
    proxy, tried = _proxy({"http://a"}, httpx.ReadError)
    with pytest.raises(httpx.ReadError):
        asyncio.run(proxy.exchange("POST", "/x", [], b""))
    assert tried == ["http://a"]
    proxy, tried = _proxy({"http://a"}, httpx.ReadError)
    assert asyncio.run(proxy.exchange("PUT", "/x", [], b"")).text == "http://b"  # idempotent: safe to repeat
