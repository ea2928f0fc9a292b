"""Job functions for the tests (importable by name, as every RQ job function must be)."""

import time


def spin(seconds: float) -> str:
    """Busy in Python bytecode for `seconds` (a timer's exception can only interrupt Python code, not a C sleep)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.01)
    return "done"


def crash() -> None:
    """Fail with a message a response must never show."""
    raise RuntimeError("secret internals: password=hunter2")
