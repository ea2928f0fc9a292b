"""Calls to another service, with a timeout, and what the API answers when the dependency fails (RFC 9110 §15.6).

| what happened on the way out | our answer |
|---|---|
| no answer within the timeout (connect, read, write, pool) | 504 Gateway Timeout (§15.6.5) |
| cannot connect, connection refused or reset; the dependency answers 5xx or 429 | 503 + Retry-After (§15.6.4) |
| an answer we cannot use: 4xx to our request, not JSON, broken HTTP, wrong shape | 502 Bad Gateway (§15.6.3) |

Never a 500: the fault is not in this server's code, and the client deserves to know whether retrying can help.
"""

from __future__ import annotations

from typing import Any

import httpx

from course_lib.web.problems import Problem

RETRY_AFTER_SECONDS = 5  # how long a client should wait before asking again when a dependency is down


def status_for(outcome: httpx.Response | Exception) -> int:
    """What the API answers for one outbound call's outcome: 200 (usable JSON), 502, 503 or 504."""
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


def dependency_problem(status: int, service: str, why: str) -> Problem:
    """The problem+json error for a failed call to `service`; 503 says when to retry."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None
    kind = {502: "bad-dependency-answer", 503: "dependency-unavailable", 504: "dependency-timeout"}[status]
    return Problem(status, f"{service}: {why}", type=f"/problems/{kind}", headers=headers, dependency=service)


def _why(outcome: httpx.Response | Exception, timeout: float) -> str:
    if isinstance(outcome, httpx.TimeoutException):
        return f"no answer within {timeout:g} s"
    if isinstance(outcome, Exception):
        return f"{type(outcome).__name__} on the way there"
    if not outcome.is_success:
        return f"it answered {outcome.status_code}"
    return "its answer is not JSON"


async def get_json(client: httpx.AsyncClient, url: str, *, service: str, timeout: float) -> Any:
    """GET `url` within `timeout` seconds and return its JSON, or raise the Problem for how it failed."""
    try:
        response = await client.get(url, timeout=timeout)
    except httpx.HTTPError as error:
        raise dependency_problem(status_for(error), service, _why(error, timeout)) from None
    status = status_for(response)
    if status != 200:
        raise dependency_problem(status, service, _why(response, timeout))
    return response.json()
