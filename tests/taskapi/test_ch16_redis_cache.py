"""Chapter 16: task reads cached in Redis (per user, with TTL), no stale read after a write, one database read for a
crowd of misses, the ETag from the cached copy (lists too), the database answering reads when Redis is gone, and a
write refused (503) rather than left uninvalidated — on fakeredis, and on a redis-server stopped with SIGSTOP."""

import gc
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import fakeredis
import httpx
import pytest
import redis
from sqlalchemy import event

from course_lib.notebook.server import serve
from course_lib.services.cache_aside import FAIL_FAST, GENERATION_TTLS, WAITERS, CacheAside
from course_lib.services.settings import Settings
from course_lib.taskapi import app_for, ch16_redis_cache
from course_lib.taskapi.api_keys import sign_up
from tests.taskapi.conftest import chapters_from


@pytest.fixture
def cached_api(api_at):
    """A live API at a chapter, its cache, Ada's headers and one task of hers."""

    def start(chapter: int):
        api = api_at(chapter)
        auth = sign_up(api, "Ada")
        api.client.headers.update(auth)  # reads are Ada's too: from chapter 15 on a task is its owner's alone
        url = api.post("/tasks", json={"title": "draft"}, headers=auth).headers["location"]
        return api, api.server.config.app.context.cache, auth, url

    return start


def slow_task_reads(app, seconds: float = 0.2) -> list[str]:
    """A list that records every SQL statement reading the tasks table, each made to take `seconds` (a busy
    database)."""
    seen = []

    def record(conn, cursor, statement, *rest) -> None:
        if "FROM tasks" in statement:
            seen.append(statement)
            time.sleep(seconds)

    event.listen(app.context.storage.inner.database.engine, "before_cursor_execute", record)
    return seen


@pytest.mark.parametrize("chapter", chapters_from(16))
def test_a_second_read_is_a_hit_and_its_etag_revalidates_without_the_database(cached_api, chapter):
    api, cache, auth, url = cached_api(chapter)
    first = api.get(url)
    loads = cache.stats["loads"]
    again = api.get(url)
    assert again.json() == first.json() and again.headers["etag"] == first.headers["etag"]
    assert api.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    assert cache.stats["loads"] == loads and cache.stats["hits"] >= 2


def test_no_stale_read_in_1000_write_read_pairs(cached_api):
    """Chapter 16 only: 2000 requests take a while on a loaded machine (later chapters keep the concurrent test)."""
    api, cache, auth, url = cached_api(16)
    list_url = f"/users/{api.get(url).json()['owner_id']}/tasks"
    for n in range(1000):
        etag = api.patch(url, json={"title": f"title {n}"}, headers={**auth, "If-Match": "*"}).headers["etag"]
        read = api.get(list_url) if n % 2 else api.get(url)
        title = read.json()[0]["title"] if n % 2 else read.json()["title"]
        assert title == f"title {n}", n
        assert n % 2 or read.headers["etag"] == etag
    assert cache.stats["loads"] >= 1000  # every read after a write missed and loaded the new version


@pytest.mark.parametrize("chapter", chapters_from(16))
def test_a_read_never_returns_an_older_version_than_a_write_completed_before_it(cached_api, chapter):
    api, cache, auth, url = cached_api(chapter)
    done, lock = [], threading.Lock()  # (completed at, version) of every write
    reads = []  # (started at, version)

    def write(n: int) -> None:
        answer = client.patch(url, json={"title": f"w{n}"}, headers={**auth, "If-Match": "*"})
        with lock:
            done.append((time.monotonic(), int(answer.headers["etag"].split("-v")[1].split("-")[0])))

    def read(_: int) -> None:
        started = time.monotonic()
        etag = client.get(url).headers["etag"]
        reads.append((started, int(etag.split("-v")[1].split("-")[0])))

    # A generous timeout: this test judges versions, not speed (a 30 s one timed out once beside two other heavy runs).
    with (
        httpx.Client(base_url=api.url, headers=auth, timeout=120, limits=httpx.Limits(max_connections=12)) as client,
        ThreadPoolExecutor(12) as pool,
    ):
        list(pool.map(lambda n: write(n) if n % 3 == 0 else read(n), range(300)))
    for started, version in reads:
        completed = [v for at, v in done if at < started]
        assert version >= max(completed, default=1)


