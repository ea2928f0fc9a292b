"""The cached storage: task records survive the cache, writes hold before the commit and invalidate after it, a
write Redis cannot hear of is refused (503), reads bypass the cache inside a unit of work that writes."""

import fakeredis
import pytest
from starlette.exceptions import HTTPException

from course_lib.services.cache_aside import CacheAside
from course_lib.taskapi.cached_storage import ENCODING, CachedStorage, decode_task, encode_task, query_digest
from course_lib.taskapi.records import Task, TaskQuery
from course_lib.taskapi.storage import MemoryStorage


@pytest.fixture
def server():
    return fakeredis.FakeServer()


@pytest.fixture
def storage(server):
    inner = MemoryStorage()
    inner.users.add("Ada", "ada@example.org")
    inner.users.add("Bob", "bob@example.org")
    client = fakeredis.FakeRedis(server=server, decode_responses=True)
    return CachedStorage(inner, CacheAside(client, 30, "test-storage", ENCODING))


def test_a_task_survives_encoding():
    task = Task(3, "t", True, "d", 1, version=4)
    assert decode_task(encode_task(task)) == task


def test_query_digests_tell_queries_apart():
    assert query_digest(TaskQuery(owner_id=1)) != query_digest(TaskQuery(owner_id=11))
    assert query_digest(TaskQuery(offset=20)) != query_digest(TaskQuery(limit=20))
    assert query_digest(TaskQuery()) == query_digest(TaskQuery())


def test_reads_hit_after_the_first_and_a_write_is_seen_after_its_commit(storage):
    task = storage.tasks.add("first", owner_id=1)
    assert storage.tasks.get(task.id) == storage.tasks.get(task.id) == task
    assert storage.cache.stats["loads"] == 1 and storage.cache.stats["hits"] == 1
    with storage.unit_of_work() as writer:
        writer.tasks.update(task.id, title="second")
        assert writer.tasks.get(task.id).title == "second"  # its own change, from the database
        before_commit = storage.cache.generation(f"task:{task.id}")
        writer.commit()
    assert storage.cache.generation(f"task:{task.id}") not in (before_commit, None)
    assert storage.tasks.get(task.id).title == "second"


def test_a_write_holds_before_the_inner_commit_and_invalidates_after_it(storage):
    task = storage.tasks.add("first", owner_id=1)
    calls, scopes = [], frozenset({f"task:{task.id}", "user:1", "all"})
    with storage.unit_of_work() as uow:
        inner_commit, hold, bump = uow.inner.commit, uow.cache.hold, uow.cache.bump
        uow.inner.commit = lambda: calls.append("commit") or inner_commit()
        uow.cache.hold = lambda scopes: calls.append(("hold", frozenset(scopes))) or hold(scopes)
        uow.cache.bump = lambda scopes: calls.append(("bump", frozenset(scopes))) or bump(scopes)
        uow.tasks.update(task.id, done=True)
        uow.commit()
        uow.cache.hold, uow.cache.bump = hold, bump
    assert calls == [("hold", scopes), "commit", ("bump", scopes)]


def test_a_reader_between_the_hold_and_the_commit_keeps_nothing_even_if_the_bump_is_lost(storage):
    task = storage.tasks.add("first", owner_id=1)
    cache = storage.cache
    with storage.unit_of_work() as uow:
        inner_commit = uow.inner.commit

        def a_reader_arrives_then_commit():
            # another request, after the hold, before the commit: it reads the old row from the database
            old = cache.read(
                lambda: cache.entry(f"task:{task.id}", "task", task.id), lambda: task, encode_task, decode_task
            )
            assert old.title == "first"
            inner_commit()

        uow.inner.commit = a_reader_arrives_then_commit
        uow.tasks.update(task.id, title="second")
        uow.cache.bump = lambda scopes: None  # and the bump after the commit never reaches Redis
        uow.commit()
        del uow.cache.bump
    assert storage.tasks.get(task.id).title == "second"  # the scope stays held: read from the database
    assert cache.stats["held"] >= 2


