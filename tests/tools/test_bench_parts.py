"""make bench's pieces: parsing other tools' output, the slots that wait for chapters, the venv footprint, the embedded
defaults and the in-process layers."""

import asyncio
import os
import sys
from pathlib import Path

import pytest

from course_lib.lab.in_process import asgi_call
from tools.bench.apps import embedded, hello_app, without_services
from tools.bench.core import Context, run_benchmark
from tools.bench.layers import per_request_us
from tools.bench.notebooks import empty_notebook, per_file_seconds, slowest_cell
from tools.bench.pagination import pagination_postgresql
from tools.bench.scaling import scaling
from tools.bench.setup import footprint_mb, size_mb
from tools.bench.throughput import throughput

VENV = Path(sys.prefix)


def test_nbval_time_per_notebook_sums_its_cells_from_the_junit_report(tmp_path):
    report = tmp_path / "report.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="notebooks.00_a.ipynb" name="C0" file="notebooks/00_a.ipynb" time="2.5"/>'
        '<testcase classname="notebooks.00_a.ipynb" name="C1" file="notebooks/00_a.ipynb" time="0.5"/>'
        '<testcase classname="build.empty_0.ipynb" name="C0" file="build/empty_0.ipynb" time="1.0"/>'
        "</testsuite></testsuites>"
    )
    assert per_file_seconds(report) == {"notebooks/00_a.ipynb": 3.0, "build/empty_0.ipynb": 1.0}


def test_the_slowest_cell_is_named_by_its_code_cells_index_and_first_line(tmp_path):
    import json

    path = tmp_path / "06.ipynb"
    cells = [
        {"cell_type": "markdown", "source": "# title"},
        {"cell_type": "code", "source": "import x"},
        {"cell_type": "code", "source": ["rows = seed(100_000)\n", "more()"]},
    ]
    path.write_text(json.dumps({"cells": cells}))
    assert slowest_cell(path, {"Cell 0": 1.0, "Cell 1": 9.5}) == "slowest: code cell 1 (9.5 s) `rows = seed(100_000)`"
    assert slowest_cell(path, {}) == ""


def test_the_empty_notebook_keeps_the_chapters_kernel_and_has_one_trivial_cell(tmp_path):
    import json

    like = tmp_path / "00.ipynb"
    like.write_text(
        json.dumps(
            {
                "cells": [{"cell_type": "markdown", "metadata": {}, "source": "x"}] * 5,
                "metadata": {"kernelspec": {"name": "backend-course"}},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )
    empty = json.loads(empty_notebook(like, tmp_path / "out" / "empty.ipynb").read_text())
    assert empty["metadata"]["kernelspec"]["name"] == "backend-course"
    assert [cell["source"] for cell in empty["cells"]] == ["pass"]


def test_the_venv_size_counts_a_hard_linked_file_once(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 1_000_000)
    os.link(tmp_path / "a", tmp_path / "b")
    assert 0.99 < size_mb(tmp_path) < 1.1


@pytest.mark.parametrize(
    "bench, names",
    [
        (pagination_postgresql, ["offset page 100k deep (PostgreSQL)", "cursor page 100k deep (PostgreSQL)"]),
    ],
)
def test_slots_and_missing_services_are_skipped_with_a_reason_and_no_number(bench, names, monkeypatch):
    from tools.bench.core import REGISTRY

    monkeypatch.delenv("DATABASE_URL", raising=False)
    registered = next(entry for entry in REGISTRY.values() if entry.run is bench)
    figures = list(run_benchmark(registered, Context()))
    assert [figure.name for figure in figures] == names
    for figure in figures:
        assert figure.skipped and figure.measured is None and figure.baseline is None and figure.ratio is None


def test_scaling_without_nginx_is_skipped_before_any_replica_starts(monkeypatch):
    from course_lib.lab import nginx, replicas
    from tools.bench.core import REGISTRY

    monkeypatch.setattr(nginx, "find_nginx", lambda settings=None: None)
    monkeypatch.setattr(replicas, "start_replicas", lambda *args, **kwargs: 1 / 0)
    figures = list(run_benchmark(REGISTRY["scaling"], Context()))
    assert [f.name for f in figures] == ["2 replicas behind nginx", "3 replicas behind nginx"]
    assert all(f.skipped.startswith("nginx is not installed") and f.measured is None for f in figures)
    assert scaling is REGISTRY["scaling"].run


def test_throughput_is_skipped_on_one_cpu_rather_than_measured_unpinned(monkeypatch):
    from tools.bench.core import REGISTRY

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    figures = list(run_benchmark(REGISTRY["throughput"], Context()))
    assert len(figures) == 4 and all(f.skipped.startswith("needs 2 CPUs") for f in figures)
    assert throughput is REGISTRY["throughput"].run


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
