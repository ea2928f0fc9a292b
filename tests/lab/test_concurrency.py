"""The lab app's handler styles: each answers, and the one that blocks the loop serialises requests."""

import pytest

from course_lib.lab.concurrency import burst, handlers_app, one_and_two_at_once, profile_shares, stall_during
from course_lib.lab.cpu_work import count_primes
from course_lib.lab.slow_service import CalendarService
from course_lib.notebook.server import serve
from course_lib.services.settings import Settings


def test_count_primes():
    assert [count_primes(n) for n in (0, 2, 3, 10, 100)] == [0, 0, 1, 4, 25]


@pytest.fixture
def lab():
    dependency = serve(CalendarService().app, name="test-lab-calendar")
    app = serve(handlers_app(dependency.url, processes=1, settings=Settings(profiling=True)), name="test-lab")
    yield app
    app.stop()
    dependency.stop()


def test_every_route_answers_and_blocking_in_async_def_serialises(lab):
    for route in ("/io/async", "/io/sync", "/io/blocking"):
        assert lab.get(route, params={"seconds": 0}).json() == {"waited": 0}
    for route in ("/cpu/inline", "/cpu/thread", "/cpu/process"):
        answer = lab.get(route, params={"limit": 100}).json()
        assert answer["primes"] == 25 and answer["cpu_seconds"] >= 0
    assert lab.get("/report", params={"limit": 100, "seconds": 0}).json() == {"primes": 25}
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
    admin = {"Authorization": f"Bearer {lab.server.config.app.admin_key}"}
    assert lab.get("/report", params={"profile": 1, "seconds": 0, "limit": 100}).json() == {"primes": 25}
    report = lab.get("/report", params={"profile": 1, "seconds": 0, "limit": 20000}, headers=admin)
    assert report.headers["content-type"].startswith("text/plain")
    assert "count_primes" in report.text


def test_one_and_two_at_once_measures_both_places(lab):
    pairs = one_and_two_at_once(lab.url, limit=1000, rounds=1)
    assert set(pairs) == {"thread", "process"}
    assert all(
        set(times) == {"1 request", "2 at once", "CPU of the 2"} and min(times.values()) > 0 for times in pairs.values()
    )


REPORT = """
0.258 Handle._run  asyncio/events.py:78
         0.200 report  ../course_lib/lab/concurrency.py:105
         ├─ 0.150 count_primes  ../course_lib/lab/cpu_work.py:4
         └─ 0.050 AsyncClient.get  httpx/_client.py:1751
"""


def test_profile_shares_reads_each_part_against_the_whole():
    shares = profile_shares(REPORT, of="report", parts=("count_primes", "AsyncClient.get", "absent"))
    assert {part: round(share, 6) for part, share in shares.items()} == {
        "count_primes": 0.75,
        "AsyncClient.get": 0.25,
        "absent": 0.0,
    }
