"""A ```mermaid fence as a diagram: its source in a <pre class="mermaid">, drawn in the browser by the local
mermaid.min.js (_static, from npm), never fetched from a CDN."""

from __future__ import annotations

import html

from docutils import nodes
from docutils.parsers.rst import Directive


class Mermaid(Directive):
    """The diagram's source, escaped, for mermaid-init.js to render."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        source = html.escape("\n".join(self.content))
        return [nodes.raw("", f'<pre class="mermaid">\n{source}\n</pre>\n', format="html")]


def setup(app):
    app.add_directive("mermaid", Mermaid)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
