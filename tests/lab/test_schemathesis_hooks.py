"""The hook keeps generated sign-ups on the right side of the two rules JSON Schema cannot state."""

from course_lib.lab.schemathesis_hooks import filter_body


def test_a_password_containing_the_name_or_email_is_left_out():
    body = {"name": "Grace", "email": "hopper@example.org", "password": "violet harbor lantern 42"}
    assert filter_body(None, body)
    assert not filter_body(None, {**body, "password": "i am grace, hello world"})
    assert not filter_body(None, {**body, "password": "HOPPER hopper hopper"})
    assert filter_body(None, {**body, "name": "Al", "password": "al tulip orbit canyon"})  # under 3: allowed


def test_a_common_password_is_left_out():
    body = {"name": "Grace", "email": "hopper@example.org", "password": "violet harbor lantern 42"}
    assert not filter_body(None, {**body, "password": "correct horse battery staple"})
    assert not filter_body(None, {**body, "password": "000000000000000"})


def test_other_bodies_pass_untouched():
    assert filter_body(None, {"title": "a task"})
    assert filter_body(None, ["not", "an", "object"])
    assert filter_body(None, {"name": 1, "email": None, "password": "x"})
