"""Sphinx configuration of the course's website: the learner notebooks with the outputs CI validated, never run."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "Backend from First Principles"
author = "The course's authors"
copyright = "the course's authors; text CC BY-SA 4.0, code MIT (LICENSE, LICENSE-TEXT.md)"
extensions = ["myst_nb", "mermaid_fence"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
root_doc = "index"

# The notebooks keep the outputs nbval checked in CI: shown as they are, never executed here.
nb_execution_mode = "off"
nb_render_markdown_format = "myst"  # text/markdown outputs may hold Mermaid fences too
nb_ipywidgets_js = {}  # no widget outputs, and no require.js from a CDN
myst_fence_as_directive = ["mermaid"]  # ```mermaid blocks become diagrams (mermaid_fence.py, local mermaid.min.js)
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
suppress_warnings = [
    "myst.header",  # a notebook's markdown may skip a heading level inside a cell
    "misc.highlighting_failure",  # a sketch with … in a SQL or Python block still shows, unhighlighted
]

html_theme = "sphinx_book_theme"
html_title = project
html_static_path = ["_static"]
html_js_files = ["mermaid.min.js", "mermaid-init.js"]
html_css_files = ["site.css"]
html_context = {"default_mode": "auto"}  # light or dark as the reader's system says (an empty mode logs an error)
html_copy_source = True  # the download button hands out the learner notebook itself (_sources/NN_slug.ipynb)
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "repository_url": "https://github.com/backend-from-first-principles/course",
    "repository_branch": "main",
    "path_to_docs": "notebooks",  # the pages are notebooks/NN_slug.ipynb: Binder opens that file in JupyterLab
    "launch_buttons": {"binderhub_url": "https://mybinder.org", "notebook_interface": "jupyterlab"},
    "use_download_button": True,
    "use_repository_button": True,
    "use_fullscreen_button": False,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