@pytest.mark.parametrize("chapter", chapters_from(16))
def test_a_users_list_is_never_served_to_another_user(cached_api, chapter):
    api, cache, ada, url = cached_api(chapter)
    bob = sign_up(api, "Bob")
    api.post("/tasks", json={"title": "bob's"}, headers=bob)
    ada_id, bob_id = api.get(url).json()["owner_id"], api.get("/users").json()[-1]["id"]
    for _ in range(2):
        assert [t["title"] for t in api.get(f"/users/{ada_id}/tasks", headers=ada).json()] == ["draft"]
        assert [t["title"] for t in api.get(f"/users/{bob_id}/tasks", headers=bob).json()] == ["bob's"]
    loads = cache.stats["loads"]
    api.patch(url, json={"title": "ada's new"}, headers={**ada, "If-Match": "*"})
    assert [t["title"] for t in api.get(f"/users/{bob_id}/tasks", headers=bob).json()] == ["bob's"]
    assert cache.stats["loads"] == loads  # Bob's list stayed cached: Ada's write does not touch it
    assert [t["title"] for t in api.get(f"/users/{ada_id}/tasks", headers=ada).json()] == ["ada's new"]


@pytest.mark.parametrize("chapter", chapters_from(16))
def test_many_concurrent_misses_read_the_database_once(cached_api, chapter):
    api, cache, auth, url = cached_api(chapter)
    # a load of a second: on a busy machine the other readers (who authenticate first) still arrive while it runs
    selects = slow_task_reads(api.server.config.app, seconds=1.0)
    barrier = threading.Barrier(WAITERS)  # one loads, the others wait: as many as may wait in one process

    def read(_: int) -> int:
        barrier.wait()
        return client.get(url).status_code

    with (
        httpx.Client(base_url=api.url, headers=auth, timeout=30, limits=httpx.Limits(max_connections=30)) as client,
        ThreadPoolExecutor(WAITERS) as pool,
    ):
        assert set(pool.map(read, range(WAITERS))) == {200}
    assert len(selects) == 1 and cache.stats["loads"] == 1 and cache.stats["waits"] > 0


def test_cached_copies_live_cache_ttl_seconds():
    app = ch16_redis_cache.create_app(Settings(cache_ttl=7))
    api = serve(app, name="test-ch16-ttl")
    try:
        api.client.headers.update(sign_up(api, "Ada"))
        api.get(api.post("/tasks", json={"title": "t"}).headers["location"])
        cache = app.context.cache
        copies = [key for key in cache.redis.scan_iter(match=f"{cache.namespace}:v*:task:*")]
        assert copies and all(0 < cache.redis.ttl(key) <= 7 for key in copies)
        generations = [key for key in cache.redis.scan_iter(match=f"{cache.namespace}:gen:*")]
        assert generations and all(7 < cache.redis.ttl(key) <= 7 * GENERATION_TTLS for key in generations)
    finally:
        api.stop()


@pytest.mark.parametrize("chapter", chapters_from(16))
def test_a_list_page_has_an_etag_and_revalidates_from_the_cache(cached_api, chapter):
    api, cache, auth, url = cached_api(chapter)
    first = api.get("/tasks")
    assert first.status_code == 200 and first.headers["etag"].startswith('"tasks-')
    loads = cache.stats["loads"]
    again = api.get("/tasks", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b"" and cache.stats["loads"] == loads  # from the cache
    assert api.get("/tasks?limit=1").headers["etag"] != first.headers["etag"] or len(first.json()) <= 1
    api.patch(url, json={"title": "changed"}, headers={**auth, "If-Match": "*"})
    changed = api.get("/tasks", headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]
    api.post("/tasks", json={"title": "another"}, headers=auth)
    assert api.get("/tasks").headers["etag"] != changed.headers["etag"]
    assert api.get("/tasks", headers={"Accept": "text/csv"}).headers["etag"] != api.get("/tasks").headers["etag"]


def test_with_redis_gone_reads_come_from_the_database_and_writes_are_refused():
    app = app_for(16)
    api = serve(app, name="test-ch16-down")
    try:
        auth = sign_up(api, "Ada")
        url = api.post("/tasks", json={"title": "before"}, headers=auth).headers["location"]
        api.get(url, headers=auth)
        working = app.context.cache.redis
        app.context.cache.redis = redis.Redis(host="127.0.0.1", port=1, **FAIL_FAST)
        assert api.get(url, headers=auth).json()["title"] == "before"
        refused = api.patch(url, json={"title": "after"}, headers={**auth, "If-Match": "*"})
        assert refused.status_code == 503 and refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) > 0
        assert api.get(url, headers=auth).json()["title"] == "before"
        assert api.get("/tasks", headers=auth).status_code == 200
        assert api.get("/users/1/tasks", headers=auth).status_code == 200
        assert app.context.cache.stats["errors"] >= 3
        app.context.cache.redis = working
        assert api.get(url, headers=auth).json()["title"] == "before"
        assert api.patch(url, json={"title": "after"}, headers={**auth, "If-Match": "*"}).status_code == 200
        assert api.get(url, headers=auth).json()["title"] == "after"
    finally:
        api.stop()


