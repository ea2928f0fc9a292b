"""One typed context per app: resources by chapter, need() naming the chapter, one clean-up at stop or at garbage."""

import asyncio
import gc
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import fields

import httpx
import pytest

from course_lib.notebook.server import serve
from course_lib.services.settings import Settings
from course_lib.taskapi import app_for, chapter_modules
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import AppContext, TaskAPI, need


def test_need_names_the_chapter_that_adds_a_missing_resource():
    with pytest.raises(RuntimeError, match="this app has no session store: chapter 09 adds it"):
        need(app_for(8).context.sessions, "session store", 9)
    assert need(app_for(9).context.sessions, "session store", 9) is not None


def test_each_resource_first_appears_in_the_chapter_that_says_it_adds_it():
    """Set from the declared chapter on, at its default before: the declared chapters cannot drift from the code."""
    origins = app_for(max(chapter_modules())).origins.resources
    declared = {each.name: each.metadata["chapter"] for each in fields(AppContext) if each.metadata.get("chapter")}
    served = {"outbound", "memory_visits"}  # set while a server serves (its lifespan, a request), not by extend
    assert {name: chapters[0] for name, chapters in origins.items()} == {
        name: 10 if name == "cache_rules" else chapter  # 02 installs the default rules; 10 first puts its own first
        for name, chapter in declared.items()
        if name not in served
    }
    before = {chapter - 1: app_for(chapter - 1).context for chapter in set(declared.values())}
    for name, chapter in declared.items():
        assert getattr(before[chapter - 1], name) == AppContext.__dataclass_fields__[name].default, name


def test_clean_ups_run_once_at_stop():
    app, forgotten = app_for(3), []
    app.context.at_stop(lambda: forgotten.append("stop"))
    api = serve(app, name="test-context-stop")
    api.get("/health")
    api.stop()
    gc.collect()
    assert forgotten == ["stop"]


def test_an_app_never_served_forgets_at_exit(tmp_path):
    """FastAPI's own caches keep an app alive for the process's life: its clean-ups run at interpreter exit."""
    mark = tmp_path / "forgotten"
    script = (
        "import pathlib; from course_lib.taskapi import app_for; "
        f"app_for(3).context.at_stop(lambda: pathlib.Path({str(mark)!r}).write_text('exit'))"
    )
    subprocess.run([sys.executable, "-c", script], check=True, env={**os.environ, "DEVELOPMENT": "1"}, timeout=120)
    assert mark.read_text() == "exit"


def test_replicas_on_a_shared_database_keep_what_they_share(tmp_path):
    shared = Settings(database_url=f"sqlite:///{tmp_path}/shared.db", isolate_database=False, development=True)
    app, forgotten = app_for(6, shared), []
    app.context.at_stop(lambda: forgotten.append("shared"))
    app.context.stop()
    assert forgotten == []


def test_a_stopped_server_keeps_no_redis_connection_open():
    """FastAPI keeps stopped apps alive: their Redis sockets must close at stop (a test process ran out of select()'s
    1,024 descriptors before)."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set: fakeredis holds no socket")
    app = app_for(16)
    api = serve(app, name="test-context-disconnect")
    clients = [app.context.sessions.redis, app.context.refresh_tokens.redis, app.context.cache.redis]
    for client in clients:
        client.ping()
    api.stop()
    pools = [client.connection_pool for client in clients]
    assert all(connection._sock is None for pool in pools for connection in pool._available_connections)
    assert not any(pool._in_use_connections for pool in pools)


def test_running_starts_an_app_as_a_server_does_and_stops_it():
    app = app_for(12)

    async def served() -> tuple[object, int]:
        async with app.running() as running:
            assert running is app
            pooled = app.context.outbound  # chapter 12's lifespan opened it
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as client:
                status = (await client.get("/health")).status_code
        return pooled, status

    pooled, status = asyncio.run(served())
    assert isinstance(pooled, httpx.AsyncClient) and status == 200 and pooled.is_closed  # closed at the stop


def test_running_raises_when_a_lifespan_fails():
    @asynccontextmanager
    async def broken(app: TaskAPI) -> AsyncIterator[None]:
        raise ZeroDivisionError("division by zero")
        yield

    app = build_app(Chapter("course_lib.taskapi.ch98_broken", previous=chapter_modules()[3].CHAPTER, lifespan=broken))

    async def served() -> None:
        async with app.running():
            pass

    with pytest.raises((RuntimeError, ZeroDivisionError), match="division by zero"):
        asyncio.run(served())
