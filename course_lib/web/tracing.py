"""OpenTelemetry traces of one app: request → database → cache, kept in memory (the course runs offline).

- `Tracing(sample_rate, batch)` is an app's own TracerProvider (many apps live in one process: never the global one),
  with a sampler and an exporter that keeps the last spans in memory (`RecentSpans`; a service would export over OTLP
  to a collector instead: the processor and the sampler stay as they are);
- `Tracing.telemetry()` is the setting that gives the provider to FastAPI's built-in telemetry, passed when the app
  is made (FastAPI ≥ 0.165 opens the server span `GET /tasks/{task_id}` and spans for dependencies, the endpoint and
  serialization; `FastAPI(telemetry=...)` is its one public door); `trace_engine` adds a span per
  SQL statement (the SQLAlchemy instrumentation's EngineTracer on that engine alone), `trace_redis` one per Redis
  command (the Redis instrumentation on that client alone);
- sampling at the door: `sample_rate` of the requests are traced, the choice made before FastAPI opens a span
  (its `exclude` hook), so a request left out costs no span at all — not the server span, not FastAPI's operation
  spans, not a span per statement (UntracedMiddleware turns the instrumentations off for it). A traced request is
  traced whole. A `traceparent` header from a client is read for the trace id to continue, but its "sampled" flag
  decides nothing: on a public API a client must not choose to make every one of its requests cost a full trace.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Receive, Scope, Send

KEEP = 5000  # finished spans kept in memory


class RecentSpans(SpanExporter):
    """An exporter that keeps the last `keep` finished spans in memory (a bounded InMemorySpanExporter)."""

    def __init__(self, keep: int = KEEP) -> None:
        self.finished: deque[ReadableSpan] = deque(maxlen=keep)
        self.exported = threading.Condition()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with self.exported:
            self.finished.extend(spans)
            self.exported.notify_all()
        return SpanExportResult.SUCCESS

    def clear(self) -> None:
        """Forget every span kept so far."""
        self.finished.clear()


class Tracing:
    """One app's tracer provider: `sample_rate` of the requests traced (`exclude` leaves the others out), spans
    exported to `exporter` one by one (simple) or in batches from a background thread (batch)."""

    def __init__(self, sample_rate: float = 1.0, batch: bool = False, service: str = "task-api") -> None:
        self.sample_rate, self.batch = sample_rate, batch
        self.exporter = RecentSpans()
        self.provider = TracerProvider(
            sampler=ALWAYS_ON, resource=Resource.create({"service.name": service}), shutdown_on_exit=False
        )
        processor = BatchSpanProcessor(self.exporter) if batch else SimpleSpanProcessor(self.exporter)
        self.provider.add_span_processor(processor)

    def exclude(self, scope: Scope) -> bool:
        """True for a request left out of tracing: 1 - sample_rate of them, at random (FastAPI's `exclude` hook)."""
        return self.sample_rate < 1.0 and random.random() >= self.sample_rate

    def telemetry(self) -> TelemetryConfig:
        """FastAPI's telemetry setting for this provider, `FastAPI(telemetry=tracing.telemetry())`: spans only (the
        metrics are Prometheus's here, the logs ours), requests left out by `exclude`."""
        return {"tracer_provider": self.provider, "exclude": self.exclude, "metrics": False, "logs": False}

    def spans(self) -> list[ReadableSpan]:
        """Every finished span kept, oldest first (a batch processor's queue is flushed first)."""
        self.provider.force_flush()
        return list(self.exporter.finished)

    def traces(self) -> dict[int, list[ReadableSpan]]:
        """The kept spans grouped by trace id, each trace in the order its spans started."""
        found: dict[int, list[ReadableSpan]] = {}
        for span in self.spans():
            assert span.context is not None
            found.setdefault(span.context.trace_id, []).append(span)
        return {trace_id: sorted(spans, key=lambda s: s.start_time or 0) for trace_id, spans in found.items()}

    def trace_of(self, request_id: str, timeout: float = 10.0) -> list[ReadableSpan]:
        """The spans of the request whose id is `request_id`, once its server span has ended: FastAPI ends it just
        after the response's last byte, so a client can read its answer a moment before the trace is complete.
        LookupError when no such trace ends within `timeout` seconds (the request was not traced)."""

        def server_span() -> ReadableSpan | None:
            self.provider.force_flush()
            return next(
                (s for s in self.exporter.finished if s.attributes and s.attributes.get("request.id") == request_id),
                None,
            )

        with self.exporter.exported:
            found = self.exporter.exported.wait_for(server_span, timeout)
        if found is None or found.context is None:
            raise LookupError(f"no trace of request {request_id!r} (not traced, or not finished)")
        return self.traces()[found.context.trace_id]

    def shutdown(self) -> None:
        """Stop the provider (a batch processor's thread ends)."""
        self.provider.shutdown()


def own_times(spans: list[ReadableSpan]) -> dict[int, float]:
    """Each span's own time in seconds (span id → its duration minus its direct children's): where a trace's time
    went. The server span is the longest, always; the span with the most time of its own is the slow step."""
    seconds = {
        span.context.span_id: ((span.end_time or 0) - (span.start_time or 0)) / 1e9 for span in spans if span.context
    }
    own = dict(seconds)
    for span in spans:
        if span.parent is not None and span.parent.span_id in own and span.context is not None:
            own[span.parent.span_id] -= seconds[span.context.span_id]
    return own


class UntracedMiddleware:
    """When a request is not traced (sampled out), the database and cache instrumentations skip it whole: without this
    each statement and command would start a trace of its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or trace.get_current_span().is_recording():
            await self.app(scope, receive, send)
            return
        with suppress_instrumentation():
            await self.app(scope, receive, send)


def trace_engine(engine: Engine, tracing: Tracing) -> None:
    """A span for each SQL statement `engine` runs (SQLAlchemyInstrumentor().instrument() would patch every engine of
    the process, once, and refuses SQLAlchemy 2.1 without skip_dep_check; its EngineTracer does one engine)."""
    tracer = tracing.provider.get_tracer("opentelemetry.instrumentation.sqlalchemy")
    unused = metrics.NoOpMeter("sqlalchemy").create_up_down_counter("db.client.connections.usage")
    EngineTracer(tracer, engine, unused)


def trace_redis(client: Any, tracing: Tracing) -> None:
    """A span for each command `client` sends to Redis (this client only; fakeredis is a redis.Redis too)."""
    RedisInstrumentor.instrument_client(client, tracer_provider=tracing.provider)
