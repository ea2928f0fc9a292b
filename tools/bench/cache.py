"""Cache: a hit (GET of a cached task's JSON) vs the same read from the database, on fakeredis and redis-server."""

from __future__ import annotations

import json
import os
from functools import partial

from sqlalchemy.orm import Session

from tools.bench.core import Context, Figure, benchmark, measured, timed

READS = 200  # one sample: this many reads, so a sample is long enough to time


def database_read(repeats: int) -> tuple[list[float], dict]:
    """Seconds per READS reads of one task by id from the database (SQLite, or DATABASE_URL); and the task."""
    from dataclasses import asdict

    from course_lib.services.db import isolated_database
    from course_lib.services.settings import Settings
    from course_lib.taskapi.sql_repositories import SqlTasks
    from course_lib.taskapi.sql_storage import CHAPTER_06
    from course_lib.taskapi.sql_tables import create_tables

    database = isolated_database(Settings(database_url=os.environ.get("DATABASE_URL")))
    try:
        create_tables(database.engine)
        with Session(database.engine) as session:
            task = SqlTasks(session, CHAPTER_06).add("cached")
            session.commit()

        def reads() -> None:
            for _ in range(READS):
                with Session(database.engine) as session:  # a request's unit of work: its own session each time
                    SqlTasks(session, CHAPTER_06).get(task.id)

        return timed(reads, repeats), json.loads(json.dumps(asdict(task), default=str))
    finally:
        database.drop()


def cache_reads(client, value: dict, repeats: int) -> tuple[list[float], list[float]]:
    """Seconds per READS hits (GET of a stored key, JSON decoded) and per READS misses (GET of an absent key)."""
    client.set("bench:task", json.dumps(value))

    def hits() -> None:
        for _ in range(READS):
            json.loads(client.get("bench:task"))

    def misses() -> None:
        for _ in range(READS):
            assert client.get("bench:absent") is None

    try:
        return timed(hits, repeats), timed(misses, repeats)
    finally:
        client.delete("bench:task")


def figures(backend: str, hits: list[float], misses: list[float], database: list[float]) -> list[Figure]:
    """Hit vs the database read it saves, miss vs hit; per read, in microseconds."""

    def per_read(samples: list[float]) -> list[float]:
        return [s / READS * 1e6 for s in samples]

    return [
        measured(
            f"cache hit ({backend})",
            per_read(hits),
            per_read(database),
            unit="µs",
            baseline_name="read by id from the database",
        ),
        measured(f"cache miss ({backend})", per_read(misses), per_read(hits), unit="µs", baseline_name="cache hit"),
    ]


@benchmark("cache", "cache hit (fakeredis)", "cache hit (redis-server)", "cache-aside GET /tasks/{id}")
def cache(context: Context):
    """Raw cache reads vs the database read they save, and a cache-aside GET vs the same GET uncached."""
    import fakeredis
    import redis

    repeats = max(3, context.repeats)
    database, task = database_read(repeats)
    fake = fakeredis.FakeRedis(decode_responses=True)
    yield from figures("fakeredis", *cache_reads(fake, task, repeats), database)
    url = os.environ.get("REDIS_URL")
    if url:
        client = redis.Redis.from_url(url, decode_responses=True)
        yield from figures("redis-server", *cache_reads(client, task, repeats), database)
        client.close()
    else:
        yield Figure.skip("cache hit (redis-server)", "REDIS_URL is not set")
    yield cache_aside_get(repeats)


def read_many(api, url: str, headers: dict[str, str], reads: int) -> None:
    """GET `url` `reads` times, each answered 200."""
    for _ in range(reads):
        if api.get(url, headers=headers).status_code != 200:
            raise RuntimeError(f"GET {url} did not answer 200")


def cache_aside_get(repeats: int, reads: int = 200) -> Figure:
    """GET /tasks/{id} over loopback, one client, on the cached API (chapter 16) vs the one before it (15)."""
    from course_lib.notebook.server import serve
    from course_lib.services.settings import get_settings
    from course_lib.taskapi import app_for
    from course_lib.taskapi.api_keys import sign_up
    from tools.bench.apps import CACHE_CHAPTER, backends

    chapters = (CACHE_CHAPTER - 1, CACHE_CHAPTER)
    services = backends(get_settings())  # from the environment: this group measures the services it names
    seconds: dict[int, list[float]] = {chapter: [] for chapter in chapters}
    apis = {chapter: serve(app_for(chapter), name=f"bench-cache-ch{chapter}") for chapter in chapters}
    try:
        reading = {}
        for chapter, api in apis.items():
            auth = sign_up(api.client, "Bench")
            url = api.post("/tasks", json={"title": "cached"}, headers=auth).headers["location"]
            api.get(url, headers=auth)  # the first read fills the cache
            reading[chapter] = partial(read_many, api, url, auth, reads)
        for _ in range(repeats):  # in turns, so that a moment of load elsewhere hits both alike
            for chapter in chapters:
                seconds[chapter] += timed(reading[chapter], 1)
    finally:
        for api in apis.values():
            api.stop()
    return measured(
        "cache-aside GET /tasks/{id}",
        [s / reads * 1e6 for s in seconds[CACHE_CHAPTER]],
        [s / reads * 1e6 for s in seconds[CACHE_CHAPTER - 1]],
        unit="µs",
        baseline_name="the same GET uncached (chapter 15)",
        note=f"per request over loopback, one client, {services}; a hit skips the database read, not "
        "the HTTP work, and adds two Redis commands: on an embedded SQLite file (a primary-key read "
        "~0.1 ms) it gains nothing, with a database over the network it does",
    )
