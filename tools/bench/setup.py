"""Set-up: `make install` (what `make lab` does before opening the server) vs a bare pip install; uv; venv size."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tools.bench.core import ROOT, Context, Figure, Goal, Skip, benchmark, measured, timed

VENV_LIMIT_MB = 320


def _run(*command: str | Path, cwd: Path = ROOT) -> None:
    subprocess.run([str(part) for part in command], cwd=cwd, check=True, capture_output=True, text=True)


def pip_install(venv: Path) -> None:
    """The baseline: an empty venv, then pip install of requirements.in with the same constraints."""
    _run(sys.executable, "-m", "venv", venv)
    _run(venv / "bin/python", "-m", "pip", "install", "-q", "-c", "constraints.txt", "-r", "requirements.in")


def make_install(venv: Path) -> None:
    """The course's set-up: `make install`, which `make lab` runs before it starts JupyterLab."""
    _run("make", "-s", "install", f"VENV={venv}", f"PYTHON={sys.executable}")


def uv_install(venv: Path) -> None:
    """The same packages and constraints through uv."""
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if not Path(uv).exists():
        raise Skip("uv is not installed (pip install -c constraints.txt uv)")
    _run(uv, "venv", "-q", "--python", sys.executable, venv)
    _run(uv, "pip", "install", "-q", "--python", venv / "bin/python", "-c", "constraints.txt", "-r", "requirements.in")


def size_mb(path: Path) -> float:
    """Disk use of a folder in MB (1e6 bytes), counting each hard-linked file once."""
    seen, total = set(), 0
    for folder, _, files in os.walk(path):
        for name in files:
            stat = os.lstat(os.path.join(folder, name))
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_blocks * 512
    return total / 1e6


def fresh_install(install) -> tuple[float, float]:
    """Seconds of one install into a new temporary venv, and the size of that venv in MB (then removed)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-venv-"))
    try:
        seconds = timed(lambda: install(folder / ".venv"), 1)[0]
        return seconds, size_mb(folder / ".venv")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@benchmark("set-up", "set-up: make install", "set-up: uv pip install (warm cache)", "runtime venv size")
def set_up(context: Context):
    """Install time of the course's set-up and of uv against bare pip, and the size of the venv it makes."""
    # One run each: an install takes minutes. The course's runs first, so it never gains from a cache pip filled.
    course, venv_mb = fresh_install(make_install)
    baseline = [fresh_install(pip_install)[0]]
    pip = "pip install -r requirements.in"
    yield measured("set-up: make install", [course], baseline, unit="s", baseline_name=pip, goal=Goal("<=", 1.2))
    try:
        cold = fresh_install(uv_install)[0]
        warm = [fresh_install(uv_install)[0]]
        yield measured("set-up: uv pip install (warm cache)", warm, baseline, unit="s", baseline_name=pip,
                       note=f"the first uv run, which fills its cache: {cold:.0f} s")
    except Skip as reason:
        yield Figure.skip("set-up: uv pip install (warm cache)", str(reason))
    yield Figure(name="runtime venv size", unit="MB", measured=venv_mb, samples=[venv_mb],
                 goal=Goal("<=", VENV_LIMIT_MB, "value", "MB"), note="the venv make install made")


IMPORT_NBFORMAT = "import nbformat"
WITHOUT_RFC3987 = "import sys; sys.modules['rfc3987_syntax'] = None; import nbformat"


def import_seconds(code: str, repeats: int) -> list[float]:
    """Wall time of a fresh interpreter running `code`."""
    return timed(lambda: _run(sys.executable, "-c", code), repeats)


def cumulative_imports(code: str, modules: tuple[str, ...]) -> dict[str, float]:
    """Cumulative import seconds of `modules` under `python -X importtime -c code` (those that were imported)."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                            check=True, cwd=ROOT)
    found = {}
    for line in result.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and parts[2].strip() in modules:
            found.setdefault(parts[2].strip(), int(parts[1]) / 1e6)
    return found


@benchmark("import nbformat", "import nbformat")
def nbformat_import(context: Context):
    """What every nbval, nbconvert and jupytext run pays: import nbformat, with and without rfc3987-syntax."""
    repeats = 3
    with_it = import_seconds(IMPORT_NBFORMAT, repeats)
    without = import_seconds(WITHOUT_RFC3987, repeats)
    parts = cumulative_imports(IMPORT_NBFORMAT, ("nbformat", "jsonschema", "rfc3987_syntax"))
    top = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in parts.items())
    yield measured("import nbformat (fresh interpreter)", with_it, without, unit="s",
                   baseline_name="same without rfc3987-syntax",
                   note=f"-X importtime, cumulative: {top}; rfc3987-syntax comes with "
                        "jupyterlab → jupyter-events → jsonschema[format-nongpl]")
