"""Every chapter fits in a Binder session: its kernel and the processes it starts stay under tools.memory.LIMIT_MB."""

import subprocess
import sys

import pytest

from tools.memory import LIMIT_MB, MB, TreeSampler, chapters, kernel_high_water_mark, measure

SOLVED = chapters([])


def test_the_sampler_counts_child_processes():
    allocate = "import sys; block = b'x' * (200 * 1024 * 1024); print('ready', flush=True); sys.stdin.read()"
    parent = subprocess.Popen([sys.executable, "-c", f"import subprocess, sys; subprocess.run([sys.executable, '-c', "
                               f"{allocate!r}])"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "ready"
        assert TreeSampler(parent.pid).sample() > 200 * MB
        assert kernel_high_water_mark(parent.pid) < 100 * MB  # VmHWM is the process's own peak, children excluded
    finally:
        parent.stdin.close()  # the child reads EOF and exits, then the parent
        parent.wait(10)


@pytest.mark.parametrize("path", SOLVED, ids=[path.stem for path in SOLVED])
def test_chapter_stays_within_binder_memory(path):
    measured = measure(path)
    assert not measured.error, f"{path.name} did not run to the end: {measured.error}"
    assert measured.peak_mb < LIMIT_MB, (f"{path.name} peaked at {measured.peak_mb:.0f} MB "
                                         f"(kernel {measured.kernel_peak_mb:.0f} MB, with children "
                                         f"{measured.tree_peak_mb:.0f} MB); Binder allows 2048 MB for everything")
