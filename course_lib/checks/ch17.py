"""Checks for chapter 17 — background jobs: what GET /jobs/{id} answers whom, and one e-mail of a job made
idempotent with a processed-ids record."""

from __future__ import annotations

from itertools import product

from course_lib.notebook.exercises import Exercise, Incorrect

OWNER, OTHER = 7, 8
JOB_IDS = ("5f0c1d2e-0000-4000-8000-00000000000a", "9b1e7c44-1111-4000-8000-00000000000b")
RECORDS = [  # (status, progress, result) of a job, owned by OWNER and then by OTHER
    ("queued", None, None),
    ("started", {"done": 3, "total": 10}, None),
    ("finished", {"done": 10, "total": 10}, {"sent": 10, "already_sent": 0, "tasks": 10}),
    ("failed", {"done": 4, "total": 10}, {"partial": True}),
    ("finished", {"done": 0, "total": 0}, {"sent": 0, "already_sent": 0, "tasks": 0}),
]


def expected_view(job: dict | None, job_id: str, user_id: int) -> tuple[int, dict]:
    """The right answer."""
    if job is None or job["owner_id"] != user_id:
        return 404, {"detail": f"job {job_id} not found"}
    result = job["result"] if job["status"] == "finished" else None
    return 200, {"id": job_id, "status": job["status"], "progress": job["progress"], "result": result}


def _test_job_view(job_view) -> None:
    for job_id in JOB_IDS:
        for (status, progress, result), owner in product(RECORDS, (OWNER, OTHER)):
            record = {"owner_id": owner, "status": status, "progress": progress, "result": result}
            for user_id in (OWNER, OTHER):
                who = "its owner" if user_id == owner else "another user"
                call = f"job_view({record}, {job_id!r}, {user_id})  # {who}"
                got = job_view(dict(record), job_id, user_id)
                expected = expected_view(record, job_id, user_id)
                if not isinstance(got, tuple) or len(got) != 2:
                    raise Incorrect("return a pair: (status, body).", request=call, expected=expected, got=got)
                if user_id != owner and got[0] != 404:
                    raise Incorrect(
                        "another user's job must be 404, as a job that does not exist: a 403 (or a 200!) tells them "
                        "it exists, and a 200 shows them its result.",
                        request=call,
                        expected=expected,
                        got=got,
                    )
                if got != expected:
                    raise Incorrect(
                        "the owner sees id, status, progress, and the result only once the job has finished"
                        if user_id == owner
                        else "the 404 body is the one a missing job gets, naming the id asked for",
                        request=call,
                        expected=expected,
                        got=got,
                    )
            unknown = job_view(None, job_id, OWNER)
            if unknown != expected_view(None, job_id, OWNER):
                raise Incorrect(
                    "an id with no record is 404, with the same body as another user's job.",
                    request=f"job_view(None, {job_id!r}, {OWNER})",
                    expected=expected_view(None, job_id, OWNER),
                    got=unknown,
                )


q1 = Exercise(
    "ch17.q1",
    "Whose job is it?",
    _test_job_view,
    hint="First: no record, or job['owner_id'] != user_id → (404, {'detail': f'job {job_id} not found'}). Then "
    "(200, {...}) with result = job['result'] if job['status'] == 'finished' else None.",
)


def _test_send_once(send_once) -> None:
    processed: set[str] = set()
    outbox: list[str] = []
    runs = [  # (job, task, e-mail, should it send?)
        ("job-1", 1, "task 1", True),
        ("job-1", 2, "task 2", True),
        ("job-1", 1, "task 1", False),  # the job run again (a retry): already sent
        ("job-1", 2, "task 2", False),
        ("job-1", 12, "task 12", True),  # another task (not task 1 with a 2 appended)
        ("job-11", 2, "task 2", True),  # another job: the user asked again
        ("job-2", 1, "task 1", True),
        ("job-2", 1, "task 1", False),
        ("job-11", 2, "task 2", False),
        ("job-1", 12, "task 12", False),
    ]
    sent: list[str] = []
    for n, (job_id, task_id, email, should) in enumerate(runs):
        call = f"send_once(processed, outbox, {job_id!r}, {task_id}, {email!r})"
        before = len(outbox)
        got = send_once(processed, outbox, job_id, task_id, email)
        if should:
            sent.append(email)
        if outbox != sent:
            raise Incorrect(
                "this e-mail was sent by this job before: a retry must not send it again"
                if not should
                else "this job has not sent this task's e-mail yet: it must send it (a key of job id and task id, "
                "kept apart so that job-1 + task 12 is not job-11 + task 2)",
                request=f"{call} after the calls {[run[:2] for run in runs[:n]]}",
                expected=f"outbox {sent}",
                got=f"outbox {outbox}",
            )
        if got is not should:
            raise Incorrect(
                "return True when it sent, False when it skipped.",
                request=call,
                expected=should,
                got=got,
            )
        if should and len(outbox) != before + 1:
            raise Incorrect("send exactly one e-mail.", request=call, expected=before + 1, got=len(outbox))


q2 = Exercise(
    "ch17.q2",
    "One e-mail, exactly once",
    _test_send_once,
    hint="key = f'{job_id}:{task_id}'; if it is in processed, return False; else outbox.append(email), "
    "processed.add(key), return True.",
)
