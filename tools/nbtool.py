"""Build, check and clean the course notebooks from their one source: chapters/NN_slug.py (jupytext percent).

    python -m tools.nbtool build [NN ...]   generate solutions/ and notebooks/ from chapters/, execute, clean
    python -m tools.nbtool check            fail when a committed notebook is stale, unexecuted or unclean
    python -m tools.nbtool clean            normalise the committed notebooks in place

A code cell of a chapter source may hold solution blocks:

    ### BEGIN SOLUTION
    answer = 404
    ### STUB
    answer = None  # YOUR CODE HERE
    ### END SOLUTION

The solved notebook keeps the solution lines, the learner notebook the stub lines. Without a STUB part an indented
block becomes `raise NotImplementedError  # YOUR CODE HERE`, which the checks report as Not attempted.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import sys
import tempfile
from pathlib import Path

from course_lib.notebook.solutions import SourceError, split_solution
from tools.jupyter_settings import KERNELSPEC

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "chapters"
VERSIONS = {"solutions": "solution", "notebooks": "learner"}
KEPT_CELL_METADATA = ("tags",)
# What ipykernel reports on start; JupyterLab writes it into the notebook, so a notebook that lacks any of it opens
# as modified. `version` is the Python that built the notebook.
LANGUAGE_INFO_FIELDS = (
    "codemirror_mode",
    "file_extension",
    "mimetype",
    "name",
    "nbconvert_exporter",
    "pygments_lexer",
    "version",
)
# A server's link in a committed output points at a port of the build machine, dead until the cell runs again.
DOCS_LINK = re.compile(r'<a href="[^"]*" target="_blank">open the API docs \(Swagger UI\)</a>')
DOCS_LINK_PLACEHOLDER = "<i>the link to the API docs (Swagger UI) appears here once the API is running</i>"
LOOPBACK_URL = re.compile(r"http://127\.0\.0\.1:(\d+)")
FIRST_EPHEMERAL_PORT = 32768  # free ports the OS picks (port 0) come from here up; 8000 and friends are taught
# Every notebook ends with what its chapter changed in the API's contract, computed from the apps (api_changes.py).
API_CHANGES_TAG = "api-changes"
API_CHANGES_HEADING = """## What the API gained
The task API's OpenAPI at the end of this chapter against the previous chapter's, computed from the two apps:
operations, parameters, responses, security schemes and schemas added (+), changed (~) or removed (-)."""


def generate(source_path: Path, version: str):
    """An unexecuted notebook of `version` built from a chapter source."""
    import jupytext
    import nbformat

    text = jupytext.reads(source_path.read_text(), fmt="py:percent")
    notebook = nbformat.v4.new_notebook()
    for cell in text.cells:
        tags = list(cell.metadata.get("tags", []))
        metadata = {"tags": tags} if tags else {}
        if cell.cell_type == "markdown":
            notebook.cells.append(nbformat.v4.new_markdown_cell(cell.source, metadata=metadata))
        elif cell.cell_type == "code":
            try:
                code = split_solution(cell.source, version)
            except SourceError as error:
                raise SourceError(f"{source_path.name}: {error}") from None
            notebook.cells.append(nbformat.v4.new_code_cell(code, metadata=metadata))
    notebook.cells += api_changes_cells(int(source_path.name[:2]))
    return clean(notebook)


def api_changes_cells(number: int) -> list:
    """The generated last cells of chapter `number`'s notebook: a heading and show_api_changes(number)."""
    import nbformat

    metadata = {"tags": [API_CHANGES_TAG]}
    code = f"from course_lib.notebook.api_changes import show_api_changes\n\nshow_api_changes({number})"
    return [
        nbformat.v4.new_markdown_cell(API_CHANGES_HEADING, metadata=metadata),
        nbformat.v4.new_code_cell(code, metadata=metadata),
    ]


def clean(notebook):
    """Deterministic ids, sequential execution counts, no volatile metadata."""
    notebook = copy.deepcopy(notebook)
    language_info = notebook.metadata.get("language_info", {})
    notebook.metadata = {
        "kernelspec": dict(KERNELSPEC),
        "language_info": {
            "name": "python",
            **{key: language_info[key] for key in LANGUAGE_INFO_FIELDS if key in language_info},
        },
    }
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    count = 0
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"c{index:03d}"
        cell.metadata = {key: cell.metadata[key] for key in KEPT_CELL_METADATA if cell.metadata.get(key)}
        if cell.cell_type != "code":
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
            continue
        executed = cell.get("execution_count") is not None or bool(cell.get("outputs"))
        cell.execution_count = (count := count + 1) if executed else None
        for output in cell.get("outputs", []):
            if output.get("output_type") == "execute_result":
                output["execution_count"] = cell.execution_count
            if "metadata" in output:
                output["metadata"] = {}
            _placehold_links(output)
    return notebook


