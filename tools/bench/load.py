"""Load on one URL with locust (headless, FastHttpUser), in its own process pinned to a CPU of its own.

`measure(url, *, users, seconds, headers=None)` has the signature of chapter 11's course_lib.lab.load.measure;
`method` and `body` add POST. The lead may point the GET figures at chapter 11's version once it is merged.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

LOCUSTFILE = '''
import json, os
from locust import FastHttpUser, constant, task

SPEC = json.loads(os.environ["BENCH_LOAD"])

class One(FastHttpUser):
    wait_time = constant(0)
    host = SPEC["host"]

    @task
    def hit(self):
        self.client.request(SPEC["method"], SPEC["path"], headers=SPEC["headers"],
                            data=SPEC["body"], name="target")
'''


@dataclass(frozen=True)
class LoadResult:
    """What a load run saw: requests sent, failures among them, requests per second, latency percentiles."""

    requests: int
    failures: int
    throughput: float
    p50_ms: float
    p99_ms: float


def _split(url: str) -> tuple[str, str]:
    scheme, rest = url.split("://", 1)
    host, _, path = rest.partition("/")
    return f"{scheme}://{host}", "/" + path


def measure(url: str, *, users: int, seconds: float, headers: dict[str, str] | None = None, method: str = "GET",
            body: dict | None = None, cpu: int | None = None) -> LoadResult:
    """Run `users` users without think time against `url` for `seconds`; the load generator runs pinned to `cpu`."""
    host, path = _split(url)
    spec = {"host": host, "path": path, "method": method, "headers": {**(headers or {})},
            "body": json.dumps(body) if body is not None else None}
    if body is not None:
        spec["headers"]["Content-Type"] = "application/json"
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        locustfile = Path(folder) / "locustfile.py"
        locustfile.write_text(LOCUSTFILE)
        command = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--only-summary",
                   "-u", str(users), "-r", str(users), "-t", f"{seconds:g}s", "--csv", f"{folder}/run",
                   "--loglevel", "ERROR", "--stop-timeout", "1"]
        if cpu is not None:
            command = ["taskset", "-c", str(cpu), *command]
        subprocess.run(command, check=False, capture_output=True, text=True, timeout=seconds + 60,
                       env={**os.environ, "BENCH_LOAD": json.dumps(spec)}, cwd=folder)
        return read_stats(Path(folder) / "run_stats.csv")


def read_stats(path: Path) -> LoadResult:
    """The Aggregated row of locust's --csv stats file."""
    if not path.exists():
        raise RuntimeError("locust wrote no statistics (is locust installed? pip install -c constraints.txt locust)")
    with path.open(newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    total = rows["Aggregated"]
    return LoadResult(requests=int(total["Request Count"]), failures=int(total["Failure Count"]),
                      throughput=float(total["Requests/s"]), p50_ms=float(total["50%"]), p99_ms=float(total["99%"]))
