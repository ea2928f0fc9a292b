"""Checks for chapter 16 — Redis cache: a list's cache key, what a write makes stale, invalidating after commit, and
the read side of cache-aside."""

from __future__ import annotations

import builtins
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import product

from course_lib.notebook.exercises import Exercise, Incorrect

USERS, GENERATIONS, PAGES, LIMITS = (1, 2, 11, 12), (0, 1, 2, 12), (1, 2, 12, 21), (1, 2, 20, 21)
PART_NAMES = ("user_id", "generation", "page", "limit")
WHY_DISTINCT = {
    "user_id": "two users would share one cached list: one user's tasks served to another",
    "generation": "a write bumps the generation; if the key does not change with it, the old list is still found",
    "page": "two pages would share one key: page 2 answered with page 1's tasks",
    "limit": "two page sizes would share one key: ?limit=50 answered with 20 tasks",
}


@contextmanager
def another_process() -> Iterator[None]:
    """In this thread only, hash() gives what another process would: Python salts hash() of str per process."""
    real, here = builtins.hash, threading.get_ident()
    builtins.hash = lambda value: real(("another process", value)) if threading.get_ident() == here else real(value)
    try:
        yield
    finally:
        builtins.hash = real


def _test_list_key(list_key) -> None:
    seen: dict[str, tuple] = {}
    for args in product(USERS, GENERATIONS, PAGES, LIMITS):
        key = list_key(*args)
        call = "list_key({}, {}, {}, {})".format(*args)
        if not isinstance(key, str) or not key:
            raise Incorrect("return the key as a non-empty str.", request=call, expected="a str", got=key)
        if list_key(*args) != key:
            raise Incorrect(
                "the same arguments must give the same key every time, or no read ever hits.",
                request=call,
                expected=key,
                got=list_key(*args),
            )
        with another_process():
            elsewhere = list_key(*args)
        if elsewhere != key:
            raise Incorrect(
                "another process (a replica, or this app after a restart) builds a different key for the "
                "same list, so it never finds this one's copy: hash() of a str is salted per process "
                "(PYTHONHASHSEED). Build the key from the values themselves (or a digest from hashlib).",
                request=f"{call} here and in another process",
                expected=key,
                got=elsewhere,
            )
        if key in seen:
            differ = [name for name, a, b in zip(PART_NAMES, seen[key], args) if a != b]
            raise Incorrect(
                f"two different lists get the same key: {WHY_DISTINCT[differ[0]]}. Put every part in "
                "the key, each after its own separator (1 and 12 must not read as 11 and 2).",
                request=f"{call} and list_key{seen[key]}",
                expected="two different keys",
                got=f"{key!r} for both",
            )
        seen[key] = args


q1 = Exercise(
    "ch16.q1",
    "The cache key of a user's list",
    _test_list_key,
    hint="One f-string with every argument, separated: f'tasks:{user_id}:{generation}:{page}:{limit}'.",
)

CACHED = frozenset(
    {
        "task:7",
        "task:17",
        "task:70",
        "task:3",
        "tasks:user=3:page=1",
        "tasks:user=3:page=2",
        "tasks:user=33:page=1",
        "tasks:user=4:page=1",
        "tasks:user=7:page=1",
        "tasks:all:page=1",
        "tasks:all:page=3",
    }
)
# (task written, its owner, what the cache holds at that moment)
WRITES = [(7, 3, CACHED), (17, 33, CACHED), (70, 4, CACHED), (3, 7, CACHED - {"task:3", "tasks:all:page=3"})]


def expected_stale(task_id: int, owner_id: int, cached: frozenset[str]) -> set[str]:
    """What a committed write to task `task_id` of `owner_id` can have made stale, among `cached`."""
    return {
        key for key in cached if key == f"task:{task_id}" or key.startswith((f"tasks:user={owner_id}:", "tasks:all:"))
    }


