"""Every Mermaid diagram of every notebook, rendered by Mermaid itself in chromium: a diagram that fails to parse
shows its source in a warning box in JupyterLab, which no text check of ours would notice."""

from __future__ import annotations

import json
import re

import pytest

from .jupyterlab import ROOT

# tools/mermaid pins the 11.x line JupyterLab 4.6 renders with; `make e2e` installs it into build/mermaid.
MERMAID_JS = ROOT / "build" / "mermaid" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
BLOCK = re.compile(r"```mermaid\n(.*?)```", re.S)


def diagrams() -> list[tuple[str, str]]:
    """(where, source) of every ```mermaid block in the committed notebooks' markdown cells."""
    found = []
    for path in sorted((ROOT / "solutions").glob("*.ipynb")) + sorted((ROOT / "notebooks").glob("*.ipynb")):
        for index, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] == "markdown":
                for number, block in enumerate(BLOCK.findall("".join(cell["source"]))):
                    found.append((f"{path.relative_to(ROOT)} cell {index} diagram {number}", block))
    return found


RENDER = """async ([id, source]) => {
    try { await mermaid.render(id, source); return null; }
    catch (error) { return String(error && error.message || error); }
}"""


@pytest.fixture(scope="module")
def mermaid_page(browser):
    if not MERMAID_JS.exists():
        pytest.fail(
            f"{MERMAID_JS.relative_to(ROOT)} is missing: `make e2e` installs it (npm ci into build/mermaid)",
            pytrace=False,
        )
    page = browser.new_page()
    page.set_content("<!DOCTYPE html><html><body></body></html>")
    page.add_script_tag(path=str(MERMAID_JS))
    page.evaluate("mermaid.initialize({startOnLoad: false})")
    yield page
    page.close()


def test_the_notebooks_have_diagrams():
    assert len(diagrams()) >= 10  # the chapters draw requests, flows and states; none lost in a rebuild


def test_every_diagram_renders(mermaid_page):
    failures = []
    for number, (where, source) in enumerate(diagrams()):
        error = mermaid_page.evaluate(RENDER, [f"diagram{number}", source])
        if error is not None:
            failures.append(f"{where}: {error.splitlines()[0] if error else error}")
    assert not failures, "\n".join(failures)


def test_a_broken_diagram_is_caught(mermaid_page):
    """The check can fail: a ';' inside a sequence message ends the statement (FACTS.md)."""
    broken = "sequenceDiagram\n    A->>B: Set-Cookie: s=1; HttpOnly\n"
    assert mermaid_page.evaluate(RENDER, ["broken", broken]) is not None
    assert mermaid_page.evaluate(RENDER, ["fine", "sequenceDiagram\n    A->>B: Set-Cookie s=1 HttpOnly\n"]) is None
