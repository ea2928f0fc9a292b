"""Set-up: `make install` (what `make lab` does before opening the server) vs a bare pip install; venv size."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tools.bench.core import ROOT, Context, Figure, Goal, benchmark, measured, timed

VENV_LIMIT_MB = 320
IMPORT_NBFORMAT = "import nbformat"


def _run(*command: str | Path, cwd: Path = ROOT) -> None:
    subprocess.run([str(part) for part in command], cwd=cwd, check=True, capture_output=True, text=True)


def pip_install(venv: Path) -> None:
    """The baseline: an empty venv, then pip install of requirements.in with the same constraints."""
    _run(sys.executable, "-m", "venv", venv)
    _run(venv / "bin/python", "-m", "pip", "install", "-q", "-c", "constraints.txt", "-r", "requirements.in")


def make_install(venv: Path) -> None:
    """The course's set-up: `make install`, which `make lab` runs before it starts JupyterLab."""
    _run("make", "-s", "install", f"VENV={venv}", f"PYTHON={sys.executable}")


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


def fresh_install(install, inspect) -> tuple[float, float, dict[str, Any]]:
    """Seconds of one install into a new temporary venv, its size in MB, and what `inspect(venv)` says of it; then
    the venv is removed."""
    folder = Path(tempfile.mkdtemp(prefix="bench-venv-"))
    venv = folder / ".venv"
    try:
        seconds = timed(lambda: install(venv), 1)[0]
        return seconds, size_mb(venv), inspect(venv)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


FLOOR = ("jupyterlab", "ipykernel")  # what any notebook course installs, whatever it teaches


def footprint_mb(venv: Path, roots: tuple[str, ...]) -> float:
    """MB of the installed files of `roots` and everything they require (their RECORDs), in `venv`."""
    code = (
        "import os, re, sys\n"
        "from importlib.metadata import distribution, PackageNotFoundError\n"
        "seen, todo, total = set(), [(name, ()) for name in sys.argv[1:]], 0\n"
        "while todo:\n"
        "    name, extras = todo.pop()\n"
        "    name = re.sub(r'[-_.]+', '-', name).lower()\n"
        "    try: dist = distribution(name)\n"
        "    except PackageNotFoundError: continue\n"
        "    if name not in seen:\n"
        "        seen.add(name)\n"
        "        total += sum(os.stat(f.locate()).st_blocks * 512 for f in dist.files or [] if f.locate().is_file())\n"
        "    for requirement in dist.requires or []:\n"
        "        extra = re.search(r'extra == .([A-Za-z0-9_.-]+)', requirement)\n"
        "        if extra and extra.group(1) not in extras: continue\n"
        "        wanted = re.match(r'([A-Za-z0-9_.-]+)(?:\\[([^]]*)\\])?', requirement)\n"
        "        more = tuple(x.strip() for x in (wanted.group(2) or '').split(',') if x.strip())\n"
        "        todo.append((wanted.group(1), more))\n"
        "print(total / 1e6)\n"
    )
    result = subprocess.run([str(venv / "bin/python"), "-c", code, *roots], capture_output=True, text=True, check=True)
    return float(result.stdout)


def inspect_venv(venv: Path) -> dict[str, Any]:
    """JupyterLab's own share of the venv, and a fresh interpreter's `import nbformat` there (3 runs)."""
    python = venv / "bin/python"
    return {
        "floor_mb": footprint_mb(venv, FLOOR),
        "plots_mb": footprint_mb(venv, ("matplotlib",)),
        "import_nbformat": timed(lambda: _run(python, "-c", IMPORT_NBFORMAT), 3),
    }


@benchmark("set-up", "set-up: make install", "runtime venv size", "import nbformat (fresh interpreter)")
def set_up(context: Context):
    """make install (uv) against a bare pip install; the venv's size beside JupyterLab's; nbformat's import in both."""
    # One run each: an install takes a while. The course's runs first, so it never gains from a cache pip filled.
    course, venv_mb, ours = fresh_install(make_install, inspect_venv)
    pip_seconds, _, bare = fresh_install(pip_install, inspect_venv)
    pip = "pip install -r requirements.in"
    yield measured(
        "set-up: make install",
        [course],
        [pip_seconds],
        unit="s",
        baseline_name=pip,
        goal=Goal("<=", 1.2),
        note="uv from PyPI into the venv, its cache warm (USE_UV=0: pip)",
    )
    yield Figure(
        name="runtime venv size",
        unit="MB",
        measured=venv_mb,
        samples=[venv_mb],
        baseline=ours["floor_mb"],
        baseline_samples=[ours["floor_mb"]],
        baseline_name=f"{' + '.join(FLOOR)} and their requirements",
        goal=Goal("<=", VENV_LIMIT_MB, "value", "MB"),
        note=f"the venv make install made (bytecode compiled, as pip does); "
        f"matplotlib and its requirements (the plots of five chapters): {ours['plots_mb']:.0f} MB",
    )
    yield measured(
        "import nbformat (fresh interpreter)",
        ours["import_nbformat"],
        bare["import_nbformat"],
        unit="s",
        baseline_name="in the bare pip venv",
        note="make install removes rfc3987-syntax: jsonschema builds its Lark grammar on import (for the "
        "'iri' format only), ~2.7 s in every process that imports nbformat",
    )
