"""Child processes tied to their parent: stopped on request, at exit, and when the parent is killed."""

import os
import signal
import subprocess
import sys
import textwrap
import time

from course_lib.lab import children
from course_lib.services.processes import alive

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def wait_until(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_stop_ends_the_child_and_forgets_it():
    child = children.start(SLEEPER)
    assert child in children.live() and alive(child.pid)
    children.stop(child)
    assert child not in children.live() and not alive(child.pid)
    assert children.stop(child) is not None  # idempotent


def test_a_child_dies_when_its_parent_is_killed():
    # The parent is SIGKILLed: no atexit runs, so only PR_SET_PDEATHSIG can end the grandchild.
    parent_code = textwrap.dedent(f"""
        from course_lib.lab import children
        child = children.start({SLEEPER!r})
        print(child.pid, flush=True)
        import time; time.sleep(60)
    """)
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_code],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    grandchild = int(parent.stdout.readline())
    assert alive(grandchild)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    parent.stdout.close()
    assert wait_until(lambda: not alive(grandchild))


def test_children_stop_when_the_parent_exits_normally():
    parent_code = textwrap.dedent(f"""
        from course_lib.lab import children
        child = children.start({SLEEPER!r})
        print(child.pid, flush=True)
    """)
    done = subprocess.run(
        [sys.executable, "-c", parent_code],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert not alive(int(done.stdout))
