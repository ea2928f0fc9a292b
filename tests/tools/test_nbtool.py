import re

import nbformat
import pytest
from fastapi import FastAPI
from nbval.plugin import get_sanitize_patterns

from course_lib.notebook.server import serve
from tools import nbtool

ROOT = nbtool.ROOT
# ipykernel 7's kernel_info reply for Python 3.11, less help_links (JupyterLab does not write those back)
KERNEL_LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
    "version": "3.11.2",
}

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
        "def f():\n    raise NotImplementedError  # YOUR CODE HERE\n\nx = None  # YOUR CODE HERE"
    )


@pytest.mark.parametrize(
    "broken",
    [
        "### BEGIN SOLUTION\nx = 1",
        "### END SOLUTION",
        "### STUB",
        "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
    ],
)
def test_unpaired_markers_are_errors(broken):
    with pytest.raises(nbtool.SourceError):
        nbtool.split_solution(broken, "solution")


def test_a_top_level_block_needs_a_stub():
    with pytest.raises(nbtool.SourceError, match="STUB"):
        nbtool.split_solution("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "learner")


def test_clean_is_deterministic_and_idempotent():
    kernelspec = {"name": "other", "display_name": "Other"}
    notebook = nbformat.v4.new_notebook(metadata={"widgets": {}, "kernelspec": kernelspec})
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# t"),
        nbformat.v4.new_code_cell("1", execution_count=7, metadata={"execution": {"iopub.status.idle": "2026-01-01"}}),
        nbformat.v4.new_code_cell("2"),
    ]
    cleaned = nbtool.clean(notebook)
    assert [c["id"] for c in cleaned.cells] == ["c000", "c001", "c002"]
    assert cleaned.cells[1].execution_count == 1 and cleaned.cells[1].metadata == {}
    assert cleaned.cells[2].execution_count is None
    assert cleaned.metadata["kernelspec"] == nbtool.KERNELSPEC and "widgets" not in cleaned.metadata
    assert nbtool.clean(cleaned) == cleaned


def test_every_notebook_names_the_course_kernel_as_jupyterlab_writes_it():
    assert nbtool.KERNELSPEC == {"name": "backend-course", "display_name": "Backend course", "language": "python"}


def test_clean_keeps_what_the_kernel_reports_about_its_language():
    reported = {**KERNEL_LANGUAGE_INFO, "help_links": [{"text": "Python", "url": "https://docs.python.org"}]}
    notebook = nbformat.v4.new_notebook(metadata={"language_info": reported})
    assert nbtool.clean(notebook).metadata["language_info"] == KERNEL_LANGUAGE_INFO
    assert nbtool.clean(nbformat.v4.new_notebook()).metadata["language_info"] == {"name": "python"}


def test_the_api_docs_link_and_ephemeral_ports_become_placeholders():
    api = serve(FastAPI())
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "api",
                execution_count=1,
                outputs=[
                    nbformat.v4.new_output("execute_result", {"text/html": api._repr_html_(), "text/plain": repr(api)}),
                    nbformat.v4.new_output("stream", name="stdout", text=f"link: <{api.url}/tasks?page=2>\n"),
                    nbformat.v4.new_output("stream", name="stdout", text="uvicorn serves http://127.0.0.1:8000/docs\n"),
                ],
            )
        ]
    )
    html, first_page, taught = nbtool.clean(notebook).cells[0].outputs
    assert "href" not in html.data["text/html"] and nbtool.DOCS_LINK_PLACEHOLDER in html.data["text/html"]
    assert html.data["text/plain"] == "<api at http://127.0.0.1:PORT — docs: http://127.0.0.1:PORT/docs>"
    assert first_page.text == "link: <http://127.0.0.1:PORT/tasks?page=2>\n"
    assert taught.text == "uvicorn serves http://127.0.0.1:8000/docs\n"


@pytest.mark.parametrize("prefix", [None, "/user/learner/"])
def test_nbval_sees_the_placeholder_and_the_live_link_as_equal(monkeypatch, prefix):
    if prefix:
        monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", prefix)
    else:
        monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    live = serve(FastAPI())._repr_html_()
    committed = nbtool.placehold_links(live)
    assert committed != live
    assert sanitized(committed) == sanitized(live)
    assert sanitized(committed.replace("appears here", "appears")) != sanitized(live)


def sanitized(text: str) -> str:
    for regex, replace in get_sanitize_patterns((ROOT / "tests" / "nbval_sanitize.cfg").read_text()):
        text = re.sub(regex, replace, text)
    return text


def test_a_missing_kernel_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setitem(nbtool.KERNELSPEC, "name", "no-such-course-kernel")
    assert nbtool.main(["build", "00"]) == 2
    assert "'no-such-course-kernel' is not installed here: run `make install`" in capsys.readouterr().err


def test_committed_notebooks_are_fresh_clean_and_executed():
    assert nbtool.problems() == []


def test_a_stale_notebook_is_reported(tmp_path, monkeypatch):
    source = tmp_path / "chapters" / "00_demo.py"
    source.parent.mkdir()
    source.write_text("# %%\nx = 1\n")
    for folder, version in nbtool.VERSIONS.items():
        (tmp_path / folder).mkdir()
        notebook = nbtool.generate(source, version)
        for number, cell in enumerate(c for c in notebook.cells if c.cell_type == "code"):
            cell.execution_count = number + 1
        notebook.metadata["language_info"] = KERNEL_LANGUAGE_INFO
        nbformat.write(nbtool.clean(notebook), tmp_path / folder / "00_demo.ipynb")
    monkeypatch.setattr(nbtool, "ROOT", tmp_path)
    monkeypatch.setattr(nbtool, "SOURCES", tmp_path / "chapters")
    assert nbtool.problems() == []
    source.write_text("# %%\nx = 2\n")
    assert any("stale" in problem for problem in nbtool.problems())


def test_every_notebook_ends_with_what_the_api_gained(tmp_path):
    source = tmp_path / "07_demo.py"
    source.write_text("# %%\nx = 1\n")
    for version in nbtool.VERSIONS.values():
        *_, heading, code = nbtool.generate(source, version).cells
        assert heading.cell_type == "markdown" and heading.source.startswith("## What the API gained")
        assert code.cell_type == "code" and code.source.endswith("show_api_changes(7)")
        assert heading.metadata["tags"] == code.metadata["tags"] == [nbtool.API_CHANGES_TAG]
