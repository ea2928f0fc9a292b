from course_lib.services.settings import Settings, get_settings


def test_defaults_need_no_services(monkeypatch):
    for name in ("DATABASE_URL", "REDIS_URL", "WORKER"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.database_url is None and settings.redis_url is None
    assert settings.describe() == "database: SQLite (embedded) · cache: fakeredis · jobs: in-process worker"
    assert not settings.uses_real_database


def test_environment_selects_real_services(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/course")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    settings = Settings()
    assert settings.uses_real_database
    assert settings.describe().startswith("database: PostgreSQL · cache: redis-server")


def test_get_settings_is_cached_until_cleared(monkeypatch):
    get_settings.cache_clear()
    first = get_settings()
    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings() is not first
