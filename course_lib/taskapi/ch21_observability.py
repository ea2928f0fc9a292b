"""Chapter 21 — observability: what the API did, for whom, and how long it took, seen from outside.

- Every request has an id: the client's `X-Request-ID` when well-formed, else a new one; it is echoed on the response
  and stamped on every log line written while the request runs (request_ids.py), with the caller's user id;
- one JSON log line per request: method, route template, status, duration, request id, user id — nothing a header,
  a query or a body carried (json_logs.py);
- Prometheus metrics in a registry of the app's own: answers by method, route template and status, and a latency
  histogram by route template (metrics.py), at `GET /metrics` for admins only;
- OpenTelemetry traces: FastAPI's server span, a span per SQL statement and per Redis command, kept in memory
  (tracing.py), sampled at `trace_sample_rate` (settings: 1.0, every request, unless set), exported one by one or
  in batches (`trace_batch`).
"""

import sys
from typing import cast

from fastapi import APIRouter, Depends, Response
from fastapi.telemetry import TelemetryConfig

from course_lib.services.settings import Settings
from course_lib.taskapi import ch20_security
from course_lib.taskapi.bearer_auth import admin_by_lookup
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import AppContext, TaskAPI, need
from course_lib.taskapi.routes.admin import FORBIDDEN
from course_lib.taskapi.seams import Seams
from course_lib.taskapi.sql_storage import SqlStorage
from course_lib.web.json_logs import AccessLogMiddleware, RequestLog
from course_lib.web.metrics import EXPOSITION_TYPE, HttpMetrics, MetricsMiddleware
from course_lib.web.request_ids import RequestIdMiddleware
from course_lib.web.tracing import Tracing, UntracedMiddleware, trace_engine, trace_redis


def metrics_router(metrics: HttpMetrics) -> APIRouter:
    """GET /metrics: the app's registry in Prometheus's text format, for admins (a scraper logs in with an admin's
    API key); what every route answers, how often and how fast is no business of a member or a stranger."""
    router = APIRouter(tags=["admin"], responses=FORBIDDEN)

    @router.get(
        "/metrics",
        response_class=Response,
        responses={200: {"description": "Prometheus text format", "content": {EXPOSITION_TYPE: {}}}},
        dependencies=[Depends(admin_by_lookup)],
    )
    async def exposition() -> Response:
        """200 with every counter and histogram of this process, in Prometheus's text format."""
        return Response(metrics.exposition(), media_type=EXPOSITION_TYPE)

    return router


def telemetry(context: AppContext) -> TelemetryConfig:
    """A tracer provider of the app's own, handed to FastAPI's built-in telemetry as the app is made."""
    settings = context.settings
    context.tracing = Tracing(sample_rate=settings.trace_sample_rate, batch=settings.trace_batch)
    return context.tracing.telemetry()


def extend(app: TaskAPI, seams: Seams) -> None:
    """Request ids, the JSON access log and the metrics as middleware (the request id outermost, so every other layer
    runs inside it), /metrics, and spans for the database and the cache (the app's own are FastAPI's, telemetry())."""
    context, settings = app.context, app.context.settings
    log = context.request_log = RequestLog(stream=sys.stdout if settings.log_to_stdout else None)
    metrics = context.metrics = HttpMetrics()
    tracing = need(context.tracing, "tracer", 21)  # made by telemetry(), before the app
    app.add_middleware(UntracedMiddleware)  # innermost of the three: a request sampled out costs no database spans
    app.add_middleware(AccessLogMiddleware, log=log)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(RequestIdMiddleware)  # added last, so outermost: the others see the request's id
    app.include_router(metrics_router(metrics))
    trace_engine(cast(SqlStorage, context.storage).database.engine, tracing)  # the cached storage hands it on
    trace_redis(need(context.cache, "cache", 16).redis, tracing)


CHAPTER = Chapter(__name__, previous=ch20_security.CHAPTER, telemetry=telemetry, extend=extend)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 20's API, observable: request ids, JSON logs, Prometheus metrics at /metrics, traces in memory."""
    return build_app(CHAPTER, settings)