def _test_stale_keys(stale_keys) -> None:
    for task_id, owner_id, cached in WRITES:
        call = f"stale_keys({task_id}, {owner_id}, {sorted(cached)})"
        got = stale_keys(task_id, owner_id, set(cached))
        try:
            got = set(got)
        except TypeError:
            raise Incorrect("return a set of keys.", request=call, expected="a set", got=got) from None
        expected = expected_stale(task_id, owner_id, cached)
        if got - cached:
            raise Incorrect(
                "return only keys that are in the cache.", request=call, expected=sorted(expected), got=sorted(got)
            )
        if expected - got:
            raise Incorrect(
                f"stale copies left in the cache: {sorted(expected - got)}. A write to a task changes "
                "the task, every page of its owner's list, and every page of the list of all tasks.",
                request=call,
                expected=sorted(expected),
                got=sorted(got),
            )
        if got - expected:
            raise Incorrect(
                f"{sorted(got - expected)} cannot have changed (another task, another user): dropping "
                "them costs a database read each for nothing. Compare whole parts, not prefixes "
                "(task:7 is not task:70, user=3 is not user=33).",
                request=call,
                expected=sorted(expected),
                got=sorted(got),
            )


q2 = Exercise(
    "ch16.q2",
    "What a write makes stale",
    _test_stale_keys,
    hint="Split each key on ':'; keep it if it is ['task', str(task_id)], or starts with ['tasks', f'user={owner_id}'] "
    "or ['tasks', 'all'].",
)


class Database:
    """Committed titles other transactions see, and the pending change of the one transaction being written."""

    def __init__(self, titles: dict[int, str]) -> None:
        self.committed: dict[int, str] = dict(titles)
        self.pending: dict[int, str] = {}

    def update(self, task_id: int, title: str) -> None:
        """Change a title in the open transaction (nobody else sees it before commit)."""
        self.pending[task_id] = title

    def commit(self) -> None:
        """Make the pending changes visible to everyone."""
        self.committed.update(self.pending)
        self.pending.clear()


class Cache:
    """A dict with get/set/delete; after every delete, another request reads the task it named (cache-aside)."""

    def __init__(self, database: Database) -> None:
        self.copies: dict[str, str] = {}
        self.database = database
        self.reader_saw: list[tuple[int, str]] = []
        self.uncommitted: list[tuple[str, str]] = []  # (key, value) set before that value was committed

    def get(self, key: str) -> str | None:
        return self.copies.get(key)

    def set(self, key: str, value: str) -> None:
        if value not in self.database.committed.values():
            self.uncommitted.append((key, value))
        self.copies[key] = value

    def delete(self, key: str) -> None:
        self.copies.pop(key, None)
        if key.startswith("task:") and key[5:].isdigit():  # a concurrent reader arrives right now
            self.reader_saw.append((int(key[5:]), read_through(self, int(key[5:]))))


def read_through(cache: Cache, task_id: int) -> str:
    """Cache-aside read: the cached title, else the committed one (then cached)."""
    title = cache.copies.get(f"task:{task_id}")
    if title is None:
        title = cache.copies[f"task:{task_id}"] = cache.database.committed[task_id]
    return title


def _test_save_title(save_title) -> None:
    database = Database({1: "old one", 2: "old two"})
    cache = Cache(database)
    read_through(cache, 1), read_through(cache, 2)
    for task_id, title in ((1, "new one"), (2, "new two")):
        call = f"save_title(db, cache, {task_id}, {title!r})"
        save_title(database, cache, task_id, title)
        if cache.uncommitted:
            raise Incorrect(
                "you cached a title before it was committed: readers see a change that may still "
                "roll back. Let the next read load it from the database.",
                request=call,
                expected="no cache.set of an uncommitted title",
                got=f"cache.set{cache.uncommitted[0]}",
            )
        if database.committed.get(task_id) != title:
            raise Incorrect(
                "the new title never reached the database: update it, then db.commit().",
                request=call,
                expected=title,
                got=database.committed.get(task_id),
            )
        cached = read_through(cache, task_id)
        if cached != title:
            raced = any(saw == (task_id, cached) for saw in cache.reader_saw)
            why = (
                "a reader arrived between your cache.delete and your db.commit: it missed, read the old committed "
                "title and cached it again. Invalidate after the commit, never before."
                if raced
                else f"the cached copy was never dropped: delete 'task:{task_id}' after the commit."
            )
            raise Incorrect(why, request=f"{call}, then a read through the cache", expected=title, got=cached)


