"""Each checker against its stub, its solution, valid alternatives and known-wrong answers."""

from course_lib.checks.ch17 import q1, q2
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED


def job_view(job, job_id, user_id):
    if job is None or job["owner_id"] != user_id:
        return 404, {"detail": f"job {job_id} not found"}
    result = job["result"] if job["status"] == "finished" else None
    return 200, {"id": job_id, "status": job["status"], "progress": job["progress"], "result": result}


def test_q1_solution_stub_alternative_and_wrong_views():
    assert q1.evaluate(None).status == NOT_ATTEMPTED
    assert q1.evaluate(job_view).status == CORRECT

    def early_return(job, job_id, user_id):  # the same rules, written another way
        if job and job.get("owner_id") == user_id:
            done = job["status"] == "finished"
            return 200, {"id": job_id, "status": job["status"], "progress": job["progress"],
                         "result": job["result"] if done else None}  # fmt: skip
        return 404, {"detail": "job " + job_id + " not found"}

    assert q1.evaluate(early_return).status == CORRECT

    def forbidden_for_others(job, job_id, user_id):
        if job is not None and job["owner_id"] != user_id:
            return 403, {"detail": "not your job"}
        return job_view(job, job_id, user_id)

    def shows_everyone(job, job_id, user_id):
        return job_view(job, job_id, job["owner_id"] if job else user_id)

    def other_body(job, job_id, user_id):
        if job is not None and job["owner_id"] != user_id:
            return 404, {"detail": f"job {job_id} is not yours"}
        return job_view(job, job_id, user_id)

    def result_always(job, job_id, user_id):
        status, body = job_view(job, job_id, user_id)
        return (status, {**body, "result": job["result"]}) if status == 200 else (status, body)

    def no_progress(job, job_id, user_id):
        status, body = job_view(job, job_id, user_id)
        return (status, {**body, "progress": None}) if status == 200 else (status, body)

    def unknown_crashes(job, job_id, user_id):
        if job["owner_id"] != user_id:
            return 404, {"detail": f"job {job_id} not found"}
        return job_view(job, job_id, user_id)

    def fixed_id(job, job_id, user_id):
        status, body = job_view(job, job_id, user_id)
        return (status, {**body, "id": "5f0c1d2e-0000-4000-8000-00000000000a"}) if status == 200 else (status, body)

    for wrong in (forbidden_for_others, shows_everyone, other_body, result_always, no_progress, unknown_crashes,
                  fixed_id, lambda job, job_id, user_id: None):  # fmt: skip
        assert q1.evaluate(wrong).status == INCORRECT, wrong
    assert "tells them it exists" in "\n".join(q1.evaluate(forbidden_for_others).lines())


def send_once(processed, outbox, job_id, task_id, email):
    key = f"{job_id}:{task_id}"
    if key in processed:
        return False
    outbox.append(email)
    processed.add(key)
    return True


def test_q2_solution_stub_alternative_and_wrong_records():
    assert q2.evaluate(None).status == NOT_ATTEMPTED
    assert q2.evaluate(send_once).status == CORRECT

    def tuple_keys(processed, outbox, job_id, task_id, email):
        if (job_id, task_id) in processed:
            return False
        processed.add((job_id, task_id))
        outbox.append(email)
        return True

    assert q2.evaluate(tuple_keys).status == CORRECT

    def no_record(processed, outbox, job_id, task_id, email):
        outbox.append(email)
        return True

    def task_only(processed, outbox, job_id, task_id, email):
        return send_once(processed, outbox, "any job", task_id, email)

    def glued(processed, outbox, job_id, task_id, email):
        if f"{job_id}{task_id}" in processed:
            return False
        processed.add(f"{job_id}{task_id}")
        outbox.append(email)
        return True

    def record_only(processed, outbox, job_id, task_id, email):
        if f"{job_id}:{task_id}" in processed:
            return False
        processed.add(f"{job_id}:{task_id}")
        return True

    def wrong_return(processed, outbox, job_id, task_id, email):
        send_once(processed, outbox, job_id, task_id, email)
        return True

    def twice(processed, outbox, job_id, task_id, email):
        sent = send_once(processed, outbox, job_id, task_id, email)
        if sent:
            outbox.append(email)
        return sent

    for wrong in (no_record, task_only, glued, record_only, wrong_return, twice):
        assert q2.evaluate(wrong).status == INCORRECT, wrong
