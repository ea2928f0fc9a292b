"""Show code that lives in course_lib inside a notebook, so the notebook presents the code that runs."""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import BashLexer, PythonLexer, TextLexer, YamlLexer, get_lexer_for_filename
from pygments.util import ClassNotFound

REPOSITORY = Path(__file__).resolve().parents[2]  # the course's clone: chapters/, course_lib/, .github/, .ci/


class Source:
    """Source code displayed with syntax highlighting (HTML) and as plain text."""

    def __init__(
        self, code: str, title: str, highlight_lines: list[int] | None = None, lexer: Lexer | None = None
    ) -> None:
        self.code, self.title, self.highlight_lines = code, title, highlight_lines or []
        self.lexer = lexer or PythonLexer()

    def __repr__(self) -> str:
        marked = [
            ("▶ " if i in self.highlight_lines else "  ") + line
            for i, line in enumerate(self.code.splitlines(), start=1)
        ]
        return f"# {self.title}\n" + "\n".join(marked)

    def _repr_html_(self) -> str:
        formatter = HtmlFormatter(noclasses=True, hl_lines=self.highlight_lines, nowrap=False)
        return f"<div><small><code>{self.title}</code></small>{highlight(self.code, self.lexer, formatter)}</div>"


def show_source(obj, highlight_text: tuple[str, ...] = ()) -> Source:
    """The source of a function, class or module from course_lib; lines containing `highlight_text` are marked."""
    code = textwrap.dedent(inspect.getsource(obj))
    module = inspect.getmodule(obj)
    name = getattr(obj, "__qualname__", None) or obj.__name__
    title = f"{module.__name__}.{name}" if module is not None and module is not obj else obj.__name__
    lines = [i for i, line in enumerate(code.splitlines(), start=1) if any(text in line for text in highlight_text)]
    return Source(code, title, lines)


def show_file(
    path: str, highlight_text: tuple[str, ...] = (), start: str | None = None, end: str | None = None
) -> Source:
    """A file of the course's repository (a workflow, a script), from the line containing `start` (default: the
    first) to the line containing `end` (default: the last); lines containing `highlight_text` are marked."""
    text = (REPOSITORY / path).read_text()
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if start in line) if start else 0
    last = next(i for i, line in enumerate(lines) if i >= first and end in line) if end else len(lines) - 1
    code = "\n".join(lines[first : last + 1]) + "\n"
    marked = [i for i, line in enumerate(code.splitlines(), start=1) if any(t in line for t in highlight_text)]
    where = f"{path}, lines {first + 1}–{last + 1}" if start or end else path
    return Source(code, where, marked, _lexer(path, text))


def _lexer(path: str, text: str) -> Lexer:
    if path.endswith((".yml", ".yaml")):
        return YamlLexer()
    if text.startswith("#!") and "bash" in text.splitlines()[0] or path.endswith(".sh"):
        return BashLexer()
    try:
        return get_lexer_for_filename(path, text)
    except ClassNotFound:
        return TextLexer()
