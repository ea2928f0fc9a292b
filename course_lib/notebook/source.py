"""Show code that lives in course_lib inside a notebook, so the notebook presents the code that runs."""

from __future__ import annotations

import inspect
import textwrap

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer


class Source:
    """Source code displayed with syntax highlighting (HTML) and as plain text."""

    def __init__(self, code: str, title: str, highlight_lines: list[int] | None = None) -> None:
        self.code, self.title, self.highlight_lines = code, title, highlight_lines or []

    def __repr__(self) -> str:
        marked = [
            ("▶ " if i in self.highlight_lines else "  ") + line
            for i, line in enumerate(self.code.splitlines(), start=1)
        ]
        return f"# {self.title}\n" + "\n".join(marked)

    def _repr_html_(self) -> str:
        formatter = HtmlFormatter(noclasses=True, hl_lines=self.highlight_lines, nowrap=False)
        return f"<div><small><code>{self.title}</code></small>{highlight(self.code, PythonLexer(), formatter)}</div>"


def show_source(obj, highlight_text: tuple[str, ...] = ()) -> Source:
    """The source of a function, class or module from course_lib; lines containing `highlight_text` are marked."""
    code = textwrap.dedent(inspect.getsource(obj))
    module = inspect.getmodule(obj)
    name = getattr(obj, "__qualname__", None) or obj.__name__
    title = f"{module.__name__}.{name}" if module is not None and module is not obj else obj.__name__
    lines = [i for i, line in enumerate(code.splitlines(), start=1) if any(text in line for text in highlight_text)]
    return Source(code, title, lines)
