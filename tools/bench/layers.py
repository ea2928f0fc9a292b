"""Where a request's time goes: the finished API's layers, one at a time, called in-process beside a bare hello.

The load figures say the API answers about a fifth as many requests as a bare FastAPI hello. These say which layer
costs what, with no network and no load generator in the way: the ASGI app is called directly, one request at a time,
and each figure is the median server time of a request through one more layer.
"""

import asyncio
import statistics
from typing import Annotated, cast

from fastapi import Depends, FastAPI

from course_lib.lab import in_process
from course_lib.lab.in_process import warm
from course_lib.taskapi.bearer_auth import bearer_session_or_api_key
from course_lib.taskapi.context import TaskAPI, context_of
from course_lib.taskapi.records import User
from course_lib.taskapi.sql_storage import SqlStorage
from tools.bench.apps import backends, embedded, hello_app, task_api
from tools.bench.core import Context, Figure, benchmark

REQUESTS = 200  # per sample, after in_process.WARM_UP
HELLO = "bare FastAPI hello"


async def per_request_us(app, path: str, headers: dict[str, str], repeats: int) -> list[float]:
    """Samples: microseconds per request over REQUESTS sequential GETs of `path`, `repeats` times."""
    await warm(app, path, headers)
    return [(await one_sample(app, path, headers))[0] for _ in range(repeats)]


async def one_sample(app, path: str, headers: dict[str, str]) -> tuple[float, float]:
    """Microseconds per request over REQUESTS sequential GETs of `path`: wall-clock and CPU time."""
    return await in_process.one_sample(app, path, headers, REQUESTS)


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


MIDDLEWARE = "+ the course's middleware"
API_KEY = "+ authentication (API key → user, one query)"
BEARER = "+ authentication (Bearer JWT → user, one query)"
GET_ONE = "+ GET /tasks/{id} (ETag, cache hit, response model)"
PEER_AUTH = "peer: get_current_user (JWT → user, session.get)"
PEER_GET = "peer: GET /tasks/{id} (+ session.get, ownership check)"
# Each layer's figure says what it adds to the layer named here.
BELOW = {
    MIDDLEWARE: HELLO,
    API_KEY: MIDDLEWARE,
    BEARER: MIDDLEWARE,
    GET_ONE: BEARER,
    PEER_AUTH: HELLO,
    PEER_GET: PEER_AUTH,
}


async def measure_layers(repeats: int) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) samples for the bare hello, each layer of the finished API, and the peer app's on the same rows."""
    import os

    import httpx

    from tools.bench.peer_app import create_access_token, create_app

    bare = hello_app()
    api = with_probe_routes(task_api())
    async with cast(TaskAPI, api).running():  # the latest chapter's app
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://127.0.0.1") as client:
            login = {"name": "Bench", "email": "bench@example.org", "password": "violet harbor lantern 42"}
            response = await client.post("/users", json=login)
            user_id, auth = response.json()["id"], {"X-API-Key": response.json()["api_key"]}
            tokens = await client.post("/tokens", json={"email": login["email"], "password": login["password"]})
            bearer = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
            task_id = (await client.post("/tasks", json={"title": "layers"}, headers=auth)).json()["id"]
        key = os.environ["SECRET_KEY"]
        database = cast(SqlStorage, context_of(api).storage).database  # a CachedStorage hands .database on
        peer = create_app(database.engine.url.render_as_string(hide_password=False), key)
        peer_bearer = {"Authorization": f"Bearer {create_access_token(key, user_id)}"}
        layers = {
            HELLO: (bare, "/hello", {}),
            MIDDLEWARE: (api, "/bench/hello", {}),
            API_KEY: (api, "/bench/whoami", auth),
            BEARER: (api, "/bench/whoami", bearer),
            GET_ONE: (api, f"/tasks/{task_id}", bearer),
            PEER_AUTH: (peer, "/users/me", peer_bearer),
            PEER_GET: (peer, f"/tasks/{task_id}", peer_bearer),
        }
        for target in layers.values():
            await warm(*target)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in layers}
        for _ in range(repeats):  # in turns, so that a moment of load elsewhere hits every layer alike
            for name, target in layers.items():
                results[name].append(await one_sample(*target))
    return results


@benchmark("request layers", *BELOW)
def request_layers(context: Context):
    """Server time per request through each layer of the finished API and of its peer, as a multiple of a bare
    hello's; the note says what the layer adds, in wall-clock and in CPU time."""
    repeats = 3 if context.quick else 5
    results = asyncio.run(measure_layers(repeats))
    wall = {name: [sample[0] for sample in samples] for name, samples in results.items()}
    cpu = {name: statistics.median(sample[1] for sample in samples) for name, samples in results.items()}
    hello = wall[HELLO]
    for name, below in BELOW.items():
        value = statistics.median(wall[name])
        adds = f"adds {value - statistics.median(wall[below]):,.0f} µs ({cpu[name] - cpu[below]:,.0f} µs CPU)"
        yield Figure(
            name=name,
            unit="µs",
            measured=value,
            baseline=statistics.median(hello),
            baseline_name=HELLO,
            samples=wall[name],
            baseline_samples=hello,
            note=f"in-process, one request at a time, {backends(embedded())}; CPU {cpu[name]:,.0f} µs per "
            f"request; {adds} to {'the bare hello' if below == HELLO else below.lstrip('+ ')}",
        )
