"""The hook keeps generated sign-ups on the right side of the one rule JSON Schema cannot state."""

from course_lib.lab.schemathesis_hooks import filter_body


def test_a_password_containing_the_name_or_email_is_left_out():
    body = {"name": "Grace", "email": "hopper@example.org", "password": "violet harbor lantern 42"}
    assert filter_body(None, body)
    assert not filter_body(None, {**body, "password": "i am grace, hello world"})
    assert not filter_body(None, {**body, "password": "HOPPER hopper hopper"})
    assert filter_body(None, {**body, "name": "Al", "password": "al al al al al al al al"})  # under 3: allowed


def test_other_bodies_pass_untouched():
    assert filter_body(None, {"title": "a task"})
    assert filter_body(None, ["not", "an", "object"])
    assert filter_body(None, {"name": 1, "email": None, "password": "x"})
