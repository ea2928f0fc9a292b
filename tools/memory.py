"""Peak memory of every chapter: execute each solved notebook in a fresh kernel and measure what it used.

    python -m tools.memory [NN ...] [--limit-mb 1536] [--json build/memory.json]

Binder gives a session 2 GB for everything: the Jupyter server, the kernel and whatever the kernel starts (uvicorn
replicas, nginx, workers). For each chapter this prints the kernel's own peak resident set (VmHWM from /proc, exact)
and the peak of the kernel plus all its child processes together (sampled every SAMPLE_SECONDS), and exits 1 when a
chapter's peak goes over the limit, or when a chapter does not run to the end. Chapters run as on Binder
(JUPYTERHUB_SERVICE_PREFIX set), so a chapter that only breaks there fails here too. `make nbval` checks the same
limit without a run of its own: tools.nbval_passes samples the kernel nbval runs each solved notebook in.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tools.jupyter_settings import KERNELSPEC

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
LIMIT_MB = 1536  # of Binder's 2048 MB, leaving room for the Jupyter server (about 100 MB) and the browser's session
SAMPLE_SECONDS = 0.05
MB = 1024 * 1024
BINDER_PREFIX = "/user/learner/"  # each chapter runs as on Binder, where JupyterHub sets JUPYTERHUB_SERVICE_PREFIX


@dataclass
class Measurement:
    """What one chapter used."""

    notebook: str
    seconds: float
    kernel_peak_mb: float  # VmHWM of the kernel process
    tree_peak_mb: float  # sampled peak of the kernel plus its descendants
    error: str = ""  # the exception of the cell that failed, if one did

    @property
    def peak_mb(self) -> float:
        return max(self.kernel_peak_mb, self.tree_peak_mb)


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process and its descendants until stopped; keeps the peak."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(SAMPLE_SECONDS):
            self.peak = max(self.peak, self.sample())

    def sample(self) -> int:
        total = 0
        try:
            processes = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0
        for process in processes:
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:  # a child that ended between listing and reading
                pass
        return total

    def stop(self) -> int:
        self.peak = max(self.peak, self.sample())
        self.done.set()
        self.join()
        return self.peak


def kernel_high_water_mark(pid: int) -> int:
    """The kernel's peak resident set size in bytes (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def measure(path: Path, timeout: int = 900) -> Measurement:
    """Execute the notebook at `path` top to bottom in a fresh kernel, as on Binder, and measure its memory."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name=KERNELSPEC["name"], resources={"metadata": {"path": str(path.parent)}}
    )
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            "JUPYTERHUB_SERVICE_PREFIX": BINDER_PREFIX,
            **os.environ,
            "COURSE_PROGRESS_FILE": str(Path(scratch) / "progress.json"),
        }
        started = time.perf_counter()
        # The kernel's stderr carries only start-up warnings; a failing cell raises CellExecutionError here.
        with client.setup_kernel(env=env, stderr=subprocess.DEVNULL):
            # setup_kernel has started the kernel: its manager and local provisioner exist, and the process has a pid.
            pid = client.km.provisioner.pid  # type: ignore[union-attr]
            sampler = TreeSampler(pid)
            sampler.start()
            error = ""
            try:
                for index, cell in enumerate(notebook.cells):
                    client.execute_cell(cell, index)
            except CellExecutionError as failed:
                error = f"cell {index}: {failed.ename}: {failed.evalue}"
            finally:
                tree_peak = sampler.stop()
            kernel_peak = kernel_high_water_mark(pid)
        seconds = time.perf_counter() - started
    return Measurement(path.name, round(seconds, 1), round(kernel_peak / MB, 1), round(tree_peak / MB, 1), error)


def chapters(selected: list[str]) -> list[Path]:
    """The solved notebooks, all or those whose number is in `selected`."""
    paths = sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))
    if selected:
        paths = [path for path in paths if path.name[:2] in {number.zfill(2) for number in selected}]
    return paths


def table(rows: list[Measurement], limit_mb: float) -> str:
    lines = [f"{'chapter':<42} {'time s':>7} {'kernel MB':>10} {'tree MB':>8}  within {limit_mb:.0f} MB", "-" * 80]
    for row in rows:
        verdict = "yes" if row.peak_mb <= limit_mb else "NO"
        if row.error:
            verdict += f" (failed at {row.error})"
        lines.append(
            f"{row.notebook:<42} {row.seconds:>7.1f} {row.kernel_peak_mb:>10.1f} {row.tree_peak_mb:>8.1f}  {verdict}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="chapter numbers (default: every solved notebook)")
    parser.add_argument("--limit-mb", type=float, default=LIMIT_MB)
    parser.add_argument("--json", type=Path, help="also write the measurements to this file")
    args = parser.parse_args(argv)
    rows = []
    for path in chapters(args.chapters):
        print(f"running {path.name} ...", file=sys.stderr, flush=True)
        rows.append(measure(path))
    print(table(rows, args.limit_mb))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(row) for row in rows], indent=2) + "\n")
    over = [row.notebook for row in rows if row.peak_mb > args.limit_mb]
    if over:
        print(f"over {args.limit_mb:.0f} MB: {', '.join(over)}", file=sys.stderr)
    failed = [row.notebook for row in rows if row.error]
    if failed:
        print(f"did not run to the end (their peak is a lower bound): {', '.join(failed)}", file=sys.stderr)
    return 1 if over or failed else 0


if __name__ == "__main__":
    sys.exit(main())
