"""A PostgreSQL cluster of one's own (initdb in a temporary folder, a free port): restart() it under a running app
to see whether the app's pool recovers. Never the server DATABASE_URL names: other processes use that one.

initdb and pg_ctl refuse to run as root: as root, they run as the `postgres` user (runuser).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from course_lib.lab.children import HOST, free_port


def server_binaries() -> Path | None:
    """PostgreSQL's server binaries (initdb, pg_ctl): `pg_config --bindir`, else Debian's newest, else None."""
    found = []
    if shutil.which("pg_config"):
        done = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        found.append(Path(done.stdout.strip()))
    found += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    return next((folder for folder in found if (folder / "initdb").exists() and (folder / "pg_ctl").exists()), None)


class OwnPostgres:
    """initdb + pg_ctl start on a free loopback port; url for SQLAlchemy; restart(); close() removes it all."""

    def __init__(self) -> None:
        binaries = server_binaries()
        if binaries is None:
            raise RuntimeError("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")
        self.bin: Path = binaries
        self.as_root = os.geteuid() == 0
        if self.as_root and not shutil.which("runuser"):
            raise RuntimeError("running as root and no runuser to run initdb as the postgres user")
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="course-own-pg-"))
        self.data = self.folder / "data"
        if self.as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@{HOST}:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=self.folder, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}): {(done.stdout + done.stderr)[-1500:]}")

    def start(self) -> None:
        """Start the server and wait until it accepts connections (pg_ctl -w)."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses={HOST} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "pg.log"), "-w", "-o", options, "start")

    def restart(self) -> float:
        """Stop (fast: every connection cut) and start again; the seconds it took."""
        started = time.monotonic()
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        self.start()
        return time.monotonic() - started

    def close(self) -> None:
        """Stop the server (immediate) and remove its files."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except RuntimeError:
            pass  # not running
        shutil.rmtree(self.folder, ignore_errors=True)
