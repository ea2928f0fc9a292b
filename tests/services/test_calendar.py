"""The calendar the availability route calls: CALENDAR_URL, else the embedded one."""

import asyncio

import httpx

from course_lib.services.calendar import EMBEDDED_URL, busy_slots, calendar_client, calendar_url
from course_lib.services.settings import Settings


def test_the_embedded_calendar_answers_through_the_same_kind_of_client():
    settings = Settings(calendar_url=None)
    assert calendar_url(settings) == EMBEDDED_URL

    async def ask():
        async with calendar_client(settings) as client:
            return await client.get(f"{calendar_url(settings)}/calendars/2")

    answer = asyncio.run(ask())
    assert answer.status_code == 200 and answer.json() == {"user_id": 2, "busy": busy_slots(2)}


def test_a_configured_calendar_is_called_over_the_network():
    settings = Settings(calendar_url="http://127.0.0.1:9/")
    assert calendar_url(settings) == "http://127.0.0.1:9"

    async def ask():
        async with calendar_client(settings) as client:
            return await client.get(f"{calendar_url(settings)}/calendars/2")

    try:
        asyncio.run(ask())
    except httpx.ConnectError:
        pass  # nothing listens on port 9: a real connection was tried
    else:
        raise AssertionError("the configured URL was not called over the network")


def test_busy_slots_are_deterministic_and_per_user():
    assert busy_slots(3) == busy_slots(3) != busy_slots(4)
    assert all(slot["start"] < slot["end"] for slot in busy_slots(1))