def placehold_links(text: str) -> str:
    """`text` with the server's docs link and this run's loopback ports replaced by what a reader can understand."""
    text = DOCS_LINK.sub(DOCS_LINK_PLACEHOLDER, text)

    def port(match: re.Match) -> str:
        return "http://127.0.0.1:PORT" if int(match.group(1)) >= FIRST_EPHEMERAL_PORT else match.group(0)

    return LOOPBACK_URL.sub(port, text)


def _placehold_links(output) -> None:
    if "text" in output:
        output["text"] = placehold_links(_joined(output["text"]))
    for mime, value in output.get("data", {}).items():
        if mime.startswith("text/") and isinstance(value, (str, list)):
            output["data"][mime] = placehold_links(_joined(value))


def _joined(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def execute(notebook, cwd: Path):
    """Run every cell in a fresh kernel, with progress recorded to a throwaway file."""
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory() as scratch:
        os.environ["COURSE_PROGRESS_FILE"] = str(Path(scratch) / "progress.json")
        client = NotebookClient(
            notebook, timeout=600, kernel_name=kernel_name(), resources={"metadata": {"path": str(cwd)}}
        )
        client.execute()
    return notebook


class KernelMissing(RuntimeError):
    """The course's kernel is not installed in this environment."""


def kernel_name() -> str:
    """The course's kernel, after checking that this environment has it."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(KERNELSPEC["name"])
    except NoSuchKernel:
        raise KernelMissing(
            f"the course's kernel {KERNELSPEC['name']!r} is not installed here: run `make install` "
            f"(or `python tools/jupyter_settings.py {sys.prefix}`)"
        ) from None
    return KERNELSPEC["name"]


def chapter_sources(numbers: list[str] | None = None) -> list[Path]:
    """The chapter sources, optionally only those whose file name starts with one of `numbers`."""
    sources = sorted(SOURCES.glob("[0-9][0-9]_*.py"))
    if numbers:
        sources = [path for path in sources if any(path.name.startswith(n) for n in numbers)]
    return sources


def target(source: Path, folder: str) -> Path:
    return ROOT / folder / f"{source.stem}.ipynb"


def build(numbers: list[str] | None = None) -> None:
    """Generate, execute and write both versions of each chapter."""
    import nbformat

    for source in chapter_sources(numbers):
        for folder, version in VERSIONS.items():
            path = target(source, folder)
            print(f"building {path.relative_to(ROOT)}", flush=True)
            notebook = execute(generate(source, version), path.parent)
            nbformat.write(clean(notebook), path)


def problems() -> list[str]:
    """What is stale, unexecuted or unclean among the committed notebooks."""
    import nbformat

    sources = chapter_sources()
    found = [] if sources else [f"no chapter sources in {SOURCES}: nothing would be tested"]
    expected_names = {target(s, folder).name for s in sources for folder in VERSIONS}
    for folder in VERSIONS:
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            if path.name not in expected_names:
                found.append(f"{folder}/{path.name}: no chapter source chapters/{path.stem}.py")
    for source in sources:
        for folder, version in VERSIONS.items():
            path = target(source, folder)
            name = f"{folder}/{path.name}"
            if not path.exists():
                found.append(f"{name}: missing; run `make notebooks`")
                continue
            committed = nbformat.read(path, as_version=4)
            wanted = generate(source, version)
            got = [(c.cell_type, c.source) for c in committed.cells]
            if got != [(c.cell_type, c.source) for c in wanted.cells]:
                found.append(f"{name}: stale, its cells differ from chapters/{source.name}; run `make notebooks`")
            if committed != clean(committed):
                found.append(f"{name}: unclean metadata or execution counts; run `make clean-notebooks`")
            missing = [key for key in LANGUAGE_INFO_FIELDS if key not in committed.metadata.get("language_info", {})]
            if missing:
                found.append(
                    f"{name}: language_info lacks {', '.join(missing)} (JupyterLab would mark it modified "
                    "on opening); run `make notebooks`"
                )
            unrun = [i for i, c in enumerate(committed.cells) if c.cell_type == "code" and c.execution_count is None]
            if unrun:
                found.append(f"{name}: code cells {unrun} have no recorded outputs; run `make notebooks`")
    return found


def clean_committed() -> None:
    """Rewrite every committed notebook in its clean form."""
    import nbformat

    for folder in VERSIONS:
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            nbformat.write(clean(nbformat.read(path, as_version=4)), path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["build", "check", "clean"])
    parser.add_argument("chapters", nargs="*", help="two-digit chapter numbers (build only)")
    args = parser.parse_args(argv)
    if args.command == "build":
        try:
            build(args.chapters)
        except KernelMissing as error:
            print(error, file=sys.stderr)
            return 2
    elif args.command == "clean":
        clean_committed()
    else:
        found = problems()
        for line in found:
            print(line)
        print(f"notebook check: {len(found)} problem(s) in {2 * len(chapter_sources())} notebooks")
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
