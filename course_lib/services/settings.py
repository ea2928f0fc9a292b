"""Course settings: embedded defaults that work offline, real services when their URLs are set."""

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the task API keeps its data; read from the environment (DATABASE_URL, REDIS_URL, ...)."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    database_url: str | None = Field(default=None, description="SQLAlchemy URL; None means embedded SQLite.")
    redis_url: str | None = Field(default=None, description="redis:// URL; None means fakeredis in the kernel.")
    isolate_database: bool = Field(default=True, description="Each app gets its own schema or SQLite file, so "
                                   "chapters never see each other's rows; False shares one database (replicas).")
    worker: str = Field(default="inprocess", description="'inprocess' runs jobs in the kernel, 'process' in workers.")
    instance_name: str = Field(default="kernel", description="Which process serves: the scaling chapter names each "
                               "replica (INSTANCE_NAME) and the API says it in the X-Instance header.")
    nginx_bin: str | None = Field(default=None, description="Path to nginx, for the scaling chapter.")
    session_cookie_secure: bool = Field(default=True, description="Session cookie with Secure and the __Host- "
                                        "prefix (HTTPS; browsers also on localhost); False for plain-HTTP clients.")
    session_ttl: int = Field(default=30 * 60, ge=1, description="Seconds from login until a session expires.")
    cursor_ttl: int = Field(default=60 * 60, ge=1, description="Seconds a list cursor stays valid after it was "
                            "issued (chapter 14); each page issues a fresh one.")
    cache_ttl: int = Field(default=60, ge=1, description="Seconds a cached copy of a read lives (chapter 16).")
    secret_key: str = Field(default="course-secret-key-change-me-in-production-0123456789",
                            description="Signs sessions, cursors and tokens; set SECRET_KEY outside the course.")
    calendar_url: str | None = Field(default=None, description="Base URL of the calendar service (chapter 12); "
                                     "None: an embedded calendar in this process answers.")
    calendar_timeout: float = Field(default=2.0, gt=0, description="Seconds a whole outbound call to the calendar "
                                    "service (body included) may take before the API answers 504.")
    access_token_ttl: int = Field(default=5 * 60, ge=1, description="Seconds an access token (JWT) is valid.")
    refresh_token_ttl: int = Field(default=14 * 24 * 3600, ge=1, description="Seconds from login until its "
                                   "refresh tokens expire (each refresh rotates the token, not this deadline).")
    password_hash_cost: Literal["recommended", "minimal"] = Field(
        default="recommended", description="argon2id at pwdlib's recommended cost; 'minimal' only for test suites.")

    @property
    def uses_real_database(self) -> bool:
        """True when DATABASE_URL points at a server rather than the embedded SQLite."""
        return bool(self.database_url) and not self.database_url.startswith("sqlite")

    def describe(self) -> str:
        """One line naming the live backends, e.g. 'database: SQLite · cache: fakeredis · jobs: in-process'."""
        database = _database_name(self.database_url)
        cache = "redis-server" if self.redis_url else "fakeredis"
        jobs = "worker processes" if self.worker == "process" else "in-process worker"
        return f"database: {database} · cache: {cache} · jobs: {jobs}"


def _database_name(url: str | None) -> str:
    if not url or url.startswith("sqlite"):
        return "SQLite (embedded)"
    if url.startswith("postgresql"):
        return "PostgreSQL"
    return url.split(":", 1)[0]


@lru_cache
def get_settings() -> Settings:
    """The settings read from the environment once per process."""
    return Settings()
