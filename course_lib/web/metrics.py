"""Prometheus metrics of an HTTP API (prometheus_client), in a registry of the app's own.

- `http_requests_total{method, route, status}` counts answers; the error rate is the share of them with a 5xx status;
- `http_request_duration_seconds{method, route}` is the latency histogram (cumulative buckets, `le` = "at most");
- the `route` label is the route's TEMPLATE (`/tasks/{task_id}`), never the raw path: one series per route, not one
  per task id, or the metrics store grows with every id a client invents. A request no route matches is
  `route="(unmatched)"`, and a method the API does not know is `method="_OTHER"`: a client cannot mint series;
- a registry per app, not prometheus_client's global one: many apps live in one process here (notebooks, tests).
"""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "(unmatched)"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)  # seconds
EXPOSITION_TYPE = CONTENT_TYPE_LATEST


def route_template(scope: Scope) -> str:
    """The template of the route that answered (`/tasks/{task_id}`), read after the app ran; `(unmatched)` if none."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return UNMATCHED
    return scope.get("root_path", "") + path


def method_label(method: str) -> str:
    """The method, or `_OTHER` for one the API does not serve (a client must not choose label values)."""
    return method if method in KNOWN_METHODS else "_OTHER"


class HttpMetrics:
    """The request counter and the latency histogram of one app, in its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests",
            "HTTP answers by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time from the request's arrival to its last byte, by route template",
            ["method", "route"],
            buckets=BUCKETS,
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answer and record its duration."""
        self.requests.labels(method, route, str(status)).inc()
        self.duration.labels(method, route).observe(seconds)

    def exposition(self) -> bytes:
        """The registry in Prometheus's text format, as GET /metrics answers it."""
        return generate_latest(self.registry)

    def counts(self) -> dict[tuple[str, str, int], float]:
        """Answers so far by (method, route, status)."""
        return {
            (s.labels["method"], s.labels["route"], int(s.labels["status"])): s.value
            for metric in self.requests.collect()
            for s in metric.samples
            if s.name == "http_requests_total"
        }

    def error_rate(self) -> float:
        """The share of answers that were server errors (5xx); 0.0 before any answer."""
        counts = self.counts()
        total = sum(counts.values())
        return sum(n for (_, _, status), n in counts.items() if status >= 500) / total if total else 0.0

    def buckets(self, route: str, method: str = "GET") -> list[tuple[float, float]]:
        """The latency histogram of one route: (upper bound in seconds, answers at most that slow), cumulative."""
        return [
            (float(s.labels["le"]), s.value)
            for metric in self.duration.collect()
            for s in metric.samples
            if s.name.endswith("_bucket") and s.labels["route"] == route and s.labels["method"] == method
        ]

    def quantile(self, route: str, q: float, method: str = "GET") -> float | None:
        """The `q` quantile of a route's latency as its histogram can tell it: the smallest bucket bound that at
        least q of the answers stayed within (an upper bound; None before any answer)."""
        buckets = self.buckets(route, method)
        total = buckets[-1][1] if buckets else 0
        if not total:
            return None
        return next(bound for bound, count in buckets if count >= q * total)


class MetricsMiddleware:
    """Counts every HTTP answer and times it, labelled by method, route template and status (500 when the app
    raised). It records just before the last byte goes out: a client that reads /metrics next finds its request."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status, recorded = 500, False

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                seconds = time.perf_counter() - started
                self.metrics.observe(method_label(scope["method"]), route_template(scope), status, seconds)

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                record()
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        except Exception:
            status = 500
            raise
        finally:
            record()  # an exception, or an app that ended without a last body message
