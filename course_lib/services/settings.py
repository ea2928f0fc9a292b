"""Course settings: embedded defaults that work offline, real services when their URLs are set."""

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_KEY_BYTES = 32  # HS256 needs a key at least as long as its hash (RFC 7518 §3.2): 256 bits
# Keys that were ever in the repository: anyone can sign with them. Any other key found in the course's files is too.
KNOWN_KEYS = frozenset({"course-secret-key-change-me-in-production-0123456789"})
ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("course_lib", "chapters", "deploy", "tests", "tools", "docs", "binder", "README.md")
NOT_TEXT = {".ipynb", ".pyc", ".png", ".jpg", ".svg", ".db", ".sqlite"}  # notebooks are made from chapters/
_DEVELOPMENT_KEY = secrets.token_urlsafe(MIN_KEY_BYTES)  # DEVELOPMENT=1 without SECRET_KEY: this process's own


# Not a ValueError: pydantic would wrap that in a ValidationError, which echoes part of the key into a log.
class SecretKeyError(RuntimeError):
    """SECRET_KEY is missing, short or public: the server refuses to start (the message says what to set)."""


class Settings(BaseSettings):
    """Where the task API keeps its data; read from the environment (DATABASE_URL, REDIS_URL, ...)."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    database_url: str | None = Field(default=None, description="SQLAlchemy URL; None means embedded SQLite.")
    redis_url: str | None = Field(default=None, description="redis:// URL; None means fakeredis in the kernel.")
    isolate_database: bool = Field(
        default=True,
        description="Each app gets its own schema or SQLite file, so "
        "chapters never see each other's rows; False shares one database (replicas).",
    )
    instance_name: str = Field(
        default="kernel",
        description="Which process serves: the scaling chapter names each "
        "replica (INSTANCE_NAME) and the API says it in the X-Instance header.",
    )
    nginx_bin: str | None = Field(default=None, description="Path to nginx, for the scaling chapter.")
    session_cookie_secure: bool = Field(
        default=True,
        description="Session cookie with Secure and the __Host- "
        "prefix (HTTPS; browsers also on localhost); False for plain-HTTP clients.",
    )
    session_idle_timeout: int = Field(
        default=30 * 60,
        ge=1,
        description="Seconds a session lives without a request (OWASP: 15-30 minutes for low-risk applications).",
    )
    session_absolute_timeout: int = Field(
        default=8 * 3600,
        ge=1,
        description="Seconds from login until a session "
        "ends however active it is (OWASP: 4-8 hours for a working day).",
    )
    allowed_origins: list[str] = Field(
        default=[],
        description="Origins whose pages may send cookie-authenticated "
        'writes, e.g. ["https://app.example.org"]: the site\'s own (for browsers '
        "without Sec-Fetch-Site) and any front end served elsewhere. Never the Host.",
    )
    cursor_ttl: int = Field(
        default=60 * 60,
        ge=1,
        description="Seconds a list cursor stays valid after it was issued (chapter 14); each page issues a fresh one.",
    )
    cache_ttl: int = Field(default=60, ge=1, description="Seconds a cached copy of a read lives (chapter 16).")
    worker: Literal["auto", "thread", "process", "external"] = Field(
        default="auto",
        description="Who runs background jobs (chapter 17): 'thread', a worker thread in the API's process; "
        "'process', an `rq worker` process the API starts and stops (needs REDIS_URL); 'external', workers of "
        "their own (`make worker`). 'auto': a thread with fakeredis, a process with REDIS_URL.",
    )
    job_result_ttl: int = Field(
        default=600,
        ge=1,
        description="Seconds a finished or failed job's record (status, result) is kept (chapter 17).",
    )
    job_timeout: int = Field(default=60, ge=1, description="Seconds a job may run before its worker stops it.")
    mail_latency: float = Field(
        default=0.05,
        ge=0,
        description="Seconds the mail service takes per e-mail (simulated: reminders go to an outbox table).",
    )
    secret_key: str | None = Field(
        default=None,
        repr=False,
        description="Signs cursors and access tokens "
        f"(HMAC-SHA256): at least {MIN_KEY_BYTES} random bytes, never a key from the "
        "repository; required unless DEVELOPMENT is set.",
    )
    development: bool = Field(
        default=False,
        description="A machine of your own: without SECRET_KEY, a random key "
        "for this process (tokens and cursors die with it). Off unless set.",
    )
    profiling: bool = Field(
        default=False,
        description="?profile=1 answers an admin a profiler report instead "
        "(chapter 12); off unless set: a profile is for the operator, never for any caller.",
    )
    calendar_url: str | None = Field(
        default=None,
        description="Base URL of the calendar service (chapter 12); "
        "None: an embedded calendar in this process answers.",
    )
    calendar_timeout: float = Field(
        default=2.0,
        gt=0,
        description="Seconds a whole outbound call to the calendar "
        "service (body included) may take before the API answers 504.",
    )
    access_token_ttl: int = Field(default=5 * 60, ge=1, description="Seconds an access token (JWT) is valid.")
    refresh_token_ttl: int = Field(
        default=14 * 24 * 3600,
        ge=1,
        description="Seconds from login until its "
        "refresh tokens expire (each refresh rotates the token, not this deadline).",
    )
    previous_secret_keys: list[str] = Field(
        default=[],
        description="Keys SECRET_KEY replaced: access tokens they "
        "signed still verify (by kid) until they expire; never used to sign. "
        "Drop each once ACCESS_TOKEN_TTL has passed (a JSON list).",
    )
    rate_limit: str = Field(
        default="3000/minute",
        description="Requests one client address may send (chapter 20), in the `limits` notation "
        "('3000/minute', '10 per 15 minutes'): a ceiling against floods, far above what a person or a page sends.",
    )
    login_limit_per_account_and_address: str = Field(
        default="10/15 minutes",
        description="Failed logins (POST /session, POST /tokens answered 401) of one account from one client address "
        "before that address is refused with 429 for that account until the window ends (chapter 20): guessing one "
        "password stops there, and its owner, elsewhere, still logs in.",
    )
    login_limit_per_account: str = Field(
        default="100/15 minutes",
        description="Failed logins one account may take from every address together (chapter 20): a ceiling on "
        "guessing one password from many addresses; past it the account is refused with 429 until the window ends.",
    )
    login_limit_per_address: str = Field(
        default="100/15 minutes",
        description="Failed logins one client address may cause, over every account (chapter 20): "
        "credential stuffing, one password tried on many accounts, stops there.",
    )
    reminder_limit: str = Field(
        default="20/hour",
        description="POST /reminders one user may send (chapter 20 counts them; chapter 17 queues a job for each): "
        "each job e-mails every open task, so one user's loop would flood the queue and the mail service.",
    )
    password_hash_cost: Literal["recommended", "minimal"] = Field(
        default="recommended", description="argon2id at pwdlib's recommended cost; 'minimal' only for test suites."
    )
    trace_sample_rate: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="Share of requests traced (chapter 21): every one in a notebook, where each trace is read; "
        "a busy service records a sample, e.g. 0.1.",
    )
    trace_batch: bool = Field(
        default=False,
        description="Export spans in batches from a background thread (chapter 21), as a service does; "
        "off: each span is exported when it ends, on the request's time.",
    )
    log_to_stdout: bool = Field(
        default=False, description="Write the JSON access log to stdout too (chapter 21); it is kept in memory anyway."
    )

    @field_validator(
        "rate_limit",
        "login_limit_per_account_and_address",
        "login_limit_per_account",
        "login_limit_per_address",
        "reminder_limit",
    )
    @classmethod
    def a_rate_limit(cls, value: str) -> str:
        """A limit the `limits` library can read ('100/minute'), refused at start rather than at the first request."""
        from limits import parse  # here: the settings of a chapter without rate limits need not import it

        try:
            parse(value)
        except ValueError as error:
            raise ValueError(f"not a rate limit such as '100/minute' or '10 per 15 minutes': {error}") from None
        return value

    @field_validator("secret_key")
    @classmethod
    def strong_and_unknown(cls, key: str | None) -> str | None:
        """Refuse a key too short to be random enough, or one anybody can read in the course's files."""
        if key is not None and len(key.encode()) < MIN_KEY_BYTES:
            raise SecretKeyError(f"SECRET_KEY has {len(key.encode())} bytes, fewer than {MIN_KEY_BYTES}: {NEW_KEY}")
        if key is not None and (key in KNOWN_KEYS or in_course_files(key)):
            raise SecretKeyError(f"SECRET_KEY is written in the course's files, so anyone can sign with it: {NEW_KEY}")
        return key

    @model_validator(mode="after")
    def a_key_or_development(self) -> "Settings":
        """No key: refuse to start, unless DEVELOPMENT says this is a machine of your own."""
        if self.secret_key is None:
            if not self.development:
                raise SecretKeyError(f"SECRET_KEY is not set: {NEW_KEY}; or DEVELOPMENT=1 on a machine of your own")
            self.secret_key = _DEVELOPMENT_KEY
        return self

    @property
    def signing_key(self) -> str:
        """SECRET_KEY, or the development key: always one once the settings are validated."""
        if self.secret_key is None:  # only if a caller set it to None after validation
            raise SecretKeyError(f"SECRET_KEY is not set: {NEW_KEY}")
        return self.secret_key

    @property
    def uses_real_database(self) -> bool:
        """True when DATABASE_URL points at a server rather than the embedded SQLite."""
        return bool(self.database_url and not self.database_url.startswith("sqlite"))

    @property
    def job_worker(self) -> Literal["thread", "process", "external"]:
        """WORKER as set; 'auto' is a thread with the embedded fakeredis, an `rq worker` process with REDIS_URL."""
        if self.worker != "auto":
            return self.worker
        return "process" if self.redis_url else "thread"

    def describe(self, jobs: bool = False) -> str:
        """One line naming the live backends, e.g. 'database: SQLite (embedded) · cache: fakeredis'; with `jobs`,
        who runs background jobs too (' · jobs: worker thread')."""
        database = _database_name(self.database_url)
        cache = "redis-server" if self.redis_url else "fakeredis"
        line = f"database: {database} · cache: {cache}"
        if jobs:
            names = {"thread": "worker thread", "process": "rq worker process", "external": "external rq workers"}
            line += f" · jobs: {names[self.job_worker]}"
        return line


def _database_name(url: str | None) -> str:
    if not url or url.startswith("sqlite"):
        return "SQLite (embedded)"
    if url.startswith("postgresql"):
        return "PostgreSQL"
    return url.split(":", 1)[0]


NEW_KEY = (
    f"set SECRET_KEY to {MIN_KEY_BYTES} or more random bytes, e.g. the output of "
    f"python3 -c 'import secrets; print(secrets.token_urlsafe({MIN_KEY_BYTES}))'"
)


@lru_cache(maxsize=16)
def in_course_files(key: str) -> bool:
    """True when `key` is written in one of the course's text files (a key copied from them is public)."""
    for place in SCANNED:
        path = ROOT / place
        files = path.rglob("*") if path.is_dir() else [path]
        for file in files:
            if file.is_file() and file.suffix not in NOT_TEXT and key in file.read_text(errors="ignore"):
                return True
    return False


def use_kernel_key() -> None:
    """A notebook kernel or test run needs no set-up: a random SECRET_KEY of its own unless one is set; the
    processes it starts (replicas) inherit it, so they accept each other's tokens and cursors."""
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(MIN_KEY_BYTES))


@lru_cache
def get_settings() -> Settings:
    """The settings read from the environment once per process."""
    return Settings()
