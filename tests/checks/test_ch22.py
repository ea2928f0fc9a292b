"""Each checker against its stub, its solution, valid alternatives and known-wrong answers."""

from course_lib.checks.ch22 import q1, q2
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED


def retry_delays(retries, base, cap):
    return [min(cap, base * 2**n) for n in range(retries)]


def test_q1_solution_stub_alternative_and_wrong_delays():
    assert q1.evaluate(None).status == NOT_ATTEMPTED
    assert q1.evaluate(retry_delays).status == CORRECT

    def loop(retries, base, cap):  # the same, written another way
        delays, delay = [], base
        for _ in range(retries):
            delays.append(delay if delay < cap else cap)
            delay *= 2
        return delays

    assert q1.evaluate(loop).status == CORRECT
    wrong = [
        lambda retries, base, cap: [base * 2**n for n in range(retries)],  # no cap
        lambda retries, base, cap: [min(cap, base * 2 ** (n + 1)) for n in range(retries)],  # starts at 2 × base
        lambda retries, base, cap: [min(cap, base * (n + 1)) for n in range(retries)],  # linear
        lambda retries, base, cap: [min(cap, base**n) for n in range(retries)],  # powers of base
        lambda retries, base, cap: [min(cap, base * 2**n) for n in range(retries + 1)],  # one too many
        lambda retries, base, cap: tuple(min(cap, base * 2**n) for n in range(retries)),  # not a list
        lambda retries, base, cap: [min(cap - 1, base * 2**n) for n in range(retries)],  # below the cap
    ]
    for answer in wrong:
        assert q1.evaluate(answer).status == INCORRECT, answer


OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (ConnectionError, TimeoutError),
    "max_retries": 4,
    "retry_backoff": 2,
    "retry_jitter": False,
}


def test_q2_solution_stub_alternatives_and_wrong_options():
    assert q2.evaluate(None).status == NOT_ATTEMPTED
    assert q2.evaluate(OPTIONS).status == CORRECT
    for right in ({**OPTIONS, "autoretry_for": (TimeoutError, ConnectionError)},  # order is free
                  {**OPTIONS, "retry_backoff_max": 16}, {**OPTIONS, "bind": True}):  # fmt: skip
        assert q2.evaluate(right).status == CORRECT, right
    wrong = [
        {**OPTIONS, "acks_late": False},
        {k: v for k, v in OPTIONS.items() if k != "reject_on_worker_lost"},
        {**OPTIONS, "reject_on_worker_lost": False},
        {**OPTIONS, "autoretry_for": (Exception,)},
        {**OPTIONS, "autoretry_for": (OSError,)},  # covers both, and every other OSError
        {**OPTIONS, "autoretry_for": (ConnectionError,)},
        {**OPTIONS, "autoretry_for": [ConnectionError, TimeoutError]},
        {**OPTIONS, "max_retries": 3},
        {**OPTIONS, "retry_backoff": 1},
        {**OPTIONS, "retry_backoff": True},
        {**OPTIONS, "retry_backoff_max": 8},
        {k: v for k, v in OPTIONS.items() if k != "retry_jitter"},
        {**OPTIONS, "ack_late": True},  # misspelt: Celery would ignore it
        {k: v for k, v in OPTIONS.items() if k != "acks_late"} | {"acks_lat": True},
        [("acks_late", True)],
    ]
    for answer in wrong:
        assert q2.evaluate(answer).status == INCORRECT, answer
    assert "silently" in "\n".join(q2.evaluate({**OPTIONS, "ack_late": True}).lines())
