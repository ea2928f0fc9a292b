from course_lib.services.cache import redis_client
from course_lib.services.settings import Settings, get_settings


def test_fakeredis_is_shared_within_the_kernel():
    first, second = redis_client(Settings(redis_url=None)), redis_client(Settings(redis_url=None))
    first.set("test:shared", "yes")
    assert second.get("test:shared") == "yes"
    first.delete("test:shared")


def test_configured_redis_answers():
    """With REDIS_URL set (CI starts a real redis-server), the client reaches it; else fakeredis."""
    get_settings.cache_clear()
    client = redis_client()
    assert client.ping() is True
    client.set("test:ping", "1", ex=5)
    assert client.get("test:ping") == "1"
