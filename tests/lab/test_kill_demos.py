"""Chapter 22's lab: the idempotent effect, RQ's tools in-process, and real workers killed mid-job (RQ and Celery)."""

import os

import fakeredis
import pytest
import redis
from rq import Queue, Retry

from course_lib.lab import celery_app, fake_redis_tcp, job_compare, job_effects, kill_demos, rq_full


def test_an_effect_runs_once_per_id_and_a_failing_first_run_is_repeated_without_doubles():
    r = fakeredis.FakeRedis()
    assert job_effects.send_once(r, "b", 1) and not job_effects.send_once(r, "b", 1)
    assert job_effects.send_once(r, "other", 1)  # another batch: its own record
    with pytest.raises(ConnectionError):
        job_effects.remind(r, "c", 3, fail_first=1)
    assert job_effects.outbox(r, "c") == ["0"]
    assert job_effects.remind(r, "c", 3, fail_first=1) == {"sent": 2, "already_sent": 1, "attempt": 2}
    assert job_effects.outbox(r, "c") == ["0", "1", "2"] and job_effects.attempts(r, "c") == 2


def test_the_in_process_worker_retries_times_out_and_requeues():
    queue = Queue("t22", connection=fakeredis.FakeRedis())
    with rq_full.InProcessWorker(queue):
        retried = queue.enqueue(rq_full.send_reminders, "r", 2, fail_first=1, retry=Retry(max=1))
        assert rq_full.wait_for(retried) == "finished" and job_effects.attempts(queue.connection, "r") == 2
        slow = queue.enqueue(rq_full.slow, 3, job_timeout=1)
        assert rq_full.wait_for(slow) == "failed" and "JobTimeoutException" in slow.latest_result().exc_string
        failing = queue.enqueue(rq_full.send_reminders, "q", 2, fail_first=1)
        assert rq_full.wait_for(failing) == "failed" and failing.id in queue.failed_job_registry.get_job_ids()
        queue.failed_job_registry.requeue(failing.id)
        assert rq_full.wait_for(failing) == "finished"
        assert failing.get_meta(refresh=True)["progress"] == {"done": 2, "total": 2}
    assert job_effects.outbox(queue.connection, "q") == ["0", "1"]


def test_the_tcp_server_keeps_a_connection_after_an_error_reply():
    with fake_redis_tcp.serve() as url:
        r = redis.Redis.from_url(url, single_connection_client=True)
        with pytest.raises(redis.ResponseError):
            r.evalsha("0" * 40, 0)  # NOSCRIPT: fakeredis' own handler closes the connection here
        assert r.ping() and r.connection is not None


def test_killed_workers_lose_no_job_and_double_no_effect():
    """SIGKILL a work horse, a whole rq worker, a Celery pool child, a whole Celery worker: each job finishes, each
    e-mail is in the outbox once (on REDIS_URL's redis-server, else a TcpFakeServer)."""
    with kill_demos.redis_url(os.environ.get("REDIS_URL")) as url:
        celery_app.configure(url)
        r = redis.Redis.from_url(url)
        queue = Queue("t22-kill", connection=r)
        rq_workers = [kill_demos.rq_worker(url, "t22-kill", f"t22-rq-{n}") for n in (1, 2)]
        celery_workers = [kill_demos.celery_worker(url, f"t22-celery-{n}") for n in (1, 2)]
        try:
            kill_demos.rq_ready(r, *rq_workers)
            results = [kill_demos.kill_rq_horse(r, queue), kill_demos.kill_rq_worker(r, queue, rq_workers)]
            kill_demos.celery_ready(*celery_workers)
            results += kill_demos.kill_celery_worker_and_child(r, celery_workers)  # the child's, then the worker's
            assert len(kill_demos.survivor(rq_workers)) == len(kill_demos.survivor(celery_workers)) == 1
            measured = [job_compare.rq_throughput(queue, 5), job_compare.celery_throughput(5)]
        finally:
            kill_demos.stop_all([*rq_workers, *celery_workers])
    assert [(x.queue, x.status) for x in results] == [("RQ", "finished"), ("RQ", "finished"),
                                                      ("Celery", "SUCCESS"), ("Celery", "SUCCESS")]  # fmt: skip
    for result in results:
        assert result.attempts >= 2 and result.exactly_once, result
    assert all(m.jobs_per_s > 0 for m in measured)
    assert not [w for w in rq_workers + celery_workers if w.popen.poll() is None]
