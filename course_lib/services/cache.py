"""Redis connections: fakeredis inside the kernel by default, a real redis-server from REDIS_URL."""

from __future__ import annotations

import fakeredis
import redis

from course_lib.services.settings import Settings, get_settings

_FAKE_SERVER = fakeredis.FakeServer()


def redis_client(settings: Settings | None = None, decode_responses: bool = True, **options) -> redis.Redis:
    """A client for REDIS_URL, or for the kernel's one shared fakeredis server when it is not set.

    `options` go to the client (e.g. socket_timeout=0.25 for a cache that must not wait long on a slow Redis).
    """
    settings = settings or get_settings()
    if settings.redis_url:
        return redis.Redis.from_url(settings.redis_url, decode_responses=decode_responses, **options)
    return fakeredis.FakeRedis(server=_FAKE_SERVER, decode_responses=decode_responses, **options)
