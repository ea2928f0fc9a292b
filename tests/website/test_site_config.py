"""The site's workflow lints clean, and what the API gained per chapter is computed from the apps, fast."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from course_lib.notebook import api_changes

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORKFLOW = ".github/workflows/site.yml"


def test_the_site_workflow_passes_actionlint_and_the_schema():
    for command in (
        [str(BIN / "actionlint"), "-no-color", WORKFLOW],
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", WORKFLOW],
    ):
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_a_diff_names_what_was_added_changed_and_removed():
    before = {
        "paths": {"/a": {"get": {"summary": "A", "responses": {"200": {"description": "OK"}}}}, "/gone": {"get": {}}},
        "components": {"securitySchemes": {"Key": {"type": "apiKey", "in": "header"}}},
    }
    after = {
        "paths": {
            "/a": {"get": {"summary": "A", "responses": {"200": {"description": "OK"}, "401": {"description": "No"}}}},
            "/b": {"post": {"summary": "B", "responses": {}}},
        },
        "components": {"securitySchemes": {"Bearer": {"type": "http", "scheme": "bearer"}}},
    }
    changes = api_changes.diff(before, after)
    assert changes.operations == ["+ POST /b  B", "~ GET /a  A", "    + response 401 No", "- GET /gone"]
    assert changes.security_schemes == ["+ Bearer (http bearer)", "- Key (apiKey header)"]
    assert not api_changes.diff(after, after)


def test_each_chapter_against_the_one_it_declares_it_builds_on():
    assert api_changes.previous_chapter(0) is None
    assert api_changes.previous_chapter(5) == 4
    assert api_changes.previous_chapter(18) == 17  # no app module of its own: the API stays as chapter 17 left it
    assert "+ APIKeyHeader (apiKey header)" in api_changes.format_changes(5)
    assert "Nothing" in api_changes.format_changes(18)


def test_every_chapter_is_deterministic():
    """The same text from apps built afresh (how fast it is, is no test's business: a loaded machine is slow)."""
    for number in sorted(int(path.name[:2]) for path in (ROOT / "chapters").glob("[0-9][0-9]_*.py")):
        first = api_changes.format_changes(number)
        api_changes.openapi.cache_clear()
        assert api_changes.format_changes(number) == first, number
