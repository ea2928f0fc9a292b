"""Chapter 22's job, the same for RQ and Celery: e-mail reminders, each an idempotent effect in Redis.

One e-mail is one effect: its id goes into a processed-ids set and the e-mail into the outbox list in one Lua script,
so Redis runs both or neither (chapter 17 did the same with one database transaction). A job run again — a retry, a
work horse killed mid-job, a message delivered twice — sends nothing twice. Every run also counts itself (attempts)
and notes its process ids, so a demonstration can kill the process that runs it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import redis

PREFIX = "lab22"
_SEND_ONCE = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[1])
  return 1
end
return 0
"""

Progress = Callable[[int, int], None]


def key(kind: str, batch: str) -> str:
    """The Redis key of one batch's `kind` record (processed, outbox, attempts, started, pids)."""
    return f"{PREFIX}:{kind}:{batch}"


def send_once(r: redis.Redis, batch: str, email: int) -> bool:
    """Put e-mail `email` of `batch` in the outbox unless its id is in the processed set; True when it sent."""
    return bool(r.eval(_SEND_ONCE, 2, key("processed", batch), key("outbox", batch), str(email)))


def remind(
    r: redis.Redis,
    batch: str,
    emails: int,
    latency: float = 0.0,
    progress: Progress | None = None,
    fail_first: int = 0,
) -> dict[str, int]:
    """Send `emails` reminders of `batch`, `latency` s each; the first `fail_first` runs fail after one e-mail, as a
    mail service that drops the connection would."""
    attempt = r.incr(key("attempts", batch))
    r.rpush(key("started", batch), f"{time.time():.3f}")
    r.hset(key("pids", batch), mapping={"pid": os.getpid(), "parent": os.getppid()})
    sent = 0
    for email in range(emails):
        if attempt <= fail_first and email == 1:
            raise ConnectionError(f"the mail service dropped the connection (run {attempt})")
        sent += send_once(r, batch, email)
        if progress is not None:
            progress(email + 1, emails)
        time.sleep(latency)  # the mail service's time for one e-mail (simulated)
    return {"sent": sent, "already_sent": emails - sent, "attempt": attempt}


def outbox(r: redis.Redis, batch: str) -> list[str]:
    """The e-mails of `batch` in the outbox, in the order they were sent."""
    return [item.decode() if isinstance(item, bytes) else item for item in r.lrange(key("outbox", batch), 0, -1)]


def attempts(r: redis.Redis, batch: str) -> int:
    """How many runs of `batch` began."""
    return int(r.get(key("attempts", batch)) or 0)


def started_at(r: redis.Redis, batch: str) -> list[float]:
    """When each run of `batch` began (Unix time)."""
    return [float(stamp) for stamp in r.lrange(key("started", batch), 0, -1)]


def pids(r: redis.Redis, batch: str) -> dict[str, int]:
    """The process ids of the latest run of `batch`: the process that runs it and its parent."""
    return {(k.decode() if isinstance(k, bytes) else k): int(v) for k, v in r.hgetall(key("pids", batch)).items()}
