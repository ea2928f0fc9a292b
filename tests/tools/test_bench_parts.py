"""The pieces of make bench that measure: the venv footprint, the embedded defaults, the in-process layers."""

import asyncio
import sys
from pathlib import Path

from tools.bench.apps import embedded, hello_app, without_services
from tools.bench.layers import asgi_call, per_request_us
from tools.bench.setup import footprint_mb, size_mb

VENV = Path(sys.prefix)


def test_a_footprint_counts_a_package_and_what_it_requires_and_nothing_else():
    alone = footprint_mb(VENV, ("h11",))  # requires nothing
    with_requirements = footprint_mb(VENV, ("httpx",))  # httpx → httpcore → h11, anyio, …
    assert 0 < alone < with_requirements < size_mb(VENV / "lib")
    assert footprint_mb(VENV, ("no-such-package-here",)) == 0


def test_the_server_figures_run_on_the_embedded_defaults_whatever_the_environment_says(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    settings = embedded()
    assert settings.database_url is None and settings.redis_url is None
    kept = without_services({"DATABASE_URL": "x", "REDIS_URL": "y", "PATH": "/bin"})
    assert kept == {"PATH": "/bin"}


def test_a_layer_is_timed_through_the_asgi_app_and_refuses_a_route_that_fails():
    app = hello_app()
    assert asyncio.run(asgi_call(app, "GET", "/hello", {})) == 200
    samples = asyncio.run(per_request_us(app, "/hello", {}, repeats=2))
    assert len(samples) == 2 and all(sample > 0 for sample in samples)
    try:
        asyncio.run(per_request_us(app, "/missing", {}, repeats=1))
    except RuntimeError as error:
        assert "404" in str(error)
    else:
        raise AssertionError("a route answering 404 was timed as if it worked")
