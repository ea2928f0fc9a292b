"""A dependency to call: a calendar service whose latency and failures the notebook sets, served in the kernel.

    service = CalendarService(latency=0.05)
    dependency = serve(service.app, name="calendar")
    service.latency, service.mode = 3.0, "ok"          # too slow now
    service.mode = "error"                              # 503 from it; "garbage": 200 with a non-JSON body
    service.mode = "trickle"                            # the right answer, one byte every `latency` seconds

GET /calendars/{user_id} gives the user's busy slots; GET /wait?seconds= answers after that many seconds (the I/O
of the async-vs-sync demo). Both wait with asyncio.sleep, so one server serves any number of slow calls at once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from course_lib.notebook.server import serve
from course_lib.services.calendar import busy_slots
from course_lib.services.settings import Settings

MODES = ("ok", "error", "garbage", "trickle")

__all__ = ["MODES", "CalendarService", "busy_slots", "with_calendar"]


class CalendarService:
    """The slow dependency: `latency` seconds per answer, and a `mode` that makes it fail on purpose."""

    def __init__(self, latency: float = 0.0, mode: str = "ok") -> None:
        self.latency, self.mode = latency, mode
        self.calls = 0
        self.app = self._build()

    def _build(self) -> FastAPI:
        app = FastAPI(title="Calendar service (slow on purpose)")

        @app.get("/calendars/{user_id}")
        async def calendar(user_id: int) -> Response:
            """The user's busy slots, after `latency` seconds; or the failure `mode` asks for."""
            self.calls += 1
            if self.mode == "trickle":
                body = json.dumps({"user_id": user_id, "busy": busy_slots(user_id)}).encode()
                return StreamingResponse(self._trickle(body), media_type="application/json")
            await asyncio.sleep(self.latency)
            if self.mode == "error":
                return PlainTextResponse("overloaded", status_code=503)
            if self.mode == "garbage":
                return PlainTextResponse("<html>maintenance page</html>")
            return JSONResponse({"user_id": user_id, "busy": busy_slots(user_id)})

        @app.get("/wait")
        async def wait(seconds: float = Query(0.1, ge=0, le=10)) -> dict[str, float]:
            """Answer after `seconds`: an I/O-bound call of known length."""
            await asyncio.sleep(seconds)
            return {"waited": seconds}

        return app

    async def _trickle(self, body: bytes) -> AsyncIterator[bytes]:
        """One byte, then `latency` seconds, and so on: every read is quick, the whole answer is not."""
        for index in range(len(body)):
            yield body[index : index + 1]
            await asyncio.sleep(self.latency)

    def __repr__(self) -> str:
        return f"<CalendarService latency={self.latency:g}s mode={self.mode} calls={self.calls}>"


def with_calendar(settings: Settings | None = None) -> Settings:
    """`settings` (else the environment's) with CALENDAR_URL pointing at a calendar service served now, in this
    process: for runs that must see the availability route answer (a contract check: its 503 is no bug, but a 5xx)."""
    running = serve(CalendarService().app, name="calendar")
    return (settings or Settings()).model_copy(update={"calendar_url": running.url})
