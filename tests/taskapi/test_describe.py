"""The printed app: what each chapter added, in order; docs/architecture.md holds the latest and cannot drift."""

import re
from pathlib import Path

from course_lib.taskapi import app_for, chapter_modules, latest
from course_lib.taskapi.__main__ import main
from course_lib.taskapi.describe import BEGIN, END, describe, markdown_section

ARCHITECTURE = Path(__file__).parents[2] / "docs" / "architecture.md"


def test_the_architecture_document_holds_the_latest_app():
    text = ARCHITECTURE.read_text()
    found = re.search(re.escape(BEGIN) + ".*?" + re.escape(END), text, flags=re.S)
    assert found, f"{ARCHITECTURE} has no {BEGIN} … {END} section"
    assert found.group(0) == markdown_section(latest()), (
        "docs/architecture.md drifted from the code: run python -m course_lib.taskapi describe --write "
        "docs/architecture.md"
    )


def test_middleware_is_listed_outermost_first_with_its_chapter():
    text = describe(latest())
    order = [text.index(name) for name in ("InstanceHeader", "ProblemDetailsMiddleware", "MethodsMiddleware")]
    assert order == sorted(order) and re.search(r"InstanceHeader\s+ch 11", text)


def test_routes_seams_and_resources_name_their_chapters():
    text = describe(latest())
    assert re.search(r"POST\s+/tokens\s+ch 15", text) and re.search(r"GET\s+/health\s+ch 00", text)
    assert re.search(r"current_user\s+logged_in_by\(bearer, session, api_key\)\s+ch 05, 09, 15", text)
    assert re.search(r"sessions\s+ch 09\s+SessionStore \| None", text)


def test_an_earlier_chapter_describes_only_what_it_has():
    text = describe(app_for(3))
    assert "IdempotencyMiddleware" in text and "/tokens" not in text and "InstanceHeader" not in text


def test_the_command_prints_a_chapter(capsys):
    assert main(["describe", "5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Task API 0.5.0") and str(max(chapter_modules())) not in out.splitlines()[0]
