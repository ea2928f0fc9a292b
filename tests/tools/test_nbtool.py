import nbformat
import pytest

from tools import nbtool

SOURCE = """\
def f():
    ### BEGIN SOLUTION
    return 1
    ### END SOLUTION

### BEGIN SOLUTION
x = 1
### STUB
x = None  # YOUR CODE HERE
### END SOLUTION
"""


def test_solution_keeps_the_solution_lines():
    assert nbtool.split_solution(SOURCE, "solution") == "def f():\n    return 1\n\nx = 1"


def test_learner_gets_stubs():
    assert nbtool.split_solution(SOURCE, "learner") == (
        "def f():\n    raise NotImplementedError  # YOUR CODE HERE\n\nx = None  # YOUR CODE HERE")


@pytest.mark.parametrize("broken", [
    "### BEGIN SOLUTION\nx = 1",
    "### END SOLUTION",
    "### STUB",
    "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
])
def test_unpaired_markers_are_errors(broken):
    with pytest.raises(nbtool.SourceError):
        nbtool.split_solution(broken, "solution")


def test_a_top_level_block_needs_a_stub():
    with pytest.raises(nbtool.SourceError, match="STUB"):
        nbtool.split_solution("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "learner")


def test_clean_is_deterministic_and_idempotent():
    kernelspec = {"name": "other", "display_name": "Other"}
    notebook = nbformat.v4.new_notebook(metadata={"widgets": {}, "kernelspec": kernelspec})
    notebook.cells = [nbformat.v4.new_markdown_cell("# t"),
                      nbformat.v4.new_code_cell("1", execution_count=7,
                                                metadata={"execution": {"iopub.status.idle": "2026-01-01"}}),
                      nbformat.v4.new_code_cell("2")]
    cleaned = nbtool.clean(notebook)
    assert [c["id"] for c in cleaned.cells] == ["c000", "c001", "c002"]
    assert cleaned.cells[1].execution_count == 1 and cleaned.cells[1].metadata == {}
    assert cleaned.cells[2].execution_count is None
    assert cleaned.metadata["kernelspec"]["name"] == "python3" and "widgets" not in cleaned.metadata
    assert nbtool.clean(cleaned) == cleaned


def test_committed_notebooks_are_fresh_clean_and_executed():
    assert nbtool.problems() == []


def test_a_stale_notebook_is_reported(tmp_path, monkeypatch):
    source = tmp_path / "chapters" / "00_demo.py"
    source.parent.mkdir()
    source.write_text("# %%\nx = 1\n")
    for folder, version in nbtool.VERSIONS.items():
        (tmp_path / folder).mkdir()
        notebook = nbtool.generate(source, version)
        notebook.cells[0].execution_count = 1
        nbformat.write(nbtool.clean(notebook), tmp_path / folder / "00_demo.ipynb")
    monkeypatch.setattr(nbtool, "ROOT", tmp_path)
    monkeypatch.setattr(nbtool, "SOURCES", tmp_path / "chapters")
    assert nbtool.problems() == []
    source.write_text("# %%\nx = 2\n")
    assert any("stale" in problem for problem in nbtool.problems())
