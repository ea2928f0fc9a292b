"""Cache-aside: hits and misses, one load for many concurrent misses (a bounded crowd), random generations, holds,
locks released only by their owner, undecodable entries as misses, and a dead Redis tolerated."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import fakeredis
import pytest
import redis

from course_lib.services import cache_aside
from course_lib.services.cache_aside import (
    FAIL_FAST,
    GENERATION_TTLS,
    WAITERS,
    CacheAside,
    CacheUnavailable,
    cache_stats,
)


@pytest.fixture
def cache():
    return CacheAside(fakeredis.FakeRedis(decode_responses=True), ttl=30, namespace="test")


def read(cache, key, load):
    return cache.read(lambda: key, load, str, int)


def test_a_miss_loads_and_keeps_a_copy_for_ttl_seconds_then_hits(cache):
    loads = []
    assert read(cache, cache.key("n", 1), lambda: loads.append(1) or 7) == 7
    assert read(cache, cache.key("n", 1), lambda: loads.append(1) or 8) == 7
    assert loads == [1] and cache_stats(cache) == {
        "hits": 1,
        "misses": 1,
        "loads": 1,
        "waits": 0,
        "crowded": 0,
        "held": 0,
        "undecodable": 0,
        "errors": 0,
    }
    assert 0 < cache.redis.ttl("test:n:1") <= 30


def test_nothing_found_is_not_cached(cache):
    assert cache.read(lambda: "test:none", lambda: None, str, int) is None
    assert cache.redis.get("test:none") is None


def test_a_bump_gives_each_scope_a_new_generation_and_others_keep_theirs(cache):
    first = {scope: cache.generation(scope) for scope in ("task:1", "task:2", "all")}
    assert first["task:1"] == cache.generation("task:1")  # stable until a write
    cache.bump({"task:1", "all"})
    assert cache.generation("task:1") != first["task:1"] and cache.generation("all") != first["all"]
    assert cache.generation("task:2") == first["task:2"]
    cache.bump(set())


def test_generations_expire_and_a_lost_one_never_comes_back_as_an_old_one(cache):
    seen = set()
    for _ in range(50):
        seen.add(cache.generation("all"))
        assert 0 < cache.redis.ttl("test:gen:all") <= 30 * GENERATION_TTLS  # no generation key lives for ever
        cache.redis.delete("test:gen:all")  # evicted, expired, or Redis restarted without its data
    assert len(seen) == 50  # a counter would have started at 0 again: an old entry found again


def test_an_entry_key_names_its_scopes_generation_and_the_encodings_version(cache):
    other = CacheAside(cache.redis, ttl=30, namespace="test", version="2")
    key = cache.entry("task:1", "task", 1)
    assert key == f"test:v1:task:1:g{cache.generation('task:1')}" and other.entry("task:1", "task", 1) != key
    cache.bump({"task:1"})  # one version's write invalidates the other's entries too: generations are shared
    assert cache.entry("task:1", "task", 1) != key and other.generation("task:1") == cache.generation("task:1")


def test_while_a_write_holds_a_scope_reads_load_and_keep_nothing(cache):
    cache.hold({"task:1"})
    assert cache.entry("task:1", "task", 1) is None
    assert cache.read(lambda: cache.entry("task:1", "task", 1), lambda: 4, str, int) == 4
    assert cache.stats["held"] == 1 and not list(cache.redis.scan_iter("test:v1:*"))
    assert 0 < cache.redis.ttl("test:gen:task:1") <= 30  # a hold whose bump never came ends by itself
    cache.bump({"task:1"})
    assert cache.entry("task:1", "task", 1) is not None


def test_an_undecodable_entry_is_a_miss_and_is_replaced(cache):
    cache.redis.set("test:old", "written by an older version")
    assert read(cache, "test:old", lambda: 6) == 6
    assert cache.stats["undecodable"] > 0 and cache.redis.get("test:old") == "6"
    assert read(cache, "test:old", lambda: 7) == 6 and cache.stats["hits"] == 1


def test_the_lock_is_released_only_by_its_owner(cache):
    def load_past_the_locks_expiry():
        cache.redis.set("test:slow:lock", "another loader")  # ours expired during the load; another took it
        return 1

    assert read(cache, "test:slow", load_past_the_locks_expiry) == 1
    assert cache.redis.get("test:slow:lock") == "another loader"
    assert read(cache, "test:fast", lambda: 2) == 2 and cache.redis.get("test:fast:lock") is None


def test_many_concurrent_misses_load_once(cache):
    loads, started = [], threading.Barrier(WAITERS)

    def slow_load():
        loads.append(1)
        time.sleep(0.05)
        return 42

    def reader(_):
        started.wait()
        return read(cache, "test:hot", slow_load)

    with ThreadPoolExecutor(WAITERS) as pool:
        assert list(pool.map(reader, range(WAITERS))) == [42] * WAITERS
    assert len(loads) == 1 and cache.stats["waits"] > 0
    assert cache.redis.get("test:hot:lock") is None


def test_a_crowd_larger_than_the_waiting_room_loads_itself_instead_of_taking_every_thread(cache, monkeypatch):
    loads, started, waiting, most = [], threading.Barrier(3 * WAITERS), [0], [0]
    real_wait, count = cache._wait, threading.Lock()

    def counted_wait(*args):
        with count:
            waiting[0] += 1
            most[0] = max(most[0], waiting[0])
        try:
            return real_wait(*args)
        finally:
            with count:
                waiting[0] -= 1

    def slow_load():  # loads until the waiting room is full (at most 5 s), then a little longer
        loads.append(1)
        if len(loads) == 1:
            deadline = time.monotonic() + 5
            while waiting[0] < WAITERS and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(0.1)
        return 42

    def reader(_):
        started.wait()
        return read(cache, "test:crowd", slow_load)

    monkeypatch.setattr("course_lib.services.cache_aside.WAIT_SECONDS", 30)  # no waiter gives up, however busy
    # nor does the loader's lock expire while the room fills (up to 5 s on a busy machine, LOCK_MS is 2 s): a waiter
    # that took the expired lock would load too, uncounted as crowded
    monkeypatch.setattr("course_lib.services.cache_aside.LOCK_MS", 30_000)
    cache._wait = counted_wait
    with ThreadPoolExecutor(3 * WAITERS) as pool:
        assert set(pool.map(reader, range(3 * WAITERS))) == {42}
    assert most[0] == WAITERS and cache.stats["crowded"] > 0
    assert len(loads) == 1 + cache.stats["crowded"]  # the loader, and each reader that found no room to wait


def test_a_full_waiting_room_sends_a_reader_to_the_database_at_once(cache):
    cache.redis.set("test:busy:lock", "a loader", px=5000)
    for _ in range(WAITERS):
        cache.waiting_room.acquire()
    started = time.monotonic()
    assert read(cache, "test:busy", lambda: 8) == 8
    assert time.monotonic() - started < cache_aside.WAIT_SECONDS / 2 and cache.stats["crowded"] == 1


def test_a_waiter_loads_itself_when_the_loader_takes_too_long(cache, monkeypatch):
    monkeypatch.setattr("course_lib.services.cache_aside.WAIT_SECONDS", 0.02)
    cache.redis.set("test:stuck:lock", "someone else", px=5000)
    assert read(cache, "test:stuck", lambda: 5) == 5


def test_a_dead_redis_means_reads_from_the_loader_and_no_error():
    dead = redis.Redis(host="127.0.0.1", port=1, **FAIL_FAST)
    cache = CacheAside(dead, ttl=30, namespace="test")
    assert read(cache, "test:x", lambda: 3) == 3
    assert cache.read(lambda: cache.entry("all", "list"), lambda: 4, str, int) == 4
    cache.bump({"all"})
    assert cache.clear() == 0 and cache.stats["errors"] == 3 and cache.stats["loads"] == 2


def test_a_hold_that_cannot_reach_redis_raises_so_the_write_is_refused():
    cache = CacheAside(redis.Redis(host="127.0.0.1", port=1, **FAIL_FAST), ttl=30, namespace="test")
    with pytest.raises(CacheUnavailable):
        cache.hold({"task:1"})
    cache.hold(set())  # nothing to hold: nothing to tell Redis


def test_clear_deletes_only_its_namespace(cache):
    cache.redis.set("test:a", "1")
    cache.redis.set("other:a", "1")
    assert cache.clear() == 1 and cache.redis.get("other:a") == "1"


def test_a_reader_that_gets_the_lock_after_another_load_takes_the_stored_copy(cache):
    """The miss, then another reader loads and stores and unlocks, then this reader's SET NX succeeds: no load."""
    real_set, loads = cache.redis.set, []

    def set_after_another_loaded(name, value, **options):
        if options.get("nx"):
            real_set("test:late", "9")  # another reader stored its copy and released the lock just now
        return real_set(name, value, **options)

    cache.redis.set = set_after_another_loaded
    assert read(cache, "test:late", lambda: loads.append(1) or 1) == 9 and loads == []
