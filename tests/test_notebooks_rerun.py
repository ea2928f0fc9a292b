"""Run All twice in one kernel: every solved notebook must survive being run again without a restart."""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tools.jupyter_settings import KERNELSPEC

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_run_all_twice_in_one_kernel(path, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "progress.json"))
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name=KERNELSPEC["name"],
                            resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel(env=dict(os.environ)):
        for _ in range(2):
            for index, cell in enumerate(notebook.cells):
                client.execute_cell(cell, index)
