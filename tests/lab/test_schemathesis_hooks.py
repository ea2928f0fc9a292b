"""The hook keeps generated sign-ups on the right side of the two rules JSON Schema cannot state."""

from types import SimpleNamespace

from course_lib.lab.schemathesis_hooks import filter_case, sign_up_is_allowed


def test_a_password_containing_the_name_or_email_is_left_out():
    body = {"name": "Grace", "email": "hopper@example.org", "password": "violet harbor lantern 42"}
    assert sign_up_is_allowed(body)
    assert not sign_up_is_allowed({**body, "password": "i am grace, hello world"})
    assert not sign_up_is_allowed({**body, "password": "HOPPER hopper hopper"})
    assert sign_up_is_allowed({**body, "name": "Al", "password": "al tulip orbit canyon"})  # under 3: allowed


def test_a_common_password_is_left_out():
    body = {"name": "Grace", "email": "hopper@example.org", "password": "violet harbor lantern 42"}
    assert not sign_up_is_allowed({**body, "password": "correct horse battery staple"})
    assert not sign_up_is_allowed({**body, "password": "000000000000000"})


def test_other_bodies_pass_untouched():
    assert sign_up_is_allowed({"title": "a task"})
    assert sign_up_is_allowed(["not", "an", "object"])
    assert sign_up_is_allowed({"name": 1, "email": None, "password": "x"})


def test_the_case_hook_judges_the_case_body():
    body = {"name": "Grace", "email": "hopper@example.org", "password": "violet harbor lantern 42"}
    assert filter_case(None, SimpleNamespace(body=body))
    assert not filter_case(None, SimpleNamespace(body={**body, "password": "000000000000000"}))
