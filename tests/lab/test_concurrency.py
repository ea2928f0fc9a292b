"""The lab app's handler styles: each answers, and the one that blocks the loop serialises requests."""

import pytest

from course_lib.lab.concurrency import burst, handlers_app, stall_during
from course_lib.lab.cpu_work import count_primes
from course_lib.lab.slow_service import CalendarService
from course_lib.notebook.server import serve


def test_count_primes():
    assert [count_primes(n) for n in (0, 2, 3, 10, 100)] == [0, 0, 1, 4, 25]


@pytest.fixture
def lab():
    dependency = serve(CalendarService().app, name="test-lab-calendar")
    app = serve(handlers_app(dependency.url, processes=1), name="test-lab")
    yield app
    app.stop()
    dependency.stop()


def test_every_route_answers_and_blocking_in_async_def_serialises(lab):
    for route in ("/io/async", "/io/sync", "/io/blocking"):
        assert lab.get(route, params={"seconds": 0}).json() == {"waited": 0}
    for route in ("/cpu/inline", "/cpu/thread", "/cpu/process", "/report"):
        assert lab.get(route, params={"limit": 100, "seconds": 0}).json() == {"primes": 25}
    assert lab.get("/cpu/inline", params={"limit": 1}).status_code == 422
    blocking = burst(f"{lab.url}/io/blocking?seconds=0.2", 5)
    awaiting = burst(f"{lab.url}/io/async?seconds=0.2", 5)
    assert blocking >= 0.9
    assert awaiting * 2 < blocking


def test_cpu_on_the_loop_stalls_other_requests_and_the_profiler_finds_it(lab):
    # ~0.2 s of work on an idle machine: a probe's own cost (a few ms, tens beside a CPU hog) stays far below it
    stalled = stall_during(f"{lab.url}/cpu/inline?limit=150000", f"{lab.url}/health")
    assert stalled["slowest probe"] >= 0.5 * stalled["work"], stalled
    free = stall_during(f"{lab.url}/cpu/process?limit=150000", f"{lab.url}/health")
    assert free["median probe"] * 2 < stalled["slowest probe"], (free, stalled)
    report = lab.get("/report", params={"profile": 1, "seconds": 0, "limit": 20000})
    assert report.headers["content-type"].startswith("text/plain")
    assert "count_primes" in report.text