def test_with_redis_unreachable_a_write_is_refused_before_it_commits_and_nothing_is_stale_after(storage, server):
    task = storage.tasks.add("first", owner_id=1)
    assert storage.tasks.get(task.id).title == "first"  # cached
    server.connected = False
    with pytest.raises(HTTPException) as refused:
        storage.tasks.update(task.id, title="second")
    assert refused.value.status_code == 503 and "Retry-After" in refused.value.headers
    assert storage.tasks.get(task.id).title == "first"  # reads go to the database meanwhile
    storage.users.add("Cy", "cy@example.org")  # a write that touches no cached data still commits
    server.connected = True
    assert storage.tasks.get(task.id).title == "first" and storage.inner.tasks.get(task.id).title == "first"
    storage.tasks.update(task.id, title="second")
    assert storage.tasks.get(task.id).title == "second"


def test_an_entry_another_encoding_wrote_is_a_miss_not_an_error(storage):
    task = storage.tasks.add("first", owner_id=1)
    storage.tasks.get(task.id)
    for key in storage.cache.redis.scan_iter(match=f"{storage.cache.namespace}:v{ENCODING}:task:*"):
        storage.cache.redis.set(key, '{"id": 1, "name": "an older encoding"}')
    assert storage.tasks.get(task.id) == task and storage.cache.stats["undecodable"] > 0


def test_a_write_never_committed_invalidates_nothing(storage):
    task = storage.tasks.add("first", owner_id=1)
    generations = storage.cache.generation("all")
    with storage.unit_of_work() as uow:
        uow.tasks.delete(task.id)
    assert storage.cache.generation("all") == generations and storage.tasks.get(task.id) == task


def test_lists_are_per_owner_and_a_write_invalidates_only_its_owners_lists(storage):
    storage.tasks.add("ada's", owner_id=1)
    storage.tasks.add("bob's", owner_id=2)
    ada, bob, everyone = TaskQuery(owner_id=1), TaskQuery(owner_id=2), TaskQuery()
    assert [t.title for t in storage.tasks.list(ada)] == ["ada's"]
    assert [t.title for t in storage.tasks.list(bob)] == ["bob's"]
    assert storage.tasks.count(everyone) == 2
    storage.tasks.add("ada's second", owner_id=1)
    loads = storage.cache.stats["loads"]
    assert [t.title for t in storage.tasks.list(bob)] == ["bob's"]  # still cached
    assert storage.cache.stats["loads"] == loads
    assert len(storage.tasks.list(ada)) == 2 and storage.tasks.count(everyone) == 3
    assert storage.cache.stats["loads"] == loads + 2


def test_moving_a_task_to_another_owner_invalidates_both_owners(storage):
    task = storage.tasks.add("moving", owner_id=1)
    storage.tasks.list(TaskQuery(owner_id=2))
    storage.tasks.update(task.id, owner_id=2)
    assert [t.title for t in storage.tasks.list(TaskQuery(owner_id=2))] == ["moving"]
    assert storage.tasks.list(TaskQuery(owner_id=1)) == []


def test_seeding_past_the_units_of_work_drops_the_cache():
    class Seeded(MemoryStorage):
        def add_many(self, tasks, batch_size=5000):
            for task in tasks:
                self.tasks.add(**task)
            yield len(tasks)

    storage = CachedStorage(Seeded(), CacheAside(fakeredis.FakeRedis(decode_responses=True), 30, "test-seed"))
    assert storage.tasks.count(TaskQuery()) == 0
    storage.inner.tasks.add("behind the cache's back")
    assert storage.tasks.count(TaskQuery()) == 0  # stale: nothing told the cache
    assert list(storage.add_many([{"title": "seeded"}])) == [1]
    assert storage.tasks.count(TaskQuery()) == 2