def test_a_redis_outage_leaves_no_stale_read_behind():
    """fakeredis's server disconnected and back: every write during the outage is refused, every read after is true."""
    app = app_for(16)
    server = fakeredis.FakeServer()
    app.context.cache.redis = fakeredis.FakeRedis(server=server, decode_responses=True)
    api = serve(app, name="test-ch16-outage")
    try:
        auth = sign_up(api, "Ada")
        url = api.post("/tasks", json={"title": "v0"}, headers=auth).headers["location"]
        list_url = f"/users/{api.get(url, headers=auth).json()['owner_id']}/tasks"
        written = "v0"
        for n in range(1, 31):
            server.connected = n % 3 != 0  # every third write meets Redis down
            answer = api.patch(url, json={"title": f"v{n}"}, headers={**auth, "If-Match": "*"})
            assert answer.status_code == (200 if server.connected else 503), n
            written = f"v{n}" if answer.status_code == 200 else written
            server.connected = True
            assert api.get(url, headers=auth).json()["title"] == written, n
            assert api.get(list_url, headers=auth).json()[0]["title"] == written, n
    finally:
        api.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def stoppable_redis():
    """A redis-server of this test's own (it will be stopped with SIGSTOP): its URL and process."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install -y redis-server)")
    port, folder = free_port(), tempfile.mkdtemp(prefix="ch16-redis-")
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            folder,
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, **FAIL_FAST)
    for _ in range(200):  # answers within a second or two
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.01)
    try:
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        os.kill(process.pid, signal.SIGCONT)
        gc.collect()  # the apps' finalizers clear their keys while this server still answers
        process.terminate()
        process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def test_a_stopped_redis_server_costs_the_socket_timeout_refuses_writes_and_leaves_nothing_stale(stoppable_redis):
    url_of_redis, process = stoppable_redis
    app = ch16_redis_cache.create_app(Settings(redis_url=url_of_redis))
    api = serve(app, name="test-ch16-sigstop")
    try:
        auth = sign_up(api, "Ada")
        url = api.post("/tasks", json={"title": "before"}, headers=auth).headers["location"]
        assert [api.get(url, headers=auth).json()["title"] for _ in range(2)] == ["before"] * 2  # now cached
        os.kill(process.pid, signal.SIGSTOP)  # hung, not dead: connections open, nothing answers
        started = time.monotonic()
        assert api.get(url, headers=auth).json()["title"] == "before"
        refused = api.patch(url, json={"title": "during"}, headers={**auth, "If-Match": "*"})
        assert refused.status_code == 503 and "retry-after" in refused.headers
        assert time.monotonic() - started < 10 * FAIL_FAST["socket_timeout"]  # a few timeouts, not seconds each
        os.kill(process.pid, signal.SIGCONT)
        assert api.get(url, headers=auth).json()["title"] == "before"
        assert api.patch(url, json={"title": "after"}, headers={**auth, "If-Match": "*"}).status_code == 200
        assert api.get(url, headers=auth).json()["title"] == "after"
    finally:
        api.stop()


def test_the_contract_says_a_write_may_be_refused_with_503_and_retry_after():
    schema = app_for(16).openapi()
    patch = schema["paths"]["/tasks/{task_id}"]["patch"]["responses"]["503"]
    assert "Retry-After" in patch["headers"] and "Redis" in patch["description"]
    assert "503" not in schema["paths"]["/tasks/{task_id}"]["get"]["responses"]
    assert "503" in schema["paths"]["/users/{user_id}/tasks"]["post"]["responses"]


def test_on_a_redis_server_the_lock_is_only_its_owners_and_an_undecodable_entry_is_a_miss(stoppable_redis):
    """WATCH/MULTI, SET NX PX and generations as a real server runs them (fakeredis is tested in tests/services)."""
    url_of_redis, _ = stoppable_redis
    cache = CacheAside(redis.Redis.from_url(url_of_redis, decode_responses=True, **FAIL_FAST), 30, "real")

    def load_past_the_locks_expiry():
        cache.redis.set("real:slow:lock", "another loader")  # ours expired during the load; another took it
        return 1

    assert cache.read(lambda: "real:slow", load_past_the_locks_expiry, str, int) == 1
    assert cache.redis.get("real:slow:lock") == "another loader"
    assert cache.read(lambda: "real:fast", lambda: 2, str, int) == 2 and cache.redis.get("real:fast:lock") is None
    cache.redis.set("real:old", "written by an older version")
    assert cache.read(lambda: "real:old", lambda: 3, str, int) == 3 and cache.stats["undecodable"] > 0
    before = cache.generation("all")
    cache.redis.delete("real:gen:all")  # evicted
    assert cache.generation("all") not in (before, None) and cache.redis.ttl("real:gen:all") > 30
    cache.hold({"all"})
    assert cache.entry("all", "list") is None
    cache.bump({"all"})
    assert cache.entry("all", "list") is not None
