"""Cache-aside: hits and misses, one load for many concurrent misses, generations, and a dead Redis tolerated."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import fakeredis
import pytest
import redis

from course_lib.services.cache_aside import FAIL_FAST, CacheAside, cache_stats


@pytest.fixture
def cache():
    return CacheAside(fakeredis.FakeRedis(decode_responses=True), ttl=30, namespace="test")


def read(cache, key, load):
    return cache.read(lambda: key, load, str, int)


def test_a_miss_loads_and_keeps_a_copy_for_ttl_seconds_then_hits(cache):
    loads = []
    assert read(cache, cache.key("n", 1), lambda: loads.append(1) or 7) == 7
    assert read(cache, cache.key("n", 1), lambda: loads.append(1) or 8) == 7
    assert loads == [1] and cache_stats(cache) == {"hits": 1, "misses": 1, "loads": 1, "waits": 0, "errors": 0}
    assert 0 < cache.redis.ttl("test:n:1") <= 30


def test_nothing_found_is_not_cached(cache):
    assert cache.read(lambda: "test:none", lambda: None, str, int) is None
    assert cache.redis.get("test:none") is None


def test_a_bump_moves_a_scope_to_its_next_generation(cache):
    assert cache.generation("task:1") == 0
    cache.bump({"task:1", "all"})
    cache.bump({"task:1"})
    assert (cache.generation("task:1"), cache.generation("all"), cache.generation("task:2")) == (2, 1, 0)
    cache.bump(set())


def test_many_concurrent_misses_load_once(cache):
    loads, started = [], threading.Barrier(20)

    def slow_load():
        loads.append(1)
        time.sleep(0.05)
        return 42

    def reader(_):
        started.wait()
        return read(cache, "test:hot", slow_load)

    with ThreadPoolExecutor(20) as pool:
        assert list(pool.map(reader, range(20))) == [42] * 20
    assert len(loads) == 1 and cache.stats["waits"] > 0
    assert cache.redis.get("test:hot:lock") is None


def test_a_waiter_loads_itself_when_the_loader_takes_too_long(cache, monkeypatch):
    monkeypatch.setattr("course_lib.services.cache_aside.WAIT_SECONDS", 0.02)
    cache.redis.set("test:stuck:lock", "someone else", px=5000)
    assert read(cache, "test:stuck", lambda: 5) == 5


def test_a_dead_redis_means_reads_from_the_loader_and_no_error():
    dead = redis.Redis(host="127.0.0.1", port=1, **FAIL_FAST)
    cache = CacheAside(dead, ttl=30, namespace="test")
    assert read(cache, "test:x", lambda: 3) == 3
    cache.bump({"all"})
    assert cache.clear() == 0 and cache.stats["errors"] == 2 and cache.stats["loads"] == 1


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
