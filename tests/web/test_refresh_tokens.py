"""Refresh tokens: one family per login, rotation on use, a reused token revokes its family, logout revokes too."""

import os
import threading

import fakeredis
import pytest
import redis

from course_lib.web.digests import digest
from course_lib.web.refresh_tokens import RefreshRefused, RefreshStore


@pytest.fixture(params=["fakeredis", "redis-server"])
def client(request):
    """fakeredis always; a real redis-server too when REDIS_URL is set."""
    if request.param == "fakeredis":
        return fakeredis.FakeRedis(decode_responses=True)
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set")
    return redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)


@pytest.fixture
def store(client):
    store = RefreshStore(client, ttl=600)
    yield store
    store.clear()


def keys_of(store: RefreshStore) -> dict[str, int]:
    """Every key of the store and its TTL in seconds (-1: none, kept for ever)."""
    return {name: store.redis.ttl(name) for name in store.redis.scan_iter(match=f"{store.prefix}*")}


def test_rotation_spends_the_token_and_hands_out_the_next(store):
    first = store.start(7)
    grant, second = store.rotate(first)
    assert grant.user_id == 7 and second != first and second.startswith("rt_")
    assert store.rotate(second)[0].family == grant.family


def test_a_reused_token_revokes_the_whole_family(store):
    first = store.start(7)
    _, second = store.rotate(first)
    with pytest.raises(RefreshRefused) as reused:
        store.rotate(first)
    assert reused.value.reused
    with pytest.raises(RefreshRefused) as after:
        store.rotate(second)
    assert not after.value.reused and "revoked" in str(after.value)


@pytest.mark.parametrize("round_", range(5))
def test_two_tabs_refreshing_at_once_one_wins_and_the_family_is_revoked(store, round_):
    """The trade-off of strict reuse detection: concurrent refreshes with one token look like a theft.

    Exactly one wins even when a loser revokes the family right after the winner's HDEL (rounds make that likely).
    """
    token, results, gate = store.start(7), [], threading.Barrier(8)

    def tab() -> None:
        gate.wait()
        try:
            results.append(store.rotate(token)[1])
        except RefreshRefused as refused:
            results.append(refused)

    threads = [threading.Thread(target=tab) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [result for result in results if isinstance(result, str)]
    assert len(winners) == 1 and all(result.reused for result in results if isinstance(result, RefreshRefused))
    with pytest.raises(RefreshRefused):
        store.rotate(winners[0])  # the winner's new token died with its family


def test_a_thief_who_refreshes_first_rotates_until_the_owner_comes_back(store):
    """RFC 9700 §4.14.2: reuse is seen only when the owner presents the token the thief already spent."""
    stolen = store.start(7)
    _, thiefs = store.rotate(stolen)
    for _ in range(3):
        _, thiefs = store.rotate(thiefs)  # the thief keeps going while the owner is away
    with pytest.raises(RefreshRefused) as owner_back:
        store.rotate(stolen)
    assert owner_back.value.reused
    with pytest.raises(RefreshRefused):
        store.rotate(thiefs)  # and with that the thief's chain dies too


def test_other_families_are_untouched(store):
    mine, other = store.start(7), store.start(7)
    store.rotate(mine)
    with pytest.raises(RefreshRefused):
        store.rotate(mine)
    assert store.rotate(other)[0].user_id == 7


def test_logout_revokes_and_unknown_tokens_are_refused(store):
    token = store.start(7)
    assert store.revoke(token) is True and store.revoke(token) is False and store.revoke("rt_unknown") is False
    for bad in (token, "rt_unknown", ""):
        with pytest.raises(RefreshRefused):
            store.rotate(bad)


def test_redis_keeps_digests_and_expires_everything(store):
    token = store.start(7)
    names = keys_of(store)
    assert not any(token in name for name in names) and any(digest(token) in name for name in names)
    assert all(0 < ttl <= 600 for ttl in names.values())
    assert store.clear() == len(names) and not keys_of(store)


def test_every_key_keeps_a_ttl_through_rotation_reuse_and_logout(store):
    first = store.start(7)
    _, second = store.rotate(first)
    _, third = store.rotate(second)
    with pytest.raises(RefreshRefused):
        store.rotate(second)
    store.revoke(store.start(8))
    assert keys_of(store) and all(0 < ttl <= 600 for ttl in keys_of(store).values()), keys_of(store)


def test_a_rotation_after_expiry_recreates_no_key(store):
    """The token expires between the read and the spend: nothing may come back without a TTL."""
    token = store.start(7)
    read = store.redis.hgetall

    def read_then_expire(name):
        found = read(name)
        store.clear()  # what Redis does when the TTL runs out at that very moment
        return found

    store.redis.hgetall = read_then_expire
    with pytest.raises(RefreshRefused):
        store.rotate(token)
    assert keys_of(store) == {}


def test_a_token_whose_family_expired_gets_no_successor(store):
    token = store.start(7)
    store.redis.delete(store._family_key(store.redis.hget(store._token_key(token), "family")))
    with pytest.raises(RefreshRefused, match="expired"):
        store.rotate(token)
    assert all(ttl > 0 for ttl in keys_of(store).values()) and len(keys_of(store)) == 1  # only the spent token


def test_a_ttl_under_a_second_is_refused():
    with pytest.raises(ValueError):
        RefreshStore(fakeredis.FakeRedis(decode_responses=True), ttl=0)
