"""show_source and show_file: the code a notebook presents is read from where it lives."""

from pygments.lexers import BashLexer, YamlLexer

from course_lib.notebook.source import REPOSITORY, show_file, show_source


def test_show_source_marks_the_highlighted_lines():
    shown = show_source(show_file, highlight_text=("read_text",))
    assert shown.title == "course_lib.notebook.source.show_file"
    assert [shown.code.splitlines()[i - 1] for i in shown.highlight_lines] == [
        "    text = (REPOSITORY / path).read_text()"
    ]


def test_show_file_reads_the_repository_with_the_right_lexer():
    workflow = show_file(".github/workflows/test.yml", highlight_text=("bash .ci/run",))
    assert workflow.code == (REPOSITORY / ".github/workflows/test.yml").read_text()
    assert isinstance(workflow.lexer, YamlLexer) and len(workflow.highlight_lines) == 1
    assert isinstance(show_file(".ci/run").lexer, BashLexer)  # no extension: the shebang says bash
    assert "<span" in workflow._repr_html_()


def test_show_file_between_two_markers():
    part = show_file(".ci/stages.sh", start="log()", end="trap")
    lines = part.code.splitlines()
    assert lines[0].startswith("log()") and lines[-1].startswith("trap")
    assert part.title.startswith(".ci/stages.sh, lines ")
    assert repr(part).startswith("# .ci/stages.sh, lines ")
