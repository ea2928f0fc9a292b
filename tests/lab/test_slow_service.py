import time

from fastapi.testclient import TestClient

from course_lib.lab.slow_service import CalendarService, busy_slots


def test_answers_a_fixed_calendar_and_counts_calls():
    service = CalendarService()
    with TestClient(service.app) as client:
        assert client.get("/calendars/3").json() == {"user_id": 3, "busy": busy_slots(3)}
        assert busy_slots(3) == busy_slots(3) != busy_slots(4)
    assert service.calls == 1


def test_latency_and_failure_modes_are_set_live():
    service = CalendarService(latency=0.2)
    with TestClient(service.app) as client:
        started = time.perf_counter()
        client.get("/calendars/1")
        assert time.perf_counter() - started >= 0.2
        service.latency, service.mode = 0, "error"
        assert client.get("/calendars/1").status_code == 503
        service.mode = "garbage"
        failed = client.get("/calendars/1")
        assert failed.status_code == 200 and not failed.headers["content-type"].startswith("application/json")
        assert client.get("/wait", params={"seconds": 0}).json() == {"waited": 0}
        assert client.get("/wait", params={"seconds": 11}).status_code == 422


def test_with_calendar_points_settings_at_a_served_calendar():
    import httpx

    from course_lib.lab.slow_service import with_calendar
    from course_lib.services.settings import Settings

    settings = with_calendar(Settings(calendar_timeout=1.5))
    assert settings.calendar_timeout == 1.5
    assert httpx.get(f"{settings.calendar_url}/calendars/1").json()["user_id"] == 1
