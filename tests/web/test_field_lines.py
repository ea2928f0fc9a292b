"""Repeated header lines: a list field's lines are one list; a single-valued field's lines must agree."""

import pytest

from course_lib.web.field_lines import RepeatedField, lines_of, list_field, single_field


def test_a_list_fields_lines_are_joined_and_an_absent_field_is_none():
    assert list_field(['"a"', ' "b" ']) == '"a", "b"' and list_field(['"a"']) == '"a"' and list_field([]) is None


def test_a_single_fields_lines_must_agree():
    assert single_field(['"k"', '"k"'], "Idempotency-Key") == '"k"' and single_field([], "X") is None
    with pytest.raises(RepeatedField, match="Idempotency-Key is sent 2 times with different values"):
        single_field(['"k"', '"j"'], "Idempotency-Key")


def test_lines_of_reads_every_line_of_a_scope_in_order():
    scope = {"headers": [(b"if-match", b'"a"'), (b"accept", b"*/*"), (b"if-match", b'"b"')]}
    assert lines_of(scope, "if-match") == ['"a"', '"b"'] and lines_of(scope, "x") == []
