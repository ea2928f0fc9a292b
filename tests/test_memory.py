"""The memory sampler behind `make memory` and nbval's peak-memory check (tools.nbval_passes, run by `make nbval`)."""

import subprocess
import sys

from tools.memory import MB, TreeSampler, kernel_high_water_mark


def test_the_sampler_counts_child_processes():
    allocate = "import sys; block = b'x' * (200 * 1024 * 1024); print('ready', flush=True); sys.stdin.read()"
    parent = subprocess.Popen(
        [sys.executable, "-c", f"import subprocess, sys; subprocess.run([sys.executable, '-c', {allocate!r}])"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout.readline().strip() == "ready"
        assert TreeSampler(parent.pid).sample() > 200 * MB
        assert kernel_high_water_mark(parent.pid) < 100 * MB  # VmHWM is the process's own peak, children excluded
    finally:
        parent.stdin.close()  # the child reads EOF and exits, then the parent
        parent.wait(10)
