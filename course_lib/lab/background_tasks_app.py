"""The smallest FastAPI app with BackgroundTasks, for chapter 17 to kill in a child process (it starts in a second,
where the whole task API takes several): POST /reminders answers 202, then e-mails TASKS reminders, one line each in
the file OUTBOX names, MAIL_LATENCY seconds apart — from this process's memory, and nowhere else.

    OUTBOX=/tmp/outbox.txt uvicorn --factory course_lib.lab.background_tasks_app:create_app
"""

import os
import time
from pathlib import Path

from fastapi import BackgroundTasks, FastAPI

TASKS = 10


def send_reminders(outbox: Path, count: int, latency: float) -> None:
    """One line per e-mail, each after the mail service's time for it (simulated)."""
    for n in range(count):
        time.sleep(latency)
        with outbox.open("a") as file:
            file.write(f"Reminder: task {n}\n")


def create_app() -> FastAPI:
    """The app, its outbox file from OUTBOX."""
    app = FastAPI()
    outbox, latency = Path(os.environ["OUTBOX"]), float(os.environ.get("MAIL_LATENCY", "0.1"))

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/reminders", status_code=202)
    async def reminders(tasks: BackgroundTasks) -> dict[str, str]:
        """202 at once; the e-mails are sent after the response."""
        tasks.add_task(send_reminders, outbox, TASKS, latency)
        return {"status": "accepted"}

    return app
