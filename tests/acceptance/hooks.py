"""The suite's one look behind HTTP (check 5): a user's stored password hash, read from the app's storage.

A learner whose app keeps users elsewhere names their own function in ACCEPTANCE_PASSWORD_HASH (module:function with
the same signature); check 15 counts what a job did with job_effects (ACCEPTANCE_JOB_EFFECTS). Nothing else in the
suite reads the app's internals.
"""

from __future__ import annotations

from typing import Any


def stored_password_hash(app: Any, email: str) -> str | None:
    """The password hash the app stored for `email` (the course's storage: app.context.storage), None if no user."""
    with app.context.storage.unit_of_work() as uow:
        user = uow.users.get_by_email(email)
        return None if user is None else user.password_hash


def job_effects(app: Any, job_id: str) -> list[str]:
    """What job `job_id` did, one entry per effect (check 15 counts repeats): the course's reminder e-mails in the
    outbox of the app's database, each named by its task. ACCEPTANCE_JOB_EFFECTS names another such function."""
    from course_lib.taskapi.ch17_background_jobs import sql_database
    from course_lib.taskapi.reminders import outbox

    return [
        f"e-mail about task {row['task_id']}" for row in outbox(sql_database(app).engine) if row["job_id"] == job_id
    ]
