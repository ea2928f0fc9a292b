"""Chapter 12: /users/{id}/availability calls the calendar service within a timeout; its failures are 502/503/504."""

import time

import pytest

from course_lib.lab.slow_service import CalendarService, busy_slots
from course_lib.notebook.server import serve
from course_lib.services.settings import Settings
from course_lib.taskapi import app_factory
from course_lib.taskapi.auth import sign_up
from course_lib.web.problems import PROBLEM_JSON
from tests.taskapi.conftest import chapters_from


@pytest.fixture
def calendar_api():
    """The API at a chapter, wired to a calendar service of its own with a short timeout; one user, Ada."""
    def start(chapter: int, timeout: float = 0.3, url: str | None = ""):
        service = CalendarService()
        if url == "":
            url = serve(service.app, name=f"test-calendar-{chapter}").url
        api = serve(app_factory(chapter)(Settings(calendar_url=url, calendar_timeout=timeout)),
                    name=f"test-ch{chapter:02d}-calendar")
        sign_up(api, "Ada")
        return api, service
    return start


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status
    return body


@pytest.mark.parametrize("chapter", chapters_from(12))
def test_availability_comes_from_the_calendar_service(calendar_api, chapter):
    api, service = calendar_api(chapter)
    answer = api.get("/users/1/availability")
    assert answer.status_code == 200
    assert answer.json() == {"user_id": 1, "busy": [{k: v.replace("+00:00", "Z") for k, v in slot.items()}
                                                    for slot in busy_slots(1)]}
    problem(api.get("/users/2/availability"), 404)
    assert service.calls == 1  # an unknown user costs no outbound call


@pytest.mark.parametrize("chapter", chapters_from(12))
def test_a_slow_calendar_is_504_within_the_timeout(calendar_api, chapter):
    api, service = calendar_api(chapter, timeout=0.3)
    service.latency = 3
    started = time.perf_counter()
    body = problem(api.get("/users/1/availability"), 504)
    assert time.perf_counter() - started < 2
    assert body["type"] == "/problems/dependency-timeout"


@pytest.mark.parametrize("chapter", chapters_from(12))
def test_a_failing_calendar_is_503_with_retry_after_and_garbage_is_502(calendar_api, chapter):
    api, service = calendar_api(chapter)
    service.mode = "error"
    failing = api.get("/users/1/availability")
    problem(failing, 503)
    assert int(failing.headers["retry-after"]) > 0
    service.mode = "garbage"
    problem(api.get("/users/1/availability"), 502)


@pytest.mark.parametrize("chapter", chapters_from(12))
def test_an_unreachable_calendar_is_503(calendar_api, chapter):
    refused, _ = calendar_api(chapter, url="http://127.0.0.1:9")
    problem(refused.get("/users/1/availability"), 503)


@pytest.mark.parametrize("chapter", chapters_from(12))
def test_on_embedded_defaults_the_embedded_calendar_answers(calendar_api, chapter):
    embedded, _ = calendar_api(chapter, url=None)
    answer = embedded.get("/users/1/availability")
    assert answer.status_code == 200, answer.text
    assert answer.json()["busy"][0]["start"] == busy_slots(1)[0]["start"].replace("+00:00", "Z")


@pytest.mark.parametrize("chapter", chapters_from(12))
def test_a_trickling_calendar_is_cut_at_the_deadline(calendar_api, chapter):
    # Each byte comes within 0.05 s, far inside any per-read timeout: only a deadline on the whole call ends it.
    api, service = calendar_api(chapter, timeout=0.5)
    service.mode, service.latency = "trickle", 0.05
    started = time.perf_counter()
    body = problem(api.get("/users/1/availability"), 504)
    waited = time.perf_counter() - started
    assert 0.5 <= waited < 2.5, waited  # the whole body would take ~6 s
    assert body["type"] == "/problems/dependency-timeout" and "0.5 s" in body["detail"]


@pytest.mark.parametrize("chapter", chapters_from(12))
def test_the_contract_documents_the_gateway_failures(chapter):
    operation = app_factory(chapter)(None).openapi()["paths"]["/users/{user_id}/availability"]["get"]
    responses = operation["responses"]
    assert {"200", "404", "502", "503", "504"} <= set(responses)
    for status in ("502", "503", "504"):
        assert list(responses[status]["content"]) == [PROBLEM_JSON]
    assert "Retry-After" in responses["503"]["headers"]