q3 = Exercise(
    "ch16.q3",
    "Invalidate after commit",
    _test_save_title,
    hint="db.update(task_id, title); db.commit(); cache.delete(f'task:{task_id}') — in that order.",
)


TTL = 60  # seconds a cached title lives, as the exercise states


class TitleDatabase:
    """Task titles by id, counting the reads that reach it."""

    def __init__(self, titles: dict[int, str]) -> None:
        self.titles, self.reads = dict(titles), 0

    def title(self, task_id: int) -> str | None:
        """The task's title, or None when there is no such task."""
        self.reads += 1
        return self.titles.get(task_id)


class TtlCache:
    """A dict with get/set(ex=)/delete that remembers each key's TTL (None: kept for ever)."""

    def __init__(self) -> None:
        self.copies: dict[str, object] = {}
        self.ttls: dict[str, int | None] = {}

    def get(self, key: str) -> object:
        return self.copies.get(key)

    def set(self, key: str, value: object, ex: int | None = None, **options) -> None:
        self.copies[key], self.ttls[key] = value, ex

    def delete(self, key: str) -> None:
        self.copies.pop(key, None)
        self.ttls.pop(key, None)


def _test_cached_title(cached_title) -> None:
    db, cache = TitleDatabase({7: "seven", 17: "seventeen", 70: "seventy"}), TtlCache()
    for task_id, title in ((7, "seven"), (17, "seventeen")):
        call = f"cached_title(db, cache, {task_id}) on an empty cache"
        got = cached_title(db, cache, task_id)
        if got != title:
            raise Incorrect(
                "a miss reads the title from the database and returns it.", request=call, expected=title, got=got
            )
        key = f"task:{task_id}"
        if cache.copies.get(key) != title:
            raise Incorrect(
                f"a miss keeps the title it loaded under {key!r}, so the next read is a hit.",
                request=call,
                expected={key: title},
                got=dict(cache.copies),
            )
        if cache.ttls[key] != TTL:
            raise Incorrect(
                f"keep the copy for {TTL} seconds: cache.set(key, title, ex={TTL}). Without a TTL a copy "
                "whose invalidation was lost is served for ever.",
                request=call,
                expected=f"ex={TTL}",
                got=f"ex={cache.ttls[key]}",
            )
    reads = db.reads
    got = cached_title(db, cache, 7)
    if got != "seven" or db.reads != reads:
        raise Incorrect(
            "a hit answers from the cache without asking the database.",
            request="cached_title(db, cache, 7) a second time",
            expected="'seven' and no database read",
            got=f"{got!r} and {db.reads - reads} database read(s)",
        )
    cache.set("task:70", "seventy (cached)", ex=TTL)
    got = cached_title(db, cache, 70)
    if got != "seventy (cached)":
        raise Incorrect(
            "look in the cache first, under task:<id>: a copy is there.",
            request="cached_title(db, cache, 70) with 'task:70' cached",
            expected="seventy (cached)",
            got=got,
        )
    reads, before = db.reads, dict(cache.copies)
    got = cached_title(db, cache, 8)
    if got is not None:
        raise Incorrect(
            "no task 8: return None (the route answers 404).",
            request="cached_title(db, cache, 8)",
            expected=None,
            got=got,
        )
    if cache.copies != before:
        raise Incorrect(
            "never keep 'not found': the task may be created a moment later, and until the copy expired "
            "every read of it would answer 404.",
            request="cached_title(db, cache, 8)",
            expected="nothing stored",
            got={k: v for k, v in cache.copies.items() if k not in before},
        )
    db.titles[8] = "eight"  # created now
    got = cached_title(db, cache, 8)
    if got != "eight":
        raise Incorrect(
            "task 8 exists now: its read must find it.",
            request="task 8 created, then cached_title(db, cache, 8)",
            expected="eight",
            got=got,
        )


q4 = Exercise(
    "ch16.q4",
    "The read side of cache-aside",
    _test_cached_title,
    hint="key = f'task:{task_id}'; title = cache.get(key); if it is None: title = db.title(task_id), and if that is "
    "not None, cache.set(key, title, ex=60); return title.",
)
