"""Email and password login, shared by /session and /tokens: one answer for an unknown email and a wrong password."""

import pytest
from pydantic import ValidationError

from course_lib.taskapi.password_login import Login, authenticate
from course_lib.taskapi.storage import MemoryStorage
from course_lib.web.passwords import hash_password

PASSWORD = "violet harbor lantern 42"


def test_authenticate_names_the_user_only_for_the_right_email_and_password():
    storage = MemoryStorage()
    with storage.unit_of_work() as uow:
        ada = uow.users.add("Ada", "ada@example.org", password_hash=hash_password(PASSWORD))
        uow.users.add("Bob", "bob@example.org")  # signed up before passwords: no hash, no password login
        assert authenticate(uow, "ADA@example.org", PASSWORD) == ada
        assert authenticate(uow, "ada@example.org", "not the password") is None
        assert authenticate(uow, "nobody@example.org", PASSWORD) is None
        assert authenticate(uow, "bob@example.org", "") is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "ada@example.org"},
        {"email": "", "password": PASSWORD},
        {"email": "ada@example.org", "password": PASSWORD, "remember": True},
    ],
)
def test_a_login_body_is_an_email_and_a_password_and_nothing_else(body):
    with pytest.raises(ValidationError):
        Login.model_validate(body)
    assert PASSWORD not in repr(Login(email="ada@example.org", password=PASSWORD))  # a Secret: never in a log
