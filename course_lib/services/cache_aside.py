"""Cache-aside in Redis: read the cache, on a miss load from the database and keep a copy for `ttl` seconds.

- Keys are versioned by generation counters: a write bumps the counters of what it changed (after its commit), and
  readers build keys from the current counters, so an entry written from an older read is never found again. This
  also closes the classic race (a reader loads the old row, the writer commits and deletes, the reader stores the
  old row): the old row lands under the old generation, which nobody reads any more.
- Single flight: on a miss, one reader takes a short Redis lock (SET NX PX) and loads; the others wait for its copy
  (polling briefly), so many concurrent misses cost one database read — across threads and across replicas alike.
- The cache is an optimisation: if Redis fails, every read goes to the database and the request still succeeds.
"""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

T = TypeVar("T")

# A cache must fail fast: redis-py's default retries a refused connection 10 times with backoff (seconds per call),
# while the database could have answered in a millisecond.
FAIL_FAST = {"socket_timeout": 0.25, "socket_connect_timeout": 0.25, "retry": Retry(NoBackoff(), 0)}

LOCK_MS = 2000  # a loader that died frees the key's lock after this long
WAIT_SECONDS = 2.0  # how long a reader waits for another's load before it reads the database itself
POLL_SECONDS = 0.002  # a waiting reader's first look for the loaded copy; it then looks half as often each time
POLL_MAX_SECONDS = 0.05


class CacheAside:
    """Read-through helpers over one Redis client, with every key under `namespace`."""

    def __init__(self, client: redis.Redis, ttl: int, namespace: str) -> None:
        self.redis, self.ttl, self.namespace = client, ttl, namespace
        self.stats: Counter[str] = Counter()  # hits, misses, loads, waits, errors

    def key(self, *parts: object) -> str:
        """A key of this cache: the namespace and the parts, joined by ':'."""
        return ":".join([self.namespace, *map(str, parts)])

    def generation(self, scope: str) -> int:
        """The current generation of `scope` (0 until its first write)."""
        return int(self.redis.get(self.key("gen", scope)) or 0)

    def bump(self, scopes: set[str]) -> None:
        """Move every scope to its next generation: what was cached for them is never read again."""
        if not scopes:
            return
        try:
            with self.redis.pipeline() as pipe:  # MULTI/EXEC: all scopes move together
                for scope in sorted(scopes):
                    pipe.incr(self.key("gen", scope))
                pipe.execute()
        except redis.RedisError:
            self.stats["errors"] += 1  # Redis down: readers read the database meanwhile; TTL bounds what is left

    def read(self, key: Callable[[], str], load: Callable[[], T], encode: Callable[[T], str],
             decode: Callable[[str], T]) -> T:
        """The cached value under key(), or load() it (one loader per key at a time) and cache it for `ttl` seconds."""
        try:
            return self._read(key(), load, encode, decode)
        except redis.RedisError:
            self.stats["errors"] += 1
            return self._load(load)

    def _read(self, name: str, load: Callable[[], T], encode: Callable[[T], str], decode: Callable[[str], T]) -> T:
        cached = self.redis.get(name)
        if cached is not None:
            self.stats["hits"] += 1
            return decode(cached)
        self.stats["misses"] += 1
        token, deadline, pause = secrets.token_hex(8), time.monotonic() + WAIT_SECONDS, POLL_SECONDS
        while True:
            if self.redis.set(f"{name}:lock", token, nx=True, px=LOCK_MS):
                try:
                    cached = self.redis.get(name)  # the last loader may have stored it since our first look
                    if cached is not None:
                        return decode(cached)
                    value = self._load(load)
                    if value is not None:  # nothing found is not cached: the next read asks the database again
                        self.redis.set(name, encode(value), ex=self.ttl)
                    return value
                finally:
                    if self.redis.get(f"{name}:lock") == token:  # only our own lock (it may have expired)
                        self.redis.delete(f"{name}:lock")
            self.stats["waits"] += 1
            time.sleep(pause)  # backing off: a crowd of pollers must not starve the one reader that loads
            pause = min(pause * 2, POLL_MAX_SECONDS)
            cached = self.redis.get(name)
            if cached is not None:
                return decode(cached)
            if time.monotonic() > deadline:  # the loader is slow or gone: do not wait on it any longer
                return self._load(load)

    def _load(self, load: Callable[[], T]) -> T:
        self.stats["loads"] += 1
        return load()

    def clear(self) -> int:
        """Delete every key of this cache; the number deleted (0 when Redis is unreachable)."""
        try:
            names = list(self.redis.scan_iter(match=f"{self.namespace}:*", count=500))
            return self.redis.delete(*names) if names else 0
        except redis.RedisError:
            return 0


def cache_stats(cache: CacheAside) -> dict[str, Any]:
    """The counters of `cache` as a plain dict, every counter present."""
    return {name: cache.stats[name] for name in ("hits", "misses", "loads", "waits", "errors")}
