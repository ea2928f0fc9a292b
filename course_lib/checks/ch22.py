"""Checks for chapter 22 — RQ and Celery in full: the delays of exponential backoff, and the options of a Celery task
that must survive a killed worker and retry with backoff."""

from __future__ import annotations

from course_lib.notebook.exercises import Exercise, Incorrect

DELAY_CASES = [(0, 1, 10), (1, 1, 10), (3, 1, 100), (4, 1, 5), (3, 2, 100), (5, 3, 20), (2, 5, 5), (6, 1, 600)]


def expected_delays(retries: int, base: int, cap: int) -> list[int]:
    """The right answer: Celery's retry_backoff without jitter, RQ's Retry(interval=[...])."""
    return [min(cap, base * 2**n) for n in range(retries)]


def _test_retry_delays(retry_delays) -> None:
    for retries, base, cap in DELAY_CASES:
        call = f"retry_delays({retries}, {base}, {cap})"
        got = retry_delays(retries, base, cap)
        expected = expected_delays(retries, base, cap)
        if not isinstance(got, list) or len(got) != retries:
            raise Incorrect("return a list with one delay per retry.", request=call, expected=expected, got=got)
        if got != expected:
            raise Incorrect(
                "the first retry waits `base` seconds, each next one twice as long, never more than `cap`.",
                request=call,
                expected=expected,
                got=got,
            )


q1 = Exercise(
    "ch22.q1",
    "Exponential backoff",
    _test_retry_delays,
    hint="[min(cap, base * 2 ** n) for n in range(retries)]",
)

TASK_OPTIONS = {"acks_late", "reject_on_worker_lost", "autoretry_for", "max_retries", "retry_backoff",
                "retry_backoff_max", "retry_jitter", "default_retry_delay", "time_limit", "soft_time_limit",
                "bind", "name", "queue", "ignore_result", "rate_limit"}  # fmt: skip
ASKED_DELAYS = [2, 4, 8, 16]


def celery_delays(options: dict) -> list[int]:
    """The delays before each retry that Celery computes from these options (celery.utils.time's formula, no jitter)."""
    backoff = options.get("retry_backoff", False)
    factor = 1 if backoff is True else int(backoff or 0)
    cap = options.get("retry_backoff_max", 600)
    retries = options.get("max_retries", 3)
    if not factor:
        return [options.get("default_retry_delay", 180)] * (retries or 0)
    return [min(cap, factor * 2**n) for n in range(retries or 0)]


def _test_options(options) -> None:
    if not isinstance(options, dict):
        raise Incorrect("OPTIONS is a dict: the keyword arguments of @app.task.", expected="a dict", got=options)
    unknown = sorted(set(options) - TASK_OPTIONS)
    if unknown:
        raise Incorrect(
            "Celery takes any keyword and ignores the ones it does not know: a misspelt option is silently lost.",
            request=f"the keys {unknown}",
            expected=f"names of task options such as {sorted(TASK_OPTIONS)[:6]}",
            got=unknown,
        )
    if options.get("acks_late") is not True:
        raise Incorrect(
            "acknowledge after the run (acks_late=True): acknowledged before, a job whose worker dies is gone.",
            request="OPTIONS['acks_late']",
            expected=True,
            got=options.get("acks_late"),
        )
    if options.get("reject_on_worker_lost") is not True:
        raise Incorrect(
            "with acks_late alone a killed child fails the job (WorkerLostError); reject_on_worker_lost=True sends "
            "it back to the queue.",
            request="OPTIONS['reject_on_worker_lost']",
            expected=True,
            got=options.get("reject_on_worker_lost"),
        )
    retry_on = options.get("autoretry_for")
    if not isinstance(retry_on, tuple) or set(retry_on) != {ConnectionError, TimeoutError}:
        raise Incorrect(
            "retry on ConnectionError and TimeoutError only (a tuple of the two exception classes): a bug "
            "(ValueError, KeyError) must fail at once, not be retried.",
            request="OPTIONS['autoretry_for']",
            expected=(ConnectionError, TimeoutError),
            got=retry_on,
        )
    if options.get("max_retries") != len(ASKED_DELAYS):
        raise Incorrect("at most 4 retries.", request="OPTIONS['max_retries']", expected=4,
                        got=options.get("max_retries"))  # fmt: skip
    if options.get("retry_jitter", True) is not False:
        raise Incorrect(
            "this exercise asks for exact delays: retry_jitter=False (Celery's default, True, randomises them).",
            request="OPTIONS['retry_jitter']",
            expected=False,
            got=options.get("retry_jitter", "not set (True)"),
        )
    delays = celery_delays(options)
    if delays != ASKED_DELAYS:
        raise Incorrect(
            "retry_backoff=N waits N, 2N, 4N … seconds (capped by retry_backoff_max, 600 by default).",
            request="the delays before retries 1–4 with these options",
            expected=ASKED_DELAYS,
            got=delays,
        )


q2 = Exercise(
    "ch22.q2",
    "Task options that survive a kill",
    _test_options,
    hint="{'acks_late': True, 'reject_on_worker_lost': True, 'autoretry_for': (ConnectionError, TimeoutError), "
    "'max_retries': 4, 'retry_backoff': 2, 'retry_jitter': False}",
)
