"""A load generator: locust, headless in a subprocess, against one URL on loopback; throughput and p50/p99."""

from __future__ import annotations

import ipaddress
import json
import math
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from course_lib.lab import children

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
LOOPBACK_NAMES = {"localhost"}


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured."""

    requests: int
    failures: int
    throughput: float  # requests per second
    p50_ms: float
    p99_ms: float

    def __str__(self) -> str:
        return (
            f"{self.requests} requests, {self.failures} failed, {self.throughput:.0f}/s, "
            f"p50 {self.p50_ms:.0f} ms, p99 {self.p99_ms:.0f} ms"
        )


def _loopback(url: str) -> tuple[str, str]:
    """('http://127.0.0.1:8000', '/path?query') for a loopback URL; ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    host = parts.hostname
    if host not in LOOPBACK_NAMES:
        try:
            if not ipaddress.ip_address(host).is_loopback:
                raise ValueError
        except ValueError:
            raise ValueError(f"load is only sent to loopback (127.0.0.1, ::1, localhost), not {host!r}") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return f"{parts.scheme}://{parts.netloc}", path


def measure(
    url: str,
    *,
    users: int,
    seconds: float,
    headers: dict | None = None,
    method: str = "GET",
    body: dict | None = None,
    cpu: int | None = None,
) -> LoadResult:
    """Send `method` `url` (JSON `body`) from `users` concurrent clients for `seconds` (locust, FastHttpUser, no think
    time); `cpu` pins the load generator to one CPU, so it does not compete with the server it measures."""
    if users < 1 or not 0 < seconds <= 300:
        raise ValueError("users must be at least 1 and seconds between 0 and 300")
    host, path = _loopback(url)
    with tempfile.TemporaryDirectory(prefix="course-load-") as folder:
        prefix = Path(folder) / "run"
        command = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--only-summary",
            "--host",
            host,
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{math.ceil(seconds) + 5}s",  # a bound: the locustfile stops the run at `seconds`
            "--json-file",
            str(prefix),
            "--reset-stats",
            "--loglevel",
            "ERROR",
            "--exit-code-on-error",
            "0",
        ]
        if cpu is not None:
            command = ["taskset", "-c", str(cpu), *command]
        headers = {**(headers or {}), **({"Content-Type": "application/json"} if body is not None else {})}
        env = {
            **os.environ,
            "LOAD_PATH": path,
            "LOAD_HEADERS": json.dumps(headers),
            "LOAD_SECONDS": str(seconds),
            "LOAD_METHOD": method,
            "LOAD_BODY": json.dumps(body) if body is not None else "",
        }
        # cwd: a folder of its own, so locust reads no locust.conf or pyproject.toml it happens to find
        child = children.start(command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            _, errors = child.communicate(timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            children.stop(child)
            raise RuntimeError(f"locust did not finish within {seconds + 60:g} s") from None
        finally:
            children.stop(child)
        stats = Path(f"{prefix}.json")  # written once, when the run ends
        if child.returncode != 0 or not stats.exists():
            raise RuntimeError(f"locust failed (exit {child.returncode}): {errors.strip()[-2000:]}")
        return parse_stats(json.loads(stats.read_text()))


def parse_stats(entries: list[dict]) -> LoadResult:
    """Sum locust's per-request stats (its --json-file) into one LoadResult."""
    requests = sum(entry["num_requests"] for entry in entries)
    failures = sum(entry["num_failures"] for entry in entries)
    times: dict[float, int] = {}
    for entry in entries:  # {response time in ms, rounded by locust: how many requests took it}
        for ms, count in entry["response_times"].items():
            times[float(ms)] = times.get(float(ms), 0) + count
    starts = [entry["start_time"] for entry in entries]
    ends = [entry["last_request_timestamp"] for entry in entries if entry["last_request_timestamp"]]
    elapsed = max(ends) - min(starts) if starts and ends else 0.0
    return LoadResult(
        requests=requests,
        failures=failures,
        throughput=requests / elapsed if elapsed > 0 else 0.0,
        p50_ms=percentile(times, 0.50),
        p99_ms=percentile(times, 0.99),
    )


def percentile(times: dict[float, int], fraction: float) -> float:
    """The smallest time that at least `fraction` of the requests took no longer than (0 when there are none)."""
    total = sum(times.values())
    seen = 0
    for ms in sorted(times):
        seen += times[ms]
        if seen >= fraction * total:
            return ms
    return 0.0
