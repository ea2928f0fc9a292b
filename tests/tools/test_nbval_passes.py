"""The nbval plugin: one execution per notebook proves strict outputs, Run All twice and peak memory together."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[2]
LIMIT_MB = 400  # well above a bare kernel (about 60 MB), well below the 600 MB notebook


def notebook(folder: Path, name: str, *cells) -> None:
    """Write a notebook of code cells; a (source, stdout) pair is a cell run once with that committed output."""
    code_cells = []
    for cell in cells:
        if isinstance(cell, tuple):
            source, stdout = cell
            code_cells.append(
                new_code_cell(source, execution_count=1, outputs=[new_output("stream", name="stdout", text=stdout)])
            )
        else:
            code_cells.append(new_code_cell(cell))
    book = new_notebook(
        cells=code_cells, metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    )
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(book, folder / f"{name}.ipynb")


HOLD_600_MB_IN_A_CHILD = """\
import subprocess, sys
hold = "import sys; b = b'x' * (600 * 1024 * 1024); print('ready', flush=True); sys.stdin.read()"
child = subprocess.Popen([sys.executable, "-c", hold], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
assert child.stdout.readline() == "ready\\n"
import time; time.sleep(0.5)  # the sampler looks every 50 ms
child.stdin.close(); child.wait()
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Run the plugin once over small notebooks; map each item's name to (outcome, failure text)."""
    folder = tmp_path_factory.mktemp("nbval-passes")
    twice, once = folder / "twice", folder / "once"
    notebook(twice, "counts", ("counter = globals().get('counter', 0) + 1\nprint(counter)", "1\n"))
    notebook(twice, "wrong_output", ("print(2)", "5\n"))
    notebook(twice, "not_rerunnable", "assert 'ran' not in globals(), 'this cell ran before'\nran = True")
    notebook(twice, "breaks_on_binder", "import os\nassert 'JUPYTERHUB_SERVICE_PREFIX' not in os.environ, 'Binder!'")
    notebook(twice, "big_child", HOLD_600_MB_IN_A_CHILD)
    notebook(once, "not_rerunnable", "assert 'ran' not in globals(), 'this cell ran before'\nran = True")
    report = folder / "report.xml"
    env = {key: value for key, value in os.environ.items() if key != "JUPYTERHUB_SERVICE_PREFIX"}
    env["PYTHONPATH"] = str(ROOT)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tools.nbval_passes",
            "--nbval",
            "-p",
            "no:cacheprovider",
            "--run-twice",
            str(twice),
            "--peak-mb",
            str(LIMIT_MB),
            f"--junitxml={report}",
            "-q",
            "--rootdir",
            str(folder),
            str(twice),
            str(once),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    outcomes = {}
    for case in ElementTree.parse(report).iter("testcase"):  # classname "twice.counts.ipynb", name "Cell 0 run 2"
        failure = case.find("failure")
        outcomes[f"{case.get('classname')}::{case.get('name')}"] = (
            ("failed", failure.text or "") if failure is not None else ("passed", "")
        )
    return outcomes


def outcome(results, folder: str, name: str, item: str) -> tuple[str, str]:
    key = f"{folder}.{name}.ipynb::{item}"
    assert key in results, f"{key} not among {sorted(results)}"
    return results[key]


def test_first_run_is_compared_with_the_committed_outputs_second_run_is_not(results):
    assert outcome(results, "twice", "counts", "Cell 0") == ("passed", "")
    assert outcome(results, "twice", "counts", "Cell 0 run 2") == ("passed", "")  # printed 2, committed 1


def test_a_wrong_output_still_fails_strictly(results):
    status, text = outcome(results, "twice", "wrong_output", "Cell 0")
    assert status == "failed" and "Cell outputs differ" in text


def test_a_cell_that_cannot_run_again_fails_its_second_run(results):
    assert outcome(results, "twice", "not_rerunnable", "Cell 0")[0] == "passed"
    status, text = outcome(results, "twice", "not_rerunnable", "Cell 0 run 2")
    assert status == "failed"
    assert "second Run All in the same kernel" in text and "this cell ran before" in text


def test_the_second_run_is_as_on_binder(results):
    assert outcome(results, "twice", "breaks_on_binder", "Cell 0")[0] == "passed"
    status, text = outcome(results, "twice", "breaks_on_binder", "Cell 0 run 2")
    assert status == "failed" and "Binder!" in text


def test_notebooks_outside_the_folder_run_once(results):
    assert outcome(results, "once", "not_rerunnable", "Cell 0")[0] == "passed"
    assert not [key for key in results if key.startswith("once.") and key.endswith("run 2")]


def test_memory_of_the_processes_a_notebook_starts_counts(results):
    status, text = outcome(results, "twice", "big_child", "peak memory")
    assert status == "failed"
    assert "big_child.ipynb peaked at" in text and f"the limit is {LIMIT_MB} MB" in text


def test_a_notebook_under_the_limit_passes(results):
    assert outcome(results, "twice", "counts", "peak memory") == ("passed", "")


def test_a_kernel_that_dies_while_starting_is_started_again_a_bounded_number_of_times():
    from tools.nbval_passes import KERNEL_STARTS, starting_again

    attempts = []

    def dies_twice(**kwargs):
        attempts.append(kwargs)
        if len(attempts) < 3:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return "manager", "client"

    assert starting_again(dies_twice)(kernel_name="backend-course") == ("manager", "client")
    assert len(attempts) == 3 and attempts[0] == {"kernel_name": "backend-course"}

    attempts.clear()

    def always_dies(**kwargs):
        attempts.append(kwargs)
        raise RuntimeError("Kernel died before replying to kernel_info")

    with pytest.raises(RuntimeError, match="died"):
        starting_again(always_dies)(kernel_name="backend-course")
    assert len(attempts) == KERNEL_STARTS


def test_any_other_failure_of_a_kernel_start_is_not_retried():
    from tools.nbval_passes import starting_again

    attempts = []

    def no_such_kernel(**kwargs):
        attempts.append(kwargs)
        raise KeyError("no kernel named nonesuch")

    with pytest.raises(KeyError):
        starting_again(no_such_kernel)(kernel_name="nonesuch")
    assert len(attempts) == 1
