"""Prometheus metrics: a registry per app, labelled by route template (never the raw path), unknown methods as _OTHER,
5xx counted as errors (an exception too), quantiles from buckets."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from course_lib.web.metrics import UNMATCHED, HttpMetrics, MetricsMiddleware, method_label


def app_with_metrics() -> tuple[FastAPI, HttpMetrics]:
    app, metrics = FastAPI(), HttpMetrics()

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict:
        return {"id": item_id}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app, metrics


def test_series_are_per_route_template_and_an_unmatched_path_is_one_label():
    app, metrics = app_with_metrics()
    with TestClient(app) as client:
        for n in range(25):
            client.get(f"/items/{n}")
            client.get(f"/random/{n}")
    assert metrics.counts() == {("GET", "/items/{item_id}", 200): 25, ("GET", UNMATCHED, 404): 25}
    text = metrics.exposition().decode()
    assert "/items/3" not in text and 'route="/items/{item_id}"' in text


def test_an_exception_counts_as_a_500_and_the_error_rate_is_the_share_of_5xx():
    app, metrics = app_with_metrics()
    with TestClient(app, raise_server_exceptions=False) as client:
        for n in range(3):
            client.get(f"/items/{n}")
        assert client.get("/boom").status_code == 500
    assert metrics.counts()[("GET", "/boom", 500)] == 1
    assert metrics.error_rate() == 0.25


def test_a_method_the_api_does_not_serve_is_other():
    assert method_label("GET") == "GET" and method_label("BREW") == "_OTHER" and method_label("get") == "_OTHER"


def test_two_apps_have_two_registries():
    first, second = HttpMetrics(), HttpMetrics()
    first.observe("GET", "/a", 200, 0.01)
    assert second.counts() == {} and first.counts() == {("GET", "/a", 200): 1}


def test_the_quantile_is_the_smallest_bucket_bound_holding_q_of_the_answers():
    metrics = HttpMetrics()
    assert metrics.quantile("/a", 0.95) is None
    for seconds in [0.0005] * 90 + [0.2] * 10:
        metrics.observe("GET", "/a", 200, seconds)
    assert metrics.quantile("/a", 0.9) == 0.001 and metrics.quantile("/a", 0.91) == 0.25
    assert metrics.buckets("/a")[-1] == (float("inf"), 100)
