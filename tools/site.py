"""`make site`: the course's static website from the committed learner notebooks, rendered, never executed.

    python -m tools.site [--out build/site]

Stages site/ (the Sphinx configuration), notebooks/*.ipynb and the local mermaid.min.js (npm, tools/mermaid) into
OUT/src, builds OUT/html with Sphinx + MyST-NB (nb_execution_mode off: the outputs shown are those CI validated), and
prints how long it took and how big the site is. Warnings are errors: a broken reference or an unreadable notebook
fails the build.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "site"
NOTEBOOKS = ROOT / "notebooks"
MERMAID_JS = ROOT / "build" / "mermaid" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"


def stage(source: Path) -> Path:
    """A fresh Sphinx source folder: the configuration, the learner notebooks, mermaid.min.js in _static."""
    if not MERMAID_JS.exists():
        raise SystemExit(f"{MERMAID_JS.relative_to(ROOT)} is missing: `make site` installs it (npm ci, tools/mermaid)")
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(CONFIG, source, ignore=shutil.ignore_patterns("__pycache__"))
    for notebook in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        shutil.copy2(notebook, source / notebook.name)
    shutil.copy2(MERMAID_JS, source / "_static" / MERMAID_JS.name)
    return source


def size(folder: Path) -> int:
    """Bytes of every file under `folder`."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def build(out: Path) -> Path:
    """Stage and build the site; the folder of its HTML."""
    from sphinx.cmd.build import build_main

    source, html = stage(out / "src"), out / "html"
    shutil.rmtree(html, ignore_errors=True)
    arguments = ["-b", "html", "-q", "-W", "--keep-going", "-d", str(out / "doctrees"), str(source), str(html)]
    if build_main(arguments) != 0:
        raise SystemExit("the site did not build: see the warnings above")
    (html / ".nojekyll").touch()  # GitHub Pages would hide _static/ and _images/ from Jekyll otherwise
    return html


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    html = build(args.out.resolve())
    pages = len(list(html.glob("[0-9][0-9]_*.html")))
    seconds = time.perf_counter() - started
    print(f"site: {pages} chapter pages, {size(html) / 1e6:.1f} MB, built in {seconds:.0f} s: {html / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
