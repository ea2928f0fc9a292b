"""Repeated header lines: a list field's lines are one list; a single-valued field's lines must agree."""

import pytest
from starlette.datastructures import Headers

from course_lib.web.field_lines import RepeatedField, list_field, single_field


def test_a_list_fields_lines_are_joined_and_an_absent_field_is_none():
    assert list_field(['"a"', ' "b" ']) == '"a", "b"' and list_field(['"a"']) == '"a"' and list_field([]) is None


def test_a_single_fields_lines_must_agree():
    assert single_field(['"k"', '"k"'], "Idempotency-Key") == '"k"' and single_field([], "X") is None
    with pytest.raises(RepeatedField, match="Idempotency-Key is sent 2 times with different values"):
        single_field(['"k"', '"j"'], "Idempotency-Key")


def test_every_line_of_a_scope_is_read_in_order():
    """What the middleware pass to the functions above: Starlette's getlist, every line of the field, in order."""
    scope = {"type": "http", "headers": [(b"if-match", b'"a"'), (b"accept", b"*/*"), (b"if-match", b'"b"')]}
    headers = Headers(scope=scope)
    assert headers.getlist("if-match") == ['"a"', '"b"'] and headers.getlist("x") == []
