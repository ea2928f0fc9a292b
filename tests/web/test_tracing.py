"""Tracing: an app's own provider, FastAPI's spans, a span per SQL statement and Redis command in one trace, sampling
at the door (a request left out leaves no span), own times."""

import fakeredis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from course_lib.web.request_ids import RequestIdMiddleware
from course_lib.web.tracing import Tracing, UntracedMiddleware, own_times, trace_engine, trace_redis


def traced_app(sample_rate: float = 1.0) -> tuple[FastAPI, Tracing]:
    tracing = Tracing(sample_rate=sample_rate)
    app = FastAPI(telemetry=tracing.telemetry())
    engine, cache = create_engine("sqlite://"), fakeredis.FakeRedis()

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict:
        cache.get(f"item:{item_id}")
        with engine.connect() as connection:
            return {"id": connection.execute(text("SELECT :n"), {"n": item_id}).scalar()}

    app.add_middleware(UntracedMiddleware)
    app.add_middleware(RequestIdMiddleware)
    trace_engine(engine, tracing)
    trace_redis(cache, tracing)
    return app, tracing


def test_one_request_is_one_trace_from_the_server_span_to_the_database_and_the_cache():
    app, tracing = traced_app()
    with TestClient(app) as client:
        client.get("/items/3", headers={"X-Request-ID": "t-1"})
    spans = tracing.trace_of("t-1")
    names = [span.name for span in spans]
    assert names[0] == "GET /items/{item_id}" and "GET" in names and any(name.startswith("SELECT") for name in names)
    server = spans[0]
    assert server.attributes["request.id"] == "t-1" and server.attributes["http.route"] == "/items/{item_id}"
    ids = {span.context.span_id for span in spans}
    assert all(span.parent.span_id in ids for span in spans[1:])


def test_a_request_left_out_by_sampling_leaves_no_span_at_all():
    app, tracing = traced_app(sample_rate=0.0)
    with TestClient(app) as client:
        for n in range(5):
            assert client.get(f"/items/{n}").status_code == 200
    assert tracing.spans() == []
    try:
        tracing.trace_of("never", timeout=0.1)
    except LookupError:
        pass
    else:
        raise AssertionError("a request that was not traced has no trace")


def test_a_sample_rate_between_keeps_about_that_share_of_whole_traces():
    app, tracing = traced_app(sample_rate=0.3)
    with TestClient(app) as client:
        for n in range(200):
            client.get(f"/items/{n}")
    traces = tracing.traces()
    assert 25 <= len(traces) <= 100  # 60 expected; binomial, 200 draws: far outside 5 standard deviations
    assert all(len(spans) >= 4 for spans in traces.values())  # whole: server, endpoint, SQL, Redis


def test_a_clients_sampled_flag_does_not_force_a_trace():
    app, tracing = traced_app(sample_rate=0.0)
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    with TestClient(app) as client:
        client.get("/items/1", headers={"traceparent": parent})
    assert tracing.spans() == []


def test_own_time_is_duration_minus_direct_children():
    app, tracing = traced_app()
    with TestClient(app) as client:
        client.get("/items/1")
    (spans,) = tracing.traces().values()
    own = own_times(spans)
    total = (spans[0].end_time - spans[0].start_time) / 1e9
    assert abs(sum(own.values()) - total) < 1e-6 and all(seconds >= -1e-6 for seconds in own.values())


def test_the_batch_processor_hands_its_spans_on_when_asked():
    tracing = Tracing(batch=True)
    with tracing.provider.get_tracer("t").start_as_current_span("work"):
        pass
    assert [span.name for span in tracing.spans()] == ["work"]
    tracing.shutdown()
