"""Where a request's time goes: the finished API's layers, one at a time, called in-process beside a bare hello.

The load figures say the API answers about a fifth as many requests as a bare FastAPI hello. These say which layer
costs what, with no network and no load generator in the way: the ASGI app is called directly, one request at a time,
and each figure is the median server time of a request through one more layer.
"""

import asyncio
import statistics
import time
from typing import Annotated

from fastapi import Depends, FastAPI

from course_lib.taskapi.bearer_auth import bearer_session_or_api_key
from course_lib.taskapi.records import User
from tools.bench.apps import backends, embedded, hello_app, task_api
from tools.bench.core import Context, Figure, benchmark

REQUESTS = 200  # per sample, after WARM_UP
WARM_UP = 30
HELLO = "bare FastAPI hello"


async def asgi_call(app, method: str, path: str, headers: dict[str, str]) -> int:
    """One request straight into the ASGI app; returns its status (the body is read and dropped)."""
    status = 0
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"127.0.0.1"), *((k.lower().encode(), v.encode()) for k, v in headers.items())],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80), "state": {}}

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def per_request_us(app, path: str, headers: dict[str, str], repeats: int) -> list[float]:
    """Samples: microseconds per request over REQUESTS sequential GETs of `path`, `repeats` times."""
    await warm(app, path, headers)
    return [await one_sample(app, path, headers) for _ in range(repeats)]


async def warm(app, path: str, headers: dict[str, str]) -> None:
    """WARM_UP requests first; RuntimeError when `path` does not answer 200."""
    for _ in range(WARM_UP):
        status = await asgi_call(app, "GET", path, headers)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")


async def one_sample(app, path: str, headers: dict[str, str]) -> float:
    """Microseconds per request over REQUESTS sequential GETs of `path`."""
    started = time.perf_counter()
    for _ in range(REQUESTS):
        await asgi_call(app, "GET", path, headers)
    return (time.perf_counter() - started) / REQUESTS * 1e6


def with_probe_routes(app: FastAPI) -> FastAPI:
    """The finished API plus two routes that stop early: one behind the middleware only, one behind authentication
    (annotations evaluated here, not as strings: FastAPI reads the dependency from them)."""
    @app.get("/bench/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    @app.get("/bench/whoami")
    def whoami(who: Annotated[User, Depends(bearer_session_or_api_key)]) -> dict[str, int]:
        return {"id": who.id}

    return app


async def measure_layers(repeats: int) -> dict[str, list[float]]:
    """Samples for the bare hello and for each layer of the finished API."""
    import httpx

    bare = hello_app()
    api = with_probe_routes(task_api())
    async with api.router.lifespan_context(api):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://127.0.0.1") as client:
            response = await client.post("/users", json={"name": "Bench", "email": "bench@example.org",
                                                          "password": "violet harbor lantern 42"})
            auth = {"X-API-Key": response.json()["api_key"]}
            task_id = (await client.post("/tasks", json={"title": "layers"}, headers=auth)).json()["id"]
        layers = {HELLO: (bare, "/hello", {}),
                  "+ the course's middleware": (api, "/bench/hello", {}),
                  "+ authentication (API key → user, one query)": (api, "/bench/whoami", auth),
                  "+ GET /tasks/{id} (ETag, cache hit, response model)": (api, f"/tasks/{task_id}", auth)}
        for target in layers.values():
            await warm(*target)
        results: dict[str, list[float]] = {name: [] for name in layers}
        for _ in range(repeats):  # in turns, so that a moment of load elsewhere hits every layer alike
            for name, target in layers.items():
                results[name].append(await one_sample(*target))
    return results


@benchmark("request layers", "+ the course's middleware", "+ authentication (API key → user, one query)",
           "+ GET /tasks/{id} (ETag, cache hit, response model)")
def request_layers(context: Context):
    """Server time per request through each layer of the finished API, as a multiple of a bare hello's."""
    repeats = 3 if context.quick else 5
    results = asyncio.run(measure_layers(repeats))
    hello = results.pop(HELLO)
    previous = statistics.median(hello)
    for name, samples in results.items():
        value = statistics.median(samples)
        yield Figure(name=name, unit="µs", measured=value, baseline=statistics.median(hello), baseline_name=HELLO,
                     samples=samples, baseline_samples=hello,
                     note=f"in-process, one request at a time, {backends(embedded())}; this layer adds "
                          f"{value - previous:,.0f} µs")
        previous = value
