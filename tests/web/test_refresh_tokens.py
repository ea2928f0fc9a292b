"""Refresh tokens: one family per login, rotation on use, a reused token revokes its family, logout revokes too."""

import fakeredis
import pytest

from course_lib.web.refresh_tokens import RefreshRefused, RefreshStore, digest


@pytest.fixture
def store():
    return RefreshStore(fakeredis.FakeRedis(decode_responses=True), ttl=600)


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
    names = list(store.redis.scan_iter(match=f"{store.prefix}*"))
    assert not any(token in name for name in names) and any(digest(token) in name for name in names)
    assert all(0 < store.redis.ttl(name) <= 600 for name in names)
    assert store.clear() == len(names) and not list(store.redis.scan_iter(match=f"{store.prefix}*"))


def test_a_ttl_under_a_second_is_refused():
    with pytest.raises(ValueError):
        RefreshStore(fakeredis.FakeRedis(decode_responses=True), ttl=0)
