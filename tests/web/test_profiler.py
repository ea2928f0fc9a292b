"""?profile=1 answers a profiler report only with the setting on and to an admin; anyone else gets the route."""

import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from course_lib.services.settings import Settings
from course_lib.web.profiler import add_profiler, bearer_is

KEY = "k" * 43
ADMIN = {"Authorization": f"Bearer {KEY}"}


def client(enabled: bool) -> TestClient:
    app = FastAPI()
    add_profiler(app, enabled, bearer_is(KEY))

    @app.get("/work")
    async def work() -> dict:
        # ~30 ms on the event loop's thread, which the profiler samples every millisecond: seen even under load
        # (a sync route would run in a worker thread, and 10,000 additions once took too little to be sampled)
        deadline, total = time.perf_counter() + 0.03, 0
        while time.perf_counter() < deadline:
            total += sum(range(1_000))
        return {"sum": sum(range(10_000))}

    return TestClient(app)


def test_profiling_is_off_unless_set():
    assert Settings().profiling is False


@pytest.mark.parametrize(
    ("enabled", "headers"),
    [
        (False, ADMIN),
        (True, {}),
        (True, {"Authorization": "Bearer guess"}),
        (True, {"Authorization": KEY}),
    ],
)
def test_without_the_setting_or_the_admin_key_profile_1_is_ignored(enabled, headers):
    answer = client(enabled).get("/work?profile=1", headers=headers)
    assert answer.status_code == 200 and answer.json() == {"sum": 49995000}


def test_an_admin_gets_the_report_never_cached():
    answer = client(True).get("/work?profile=1", headers=ADMIN)
    assert answer.headers["content-type"].startswith("text/plain") and "work" in answer.text
    assert answer.headers["cache-control"] == "no-store"
