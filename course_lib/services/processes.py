"""Whether a process still runs: for sweeping what a dead kernel left behind (schemas, child processes)."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """True while a process with this id exists (and is not a zombie waiting to be reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:  # no /proc (macOS): kill(pid, 0) succeeding is all there is to know
        return True
