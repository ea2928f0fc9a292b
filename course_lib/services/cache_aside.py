"""Cache-aside in Redis: read the cache, on a miss load from the database and keep a copy for `ttl` seconds.

- Generations: every scope (one task, one user's lists, the list of all tasks) has a generation in Redis, and an
  entry's key ends with the generation of its scope. A write gives the scopes it changed new generations, so what was
  cached for them is never found again. A generation is a random token, not a counter: when its key expires (it lives
  GENERATION_TTLS cache TTLs) or Redis evicts or loses it, the scope starts again with a token nobody has used, never
  with a number an old entry still carries.
- A write holds its scopes before it commits and bumps them after: while held, readers of those scopes read the
  database and store nothing, so a reader between the commit and the bump cannot keep the old row. If the hold fails
  (Redis unreachable) the write must not commit — it could not tell the cache — and hold() raises CacheUnavailable.
  If only the bump fails, the scopes stay held until the hold expires (`ttl`): slower reads, never stale ones.
- Single flight: on a miss, one reader takes a short Redis lock (SET NX PX) and loads; the others wait for its copy,
  so many concurrent misses cost one database read — across threads and replicas alike. Only the lock's owner deletes
  it (compare-and-delete with WATCH/MULTI). At most WAITERS threads of one process wait at a time; a reader that
  finds them all taken, or waits WAIT_SECONDS in vain, reads the database itself: a stampede cannot take every thread.
- Entry keys carry the encoding's `version`: a deploy that changes the encoding reads its own entries, never an older
  version's (generations are shared, so a write by either version invalidates both). An entry that still fails to
  decode is a miss, never an error.
- Reads tolerate a failing Redis: they go to the database.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar, cast

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

T = TypeVar("T")

# A cache must fail fast: redis-py's default retries a refused connection with backoff (seconds per call), and a hung
# Redis (stopped, not dead) would hold every call until the socket timeout. 0.25 s is what each call to a hung Redis
# costs; a refused connection costs well under a millisecond.
FAIL_FAST: dict[str, Any] = {"socket_timeout": 0.25, "socket_connect_timeout": 0.25, "retry": Retry(NoBackoff(), 0)}

LOCK_MS = 2000  # a loader that died frees the key's lock after this long
WAIT_SECONDS = 2.0  # how long a reader waits for another's load before it reads the database itself
WAITERS = 16  # threads of one process that may wait at once (a server has ~40: the rest stay free for other requests)
POLL_SECONDS = 0.002  # a waiting reader's first look for the loaded copy; it then looks half as often each time
POLL_MAX_SECONDS = 0.05
GENERATION_TTLS = 10  # a generation key lives this many cache TTLs after its last write
HELD = "held-"  # a generation that starts with this is held by a write being committed
STATS = ("hits", "misses", "loads", "waits", "crowded", "held", "undecodable", "errors")
UNDECODABLE = (ValueError, TypeError, KeyError, AttributeError)  # what a decoder raises on another version's text


class CacheUnavailable(Exception):
    """Redis could not be told about a write: the write must not commit."""


class CacheAside:
    """Read-through helpers over one Redis client, with every key under `namespace`, entries under its `version`."""

    def __init__(self, client: redis.Redis, ttl: int, namespace: str, version: str = "1") -> None:
        self.redis, self.ttl, self.namespace, self.version = client, ttl, namespace, version
        self.stats: Counter[str] = Counter()  # see STATS
        self.waiting_room = threading.BoundedSemaphore(WAITERS)

    def key(self, *parts: object) -> str:
        """A key of this cache: the namespace and the parts, joined by ':'."""
        return ":".join([self.namespace, *map(str, parts)])

    def entry(self, scope: str, *parts: object) -> str | None:
        """The key of an entry that a write to `scope` invalidates; None while a write holds `scope`."""
        generation = self.generation(scope)
        return None if generation is None else self.key(f"v{self.version}", *parts, f"g{generation}")

    def generation(self, scope: str) -> str | None:
        """The current generation of `scope` (a new random token if it has none); None while a write holds it."""
        name = self.key("gen", scope)
        current = self.redis.get(name)
        if current is None:  # first use, expired, evicted or lost: a token nobody has used
            self.redis.set(name, secrets.token_hex(6), nx=True, ex=self.ttl * GENERATION_TTLS)
            current = self.redis.get(name)  # ours, or the one another reader set first
        current = current.decode() if isinstance(current, bytes) else current
        return None if current is None or current.startswith(HELD) else current

    def hold(self, scopes: set[str]) -> None:
        """Before a write commits: readers of `scopes` read the database and keep nothing. CacheUnavailable if not."""
        try:
            self._set_generations(scopes, HELD + secrets.token_hex(6), self.ttl)
        except redis.RedisError as error:
            self.stats["errors"] += 1
            raise CacheUnavailable(f"Redis could not be told about a write: {error}") from error

    def bump(self, scopes: set[str]) -> None:
        """After a write commits: new generations for `scopes`, so what was cached for them is never read again."""
        try:
            self._set_generations(scopes, secrets.token_hex(6), self.ttl * GENERATION_TTLS)
        except redis.RedisError:
            self.stats["errors"] += 1  # held scopes stay held until the hold expires: slower, never stale

    def _set_generations(self, scopes: set[str], token: str, seconds: int) -> None:
        if scopes:
            with self.redis.pipeline() as pipe:  # MULTI/EXEC: all scopes move together
                for scope in sorted(scopes):
                    pipe.set(self.key("gen", scope), token, ex=seconds)
                pipe.execute()

    def read(
        self,
        key: Callable[[], str | None],
        load: Callable[[], T],
        encode: Callable[[Any], str],
        decode: Callable[[str], T],
    ) -> T:
        """The cached value under key(), or load() it (one loader per key at a time) and cache it for `ttl` seconds.

        key() returns None while a write holds the entry's scope: then load() and keep nothing.
        """
        try:
            name = key()
            if name is None:
                self.stats["held"] += 1
                return self._load(load)
            return self._read(name, load, encode, decode)
        except redis.RedisError:
            self.stats["errors"] += 1
            return self._load(load)

    def _read(self, name: str, load: Callable[[], T], encode: Callable[[T], str], decode: Callable[[str], T]) -> T:
        found, value = self._lookup(name, decode)
        if found:
            self.stats["hits"] += 1
            return value
        self.stats["misses"] += 1
        lock, token = f"{name}:lock", secrets.token_hex(8)
        if self.redis.set(lock, token, nx=True, px=LOCK_MS):
            return self._load_and_store(name, lock, token, load, encode, decode)
        if not self.waiting_room.acquire(blocking=False):  # WAITERS threads wait already: this one must not
            self.stats["crowded"] += 1
            return self._load(load)
        try:
            self.stats["waits"] += 1
            return self._wait(name, lock, token, load, encode, decode)
        finally:
            self.waiting_room.release()

    def _wait(
        self,
        name: str,
        lock: str,
        token: str,
        load: Callable[[], T],
        encode: Callable[[T], str],
        decode: Callable[[str], T],
    ) -> T:
        deadline, pause = time.monotonic() + WAIT_SECONDS, POLL_SECONDS
        while time.monotonic() < deadline:
            time.sleep(pause)  # backing off: a crowd of pollers must not starve the one reader that loads
            pause = min(pause * 2, POLL_MAX_SECONDS)
            found, value = self._lookup(name, decode)
            if found:
                return value
            if self.redis.set(lock, token, nx=True, px=LOCK_MS):  # the loader found nothing to keep, or died
                return self._load_and_store(name, lock, token, load, encode, decode)
        return self._load(load)  # the loader is slow: do not wait on it any longer

    def _load_and_store(
        self,
        name: str,
        lock: str,
        token: str,
        load: Callable[[], T],
        encode: Callable[[T], str],
        decode: Callable[[str], T],
    ) -> T:
        try:
            found, value = self._lookup(name, decode)  # the last loader may have stored it since our first look
            if found:
                return value
            value = self._load(load)
            if value is not None:  # nothing found is not cached: the next read asks the database again
                self._store(name, encode(value))
            return value
        finally:
            self._unlock(lock, token)

    def _lookup(self, name: str, decode: Callable[[str], T]) -> tuple[bool, Any]:
        """(True, the decoded value) or (False, None)."""
        cached = cast(str | None, self.redis.get(name))  # the client decodes responses (redis_client's default)
        if cached is None:
            return False, None
        try:
            return True, decode(cached)
        except UNDECODABLE:  # written by another version of the code (a rolling deploy), or damaged: a miss
            self.stats["undecodable"] += 1
            return False, None

    def _store(self, name: str, text: str) -> None:
        try:
            self.redis.set(name, text, ex=self.ttl)
        except redis.RedisError:
            self.stats["errors"] += 1  # the value is loaded: answer with it, uncached

    def _unlock(self, lock: str, token: str) -> None:
        """Delete `lock` if it is still ours: after PX ran out, another loader may hold it now."""
        try:
            with self.redis.pipeline() as pipe:
                pipe.watch(lock)  # EXEC fails if the lock changes between this GET and the DEL
                if pipe.get(lock) in (token, token.encode()):
                    pipe.multi()
                    pipe.delete(lock)
                    pipe.execute()
        except redis.WatchError:
            pass  # it changed hands just now: not ours to delete
        except redis.RedisError:
            self.stats["errors"] += 1  # Redis is gone: the lock expires by itself after LOCK_MS

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
    return {name: cache.stats[name] for name in STATS}
