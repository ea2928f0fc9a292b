"""Each checker against its stub, its solution and known-wrong answers."""

import anyio
import httpx
from sqlalchemy import func, select

from course_lib.checks.ch12 import q1, q2, q3
from course_lib.lab.cpu_work import count_primes
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.taskapi.sql_tables import TaskRow, UserRow
from course_lib.web.outbound import status_for


def outbound_status(outcome):
    if isinstance(outcome, httpx.TimeoutException):
        return 504
    if isinstance(outcome, httpx.NetworkError):
        return 503
    if isinstance(outcome, Exception):
        return 502
    if outcome.status_code >= 500 or outcome.status_code == 429:
        return 503
    if not outcome.is_success:
        return 502
    try:
        outcome.json()
    except ValueError:
        return 502
    return 200


def with_raise_for_status(outcome):
    if isinstance(outcome, httpx.TimeoutException):
        return 504
    if isinstance(outcome, httpx.NetworkError):
        return 503
    if isinstance(outcome, Exception):
        return 502
    try:
        outcome.raise_for_status()
    except httpx.HTTPStatusError as error:
        return 503 if error.response.status_code >= 500 or error.response.status_code == 429 else 502
    try:
        outcome.json()
    except ValueError:
        return 502
    return 200


def test_q1_solution_stub_and_mutants():
    assert q1.evaluate(None).status == NOT_ATTEMPTED
    assert q1.evaluate(outbound_status).status == CORRECT
    assert q1.evaluate(status_for).status == CORRECT  # the API's own mapping is the solution
    assert q1.evaluate(with_raise_for_status).status == CORRECT  # a valid alternative, not refused

    def every_status_error_is_503(outcome):
        if isinstance(outcome, httpx.Response):
            try:
                outcome.raise_for_status()
            except httpx.HTTPStatusError:
                return 503
        return with_raise_for_status(outcome)

    assert q1.evaluate(every_status_error_is_503).status == INCORRECT

    def every_transport_error_is_503(outcome):
        return 503 if isinstance(outcome, httpx.TransportError) else outbound_status(outcome)

    def read_timeout_only(outcome):
        if isinstance(outcome, httpx.TimeoutException) and not isinstance(outcome, httpx.ReadTimeout):
            return 503
        return outbound_status(outcome)

    def every_5xx_is_502(outcome):
        return 502 if isinstance(outcome, httpx.Response) and outcome.status_code >= 500 else outbound_status(outcome)

    def passes_4xx_through(outcome):
        if isinstance(outcome, httpx.Response) and 400 <= outcome.status_code < 500:
            return outcome.status_code
        return outbound_status(outcome)

    def trusts_a_200(outcome):
        return 200 if isinstance(outcome, httpx.Response) and outcome.status_code == 200 else outbound_status(outcome)

    def only_200_is_success(outcome):
        return (
            502
            if isinstance(outcome, httpx.Response) and outcome.status_code != 200 and outcome.status_code < 300
            else outbound_status(outcome)
        )

    def forgets_429(outcome):
        if isinstance(outcome, httpx.Response) and outcome.status_code == 429:
            return 502
        return outbound_status(outcome)

    def unusable_is_500(outcome):
        got = outbound_status(outcome)
        return 500 if got == 502 else got

    def raises(outcome):
        raise ValueError("boom")

    for wrong in (
        every_transport_error_is_503,
        read_timeout_only,
        every_5xx_is_502,
        passes_4xx_through,
        trusts_a_200,
        only_200_is_success,
        forgets_429,
        unusable_is_500,
        raises,
        lambda outcome: 503,
    ):
        assert q1.evaluate(wrong).status == INCORRECT, wrong


def open_tasks_per_user(session):
    statement = (
        select(UserRow.id, func.count(TaskRow.id))
        .outerjoin(TaskRow, (TaskRow.owner_id == UserRow.id) & TaskRow.done.is_(False))
        .group_by(UserRow.id)
    )
    return dict(session.execute(statement).all())


def test_q2_solution_stub_and_mutants():
    assert q2.evaluate(None).status == NOT_ATTEMPTED
    assert q2.evaluate(open_tasks_per_user).status == CORRECT

    def two_queries(session):
        counts = dict(
            session.execute(
                select(TaskRow.owner_id, func.count()).where(TaskRow.done.is_(False)).group_by(TaskRow.owner_id)
            ).all()
        )
        return {user: counts.get(user, 0) for user in session.scalars(select(UserRow.id))}

    assert q2.evaluate(two_queries).status == CORRECT

    def n_plus_one(session):
        return {
            user: session.scalar(select(func.count()).where(TaskRow.owner_id == user, TaskRow.done.is_(False)))
            for user in session.scalars(select(UserRow.id)).all()
        }

    def inner_join(session):
        statement = (
            select(UserRow.id, func.count(TaskRow.id))
            .join(TaskRow, (TaskRow.owner_id == UserRow.id) & TaskRow.done.is_(False))
            .group_by(UserRow.id)
        )
        return dict(session.execute(statement).all())

    def filter_in_where(session):
        statement = (
            select(UserRow.id, func.count(TaskRow.id))
            .outerjoin(TaskRow, TaskRow.owner_id == UserRow.id)
            .where(TaskRow.done.is_(False))
            .group_by(UserRow.id)
        )
        return dict(session.execute(statement).all())

    def counts_every_task(session):
        statement = (
            select(UserRow.id, func.count(TaskRow.id))
            .outerjoin(TaskRow, TaskRow.owner_id == UserRow.id)
            .group_by(UserRow.id)
        )
        return dict(session.execute(statement).all())

    def count_star(session):
        statement = (
            select(UserRow.id, func.count())
            .outerjoin(TaskRow, (TaskRow.owner_id == UserRow.id) & TaskRow.done.is_(False))
            .group_by(UserRow.id)
        )
        return dict(session.execute(statement).all())

    def as_list(session):
        return list(open_tasks_per_user(session).items())

    for wrong in (n_plus_one, inner_join, filter_in_where, counts_every_task, count_star, as_list, lambda session: {}):
        assert q2.evaluate(wrong).status == INCORRECT, wrong


async def primes_below(limit):
    return await anyio.to_thread.run_sync(count_primes, limit)


def test_q3_solution_stub_and_mutants():
    assert q3.evaluate(None).status == NOT_ATTEMPTED
    assert q3.evaluate(primes_below).status == CORRECT

    async def on_the_loop(limit):
        return count_primes(limit)

    async def yields_first(limit):
        await anyio.sleep(0)
        return count_primes(limit)

    def not_async(limit):
        return count_primes(limit)

    async def fixed_limit(limit):
        return await anyio.to_thread.run_sync(count_primes, 150_001)

    async def off_by_one(limit):
        return await anyio.to_thread.run_sync(count_primes, limit + 1)

    for wrong in (on_the_loop, yields_first, not_async, fixed_limit, off_by_one):
        assert q3.evaluate(wrong).status == INCORRECT, wrong

    async def one_less(limit):
        return await anyio.to_thread.run_sync(count_primes, limit - 1)

    assert q3.evaluate(one_less).status == INCORRECT
