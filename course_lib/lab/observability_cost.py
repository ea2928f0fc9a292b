"""What observability costs, measured in process: chapter 21's app (request ids, JSON logs, metrics, traces) against
chapter 20's (the app it builds on) on the same request, one request at a time straight into the ASGI app (no
network, no client library).

Two ways to run chapter 21's app: every request traced, each span exported as it ends (SimpleSpanProcessor: what the
notebook does, to read every trace), and as a production service would — PRODUCTION_SAMPLE_RATE of the traces
recorded, spans exported in batches from a background thread, the JSON log written (to /dev/null here), the metrics
kept. `make bench` (tools/bench/observability.py) reports the same as ratios.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AsyncExitStack

from course_lib.lab.in_process import one_sample, warm
from course_lib.services.settings import Settings
from course_lib.taskapi.context import TaskAPI

PRODUCTION_SAMPLE_RATE = 0.1
PLAIN = "chapter 20 (not observed)"
TRACED = "every request traced, simple processor"
PRODUCTION = f"production: {PRODUCTION_SAMPLE_RATE:.0%} sampled, batch, logs + metrics"


def apps(settings: Settings | None = None) -> dict[str, TaskAPI]:
    """The three apps, on the embedded defaults (or `settings`), each with a database of its own."""
    from course_lib.taskapi import ch20_security, ch21_observability

    # The minimal password hash: the apps' sign-ups are set-up, not what is measured (GET never hashes).
    plain = (settings or Settings(database_url=None, redis_url=None)).model_copy(
        update={"password_hash_cost": "minimal"}
    )
    production = ch21_observability.create_app(
        plain.model_copy(update={"trace_sample_rate": PRODUCTION_SAMPLE_RATE, "trace_batch": True})
    )
    assert production.context.request_log is not None
    production.context.request_log.handler.stream = open(os.devnull, "w")
    return {
        PLAIN: ch20_security.create_app(plain),
        TRACED: ch21_observability.create_app(
            plain.model_copy(update={"trace_sample_rate": 1.0, "trace_batch": False})
        ),
        PRODUCTION: production,
    }


async def _prepare(app) -> tuple[str, dict[str, str]]:
    """A user and a task of theirs in `app`: the path of GET /tasks/{id} and the user's API key header."""
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as client:
        login = {"name": "Bench", "email": "bench@example.org", "password": "violet harbor lantern 42"}
        response = await client.post("/users", json=login)
        auth = {"X-API-Key": response.json()["api_key"]}
        task = await client.post("/tasks", json={"title": "observed"}, headers=auth)
        return f"/tasks/{task.json()['id']}", auth


async def sample_in_process(
    requests: int, rounds: int, settings: Settings | None = None, progress: Callable[[], object] | None = None
) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) µs per request of each app: `rounds` samples of `requests` sequential GET /tasks/{id} (a cache hit,
    logged in by API key), the apps taken in turns so that a moment of load elsewhere hits each alike. CPU time is
    the process's, worker threads included (the batch exporter's too): on a busy machine it is the steadier figure,
    and under load it is what limits requests per second. `progress()` is called after each app is ready and after each
    sample (3 + 3 × rounds calls)."""
    built = apps(settings)
    async with AsyncExitStack() as stack:
        targets = {}
        for name, app in built.items():
            await stack.enter_async_context(app.running())
            targets[name] = (app, *await _prepare(app))
            if progress is not None:
                progress()
        for app, path, auth in targets.values():
            await warm(app, path, auth)
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in targets}
        for _ in range(rounds):
            for name, (app, path, auth) in targets.items():
                samples[name].append(await one_sample(app, path, auth, requests))
                if progress is not None:
                    progress()
        return samples


async def compare_in_process(
    requests: int = 200, rounds: int = 5, progress: Callable[[], object] | None = None
) -> dict[str, float]:
    """The least CPU µs per request of each app (PLAIN, TRACED, PRODUCTION) over its samples: on a shared machine the
    least disturbed sample is the steadiest figure of a small run. `progress()` as in sample_in_process."""
    samples = await sample_in_process(requests, rounds, progress=progress)
    return {name: min(cpu for _, cpu in found) for name, found in samples.items()}
