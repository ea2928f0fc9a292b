import os
import secrets
import subprocess
import sys
from dataclasses import replace

import jwt
import pytest

from course_lib.lab.forged_tokens import claims
from course_lib.notebook.server import serving
from course_lib.services.settings import SecretKeyError, Settings, get_settings, use_kernel_key
from course_lib.taskapi import app_for, chapter_modules
from course_lib.taskapi.api_keys import sign_up


def test_defaults_need_no_services(monkeypatch):
    for name in ("DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.database_url is None and settings.redis_url is None
    assert settings.describe() == "database: SQLite (embedded) · cache: fakeredis"
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


OLD_DEFAULT = "course-secret-key-change-me-in-production-0123456789"  # the default SECRET_KEY this file once had


@pytest.fixture
def production(monkeypatch):
    """An environment with neither SECRET_KEY nor DEVELOPMENT, as a fresh server has."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DEVELOPMENT", raising=False)


def test_without_a_key_the_server_refuses_to_start_and_says_what_to_set(production):
    with pytest.raises(SecretKeyError, match="SECRET_KEY is not set") as refused:
        Settings()
    assert "secrets.token_urlsafe(32)" in str(refused.value) and "DEVELOPMENT=1" in str(refused.value)


@pytest.mark.parametrize("key", [OLD_DEFAULT, "a-secret-of-forty-characters-or-more-0123456789"])
def test_a_key_written_in_the_repository_is_refused_even_in_development(production, monkeypatch, key):
    monkeypatch.setenv("SECRET_KEY", key)
    for development in ("0", "1"):
        monkeypatch.setenv("DEVELOPMENT", development)
        with pytest.raises(SecretKeyError, match="written in the course's files") as refused:
            Settings()
        assert key[:8] not in str(refused.value) and "set SECRET_KEY" in str(refused.value)


def test_a_key_under_32_bytes_is_refused_and_32_random_bytes_are_enough(production):
    with pytest.raises(SecretKeyError, match="31 bytes, fewer than 32"):
        Settings(secret_key="k" * 31)
    key = secrets.token_urlsafe(32)
    assert Settings(secret_key=key).secret_key == key
    assert key not in repr(Settings(secret_key=key))  # never in a log line that prints the settings


def test_development_without_a_key_gets_a_random_one_per_process(production, monkeypatch):
    monkeypatch.setenv("DEVELOPMENT", "1")
    key = Settings().secret_key
    assert len(key.encode()) >= 32 and Settings().secret_key == key
    env = {name: value for name, value in os.environ.items() if name != "SECRET_KEY"}
    other = subprocess.run(
        [sys.executable, "-c", "from course_lib.services.settings import Settings; print(Settings().secret_key)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert other.stdout.strip() not in ("", key)


def test_a_kernel_makes_up_its_key_once_and_keeps_one_that_is_set(production):
    use_kernel_key()
    key = os.environ["SECRET_KEY"]
    use_kernel_key()
    assert os.environ["SECRET_KEY"] == key and Settings().secret_key == key and key not in OLD_DEFAULT


@pytest.mark.parametrize("chapter", [15, max(chapter_modules())])
def test_a_token_forged_with_the_old_default_key_is_401(chapter):
    app = app_for(chapter)
    forger = replace(app.context.tokens, key=OLD_DEFAULT)
    admin = jwt.encode(claims(forger, 1, role="admin"), OLD_DEFAULT, algorithm="HS256")
    with serving(app, name=f"forged-{chapter}") as api:
        sign_up(api, "Ada")  # user 1 exists: the token names a real user
        create = api.post("/tasks", json={"title": "forged"}, headers={"Authorization": f"Bearer {admin}"})
        stats = api.get("/admin/stats", headers={"Authorization": f"Bearer {admin}"})
    assert (create.status_code, stats.status_code) == (401, 401)
    assert 'error="invalid_token"' in create.headers["www-authenticate"]
