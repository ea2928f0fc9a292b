"""Duplicate JSON member names: found at any depth, never confused with the same name in two objects."""

import pytest

from course_lib.web.json_members import duplicate_member


@pytest.mark.parametrize(
    ("body", "name"),
    [
        (b'{"title": "a", "title": "b"}', "title"),
        (b'{"a": {"b": 1, "b": 1}}', "b"),
        (b'[{"ok": 1}, {"x": 1, "y": 2, "x": 3}]', "x"),
        (b'{"a": {"title": 1}, "title": 2}', None),  # one name in two objects is no duplicate
        (b'{"title": "a"}', None),
        (b'{"title": ', None),  # not JSON: the route's own 400 says so
        (b"\xff", None),
    ],
)
def test_duplicate_member(body, name):
    assert duplicate_member(body) == name
