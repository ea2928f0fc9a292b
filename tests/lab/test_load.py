"""The load generator: locust against a served app on loopback, its stats read back."""

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse

from course_lib.lab.load import LoadResult, measure, parse_stats, percentile
from course_lib.notebook.server import serve

ENTRY = {
    "name": "/hi",
    "method": "GET",
    "start_time": 100.0,
    "last_request_timestamp": 102.0,
    "num_requests": 100,
    "num_failures": 3,
    "response_times": {"1": 40, "2": 30, "5": 20, "9": 9, "30": 1},
}


def test_parse_stats_sums_counts_and_reads_percentiles():
    result = parse_stats([ENTRY])
    assert result == LoadResult(requests=100, failures=3, throughput=50.0, p50_ms=2.0, p99_ms=9.0)
    doubled = parse_stats([ENTRY, {**ENTRY, "start_time": 101.0, "last_request_timestamp": 104.0}])
    assert (doubled.requests, doubled.failures, doubled.throughput) == (200, 6, 50.0)


def test_percentiles_from_both_sides():
    times = {1.0: 50, 2.0: 49, 40.0: 1}
    assert percentile(times, 0.50) == 1.0 and percentile(times, 0.51) == 2.0
    assert percentile(times, 0.99) == 2.0 and percentile(times, 1.0) == 40.0
    assert percentile({}, 0.5) == 0.0


def test_no_requests_measure_zero():
    assert parse_stats([]) == LoadResult(0, 0, 0.0, 0.0, 0.0)


@pytest.fixture(scope="module")
def server():
    app = FastAPI()

    @app.get("/hi")
    def hi() -> dict:
        return {"hi": 1}

    @app.get("/fail")
    def fail() -> JSONResponse:
        return JSONResponse({"no": 1}, status_code=503)

    running = serve(app, name="load-test")
    yield running
    running.stop()


@pytest.mark.parametrize("url", ["http://example.org/", "http://10.0.0.1:80/", "ftp://127.0.0.1/", "127.0.0.1:80"])
def test_load_goes_to_loopback_only(url):
    with pytest.raises(ValueError):
        measure(url, users=1, seconds=1)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        measure("http://127.0.0.1:1/", users=0, seconds=1)
    with pytest.raises(ValueError):
        measure("http://127.0.0.1:1/", users=1, seconds=0)


def test_measure_counts_requests_and_times_them(server):
    result = measure(f"{server.url}/hi", users=4, seconds=1.0, headers={"Accept": "application/json"})
    assert result.requests > 20 and result.failures == 0
    assert result.throughput > 10
    assert 0 <= result.p50_ms <= result.p99_ms
    assert "requests" in str(result)


def test_a_post_sends_its_json_body_every_time():
    app = FastAPI()

    @app.post("/echo", status_code=201)
    def echo(body: dict) -> dict:
        if body != {"title": "t"}:
            raise HTTPException(422, "the JSON body did not arrive")
        return body

    running = serve(app, name="load-test-post")  # a server of its own: no connections left over from other runs
    try:
        result = measure(f"{running.url}/echo", users=2, seconds=0.5, method="POST", body={"title": "t"})
    finally:
        running.stop()
    assert result.requests > 0 and result.failures == 0


def test_error_statuses_count_as_failures(server):
    result = measure(f"{server.url}/fail", users=2, seconds=0.5)
    assert result.requests > 0 and result.failures == result.requests
