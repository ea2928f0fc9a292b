from sqlalchemy import text

from course_lib.db import database_url, make_engine
from course_lib.settings import Settings, get_settings


def test_embedded_default_is_a_fresh_sqlite_file_each_time():
    settings = Settings(database_url=None)
    assert database_url(settings) != database_url(settings)
    assert database_url(settings).startswith("sqlite:///")


def test_sqlite_enforces_foreign_keys():
    with make_engine(Settings(database_url=None)).connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_configured_database_answers():
    """With DATABASE_URL set (CI sets a real PostgreSQL), the engine reaches it; else the embedded file."""
    get_settings.cache_clear()
    with make_engine().connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
