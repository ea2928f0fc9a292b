"""Benchmarks that back the course's performance claims; numbers printed, measured in this one run.

    python -m tools.bench                 server start → first 200, median over runs
    python -m tools.bench --notebooks     also: time per notebook of what `make nbval` runs on it
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def server_start_to_first_200(runs: int = 20) -> list[float]:
    """Seconds from serve() being called to the first 200 of GET /health, per run."""
    from course_lib.notebook.server import serve
    from course_lib.taskapi import latest

    timings = []
    for _ in range(runs):
        app = latest()
        started = time.perf_counter()
        api = serve(app, name="bench")
        response = api.get("/health")
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
        api.stop()
    return timings


def nbval_seconds(path: Path) -> float:
    """Wall time of strict nbval over one notebook (kernel start included); a solved one also runs twice, measured."""
    passes = ["-p", "tools.nbval_passes", "--run-twice", "solutions"]
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", *passes, "--nbval", "--nbval-sanitize-with",
                    "tests/nbval_sanitize.cfg", "-p", "no:cacheprovider", "-q", str(path)], cwd=ROOT, check=True,
                   capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--notebooks", action="store_true")
    args = parser.parse_args()
    timings = server_start_to_first_200(args.runs)
    print(f"server start → first 200: median {statistics.median(timings) * 1000:.1f} ms, "
          f"max {max(timings) * 1000:.1f} ms over {len(timings)} runs")
    if args.notebooks:
        for path in sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb")):
            print(f"nbval {path.relative_to(ROOT)}: {nbval_seconds(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
