"""What the server benchmarks serve: a bare FastAPI hello app as the baseline, and the finished task API."""

from __future__ import annotations

from fastapi import FastAPI


def hello_app() -> FastAPI:
    """The baseline: one endpoint, no middleware, no database."""
    app = FastAPI()

    @app.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    return app


SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL")


def without_services(environ) -> dict[str, str]:
    """`environ` minus DATABASE_URL and REDIS_URL, for a process that must run on the embedded defaults."""
    return {name: value for name, value in environ.items() if name not in SERVICE_VARIABLES}


# A load generator is one client address sending the traffic of many: the per-address limit (chapter 20) is raised
# past what it can send, so the figures measure serving (the limiter still counts every request, as in production).
LOAD_RATE_LIMIT = "100000000 per minute"


def embedded():
    """The defaults a learner runs on (a SQLite file, fakeredis), whatever the environment names: the server and load
    figures compare the course's own overhead with a bare app, not one database server with another."""
    from course_lib.services.settings import Settings

    return Settings(database_url=None, redis_url=None, rate_limit=LOAD_RATE_LIMIT)


def backends(settings) -> str:
    """The database and the cache `settings` select, as a figure's note names them."""
    return settings.describe()


def task_api() -> FastAPI:
    """The task API as it stands at the end of the course (the latest chapter merged), on the embedded defaults."""
    from course_lib.taskapi import latest

    return latest(embedded())


CACHE_CHAPTER = 16  # Redis cache-aside arrives here: the chapter before it serves the same API uncached


def task_api_uncached() -> FastAPI:
    """The task API just before the cache (chapter 15): the baseline of the cached reads."""
    from course_lib.taskapi import app_for

    return app_for(CACHE_CHAPTER - 1, embedded())


SHARED_DATABASE = "PEER_DATABASE_URL"  # the database the finished API and its peer share (tools/bench/peer.py)


def task_api_shared() -> FastAPI:
    """The finished API on the database $PEER_DATABASE_URL names, shared (not a file or schema of its own), so the peer
    app reads the same rows; the cache stays fakeredis."""
    import os

    from course_lib.services.settings import Settings
    from course_lib.taskapi import latest

    return latest(
        Settings(
            database_url=os.environ[SHARED_DATABASE], isolate_database=False, redis_url=None, rate_limit=LOAD_RATE_LIMIT
        )
    )


def peer() -> FastAPI:
    """The peer app written as FastAPI's tutorials teach, on the same database."""
    from tools.bench.peer_app import create_app

    return create_app()


APPS = {
    "hello": hello_app,
    "taskapi": task_api,
    "taskapi-uncached": task_api_uncached,
    "taskapi-shared": task_api_shared,
    "peer": peer,
}
