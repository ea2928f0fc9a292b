"""Run a Postman collection with Newman, Postman's command-line runner, against a live server.

Newman is a Node.js program. The course pins it in tools/newman/ and installs it into build/newman/ (`make newman`,
which runs `npm ci` there), never globally: `newman_bin()` finds it, `install_newman()` puts it there.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PINNED = ROOT / "tools" / "newman"  # package.json + package-lock.json
INSTALLED = ROOT / "build" / "newman"
HOW_TO_INSTALL = (
    "Newman needs Node.js and npm (Debian: apt-get install nodejs npm; else https://nodejs.org), "
    "then `make newman` installs the pinned Newman into build/newman."
)


@dataclass(frozen=True)
class NewmanRun:
    """What one Newman run counted."""

    requests: int
    assertions: int
    failed: int  # failed assertions, plus requests that got no response
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.failed == 0 and self.requests > 0


def node_available() -> bool:
    """True when `node` and `npm` are on PATH."""
    return shutil.which("node") is not None and shutil.which("npm") is not None


def newman_bin() -> Path | None:
    """The installed newman executable, or None (run `make newman`)."""
    path = INSTALLED / "node_modules" / ".bin" / "newman"
    return path if path.exists() and shutil.which("node") else None


def install_newman() -> Path:
    """npm ci the pinned Newman into build/newman (a local folder; nothing global); return its executable."""
    if not node_available():
        raise RuntimeError(HOW_TO_INSTALL)
    INSTALLED.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(PINNED / name, INSTALLED / name)
    subprocess.run(
        ["npm", "ci", "--prefix", str(INSTALLED), "--no-audit", "--no-fund", "--loglevel=error"],
        check=True,
        capture_output=True,
        text=True,
    )
    found = newman_bin()
    if found is None:
        raise RuntimeError(f"npm ci ran, but {INSTALLED} has no newman")
    return found


def run_newman(collection: dict, timeout: float = 120) -> NewmanRun:
    """Run every request of `collection` in order with Newman; count requests, assertions and failures."""
    executable = newman_bin()
    if executable is None:
        raise RuntimeError(HOW_TO_INSTALL)
    with tempfile.TemporaryDirectory() as folder:
        source, report = Path(folder) / "collection.json", Path(folder) / "report.json"
        source.write_text(json.dumps(collection))
        done = subprocess.run(
            [
                str(executable),
                "run",
                str(source),
                "--reporters",
                "cli,json",
                "--reporter-json-export",
                str(report),
                "--disable-unicode",
                "--color",
                "off",
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        stats = json.loads(report.read_text())["run"]["stats"] if report.exists() else {}
    requests, assertions = stats.get("requests", {}), stats.get("assertions", {})
    return NewmanRun(
        requests=requests.get("total", 0),
        assertions=assertions.get("total", 0),
        failed=assertions.get("failed", 0) + requests.get("failed", 0),
        returncode=done.returncode,
        output=done.stdout + done.stderr,
    )
