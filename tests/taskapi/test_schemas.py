"""The wire models: what a client may send, what it gets back."""

import pytest
from pydantic import ValidationError

from course_lib.taskapi.records import Task, User
from course_lib.taskapi.schemas import (
    TASK_MODELS,
    USER_MODELS,
    TaskCreate,
    TaskPublic,
    TaskReplace,
    TaskUpdate,
    UserCreated,
    UserPublic,
)

TASK_FIELDS = {"id", "title", "description", "done", "owner_id", "created_at", "updated_at"}
USER_FIELDS = {"id", "name", "email", "role", "created_at"}


def test_create_needs_a_title_and_defaults_the_rest():
    assert TaskCreate(title="a").model_dump() == {"title": "a", "description": "", "done": False}
    with pytest.raises(ValidationError):
        TaskCreate(description="no title")


def test_replace_resets_fields_left_out():
    assert TaskReplace(title="b").model_dump() == {"title": "b", "description": "", "done": False}


def test_update_keeps_only_the_fields_sent():
    assert TaskUpdate(done=True).model_dump(exclude_unset=True) == {"done": True}
    assert TaskUpdate().model_dump(exclude_unset=True) == {}


def test_update_rejects_null_instead_of_resetting():
    with pytest.raises(ValidationError, match="title cannot be null"):
        TaskUpdate.model_validate({"title": None})


def test_task_public_reads_a_record_and_has_the_agreed_fields():
    public = TaskPublic.model_validate(Task(1, "a", owner_id=3))
    assert set(public.model_dump()) == TASK_FIELDS and public.owner_id == 3


def test_user_public_never_has_the_password_hash():
    user = User(1, "Ada", "ada@example.org", password_hash="secret-hash")
    dumped = UserPublic.model_validate(user).model_dump()
    assert set(dumped) == USER_FIELDS and "secret-hash" not in str(dumped)


def test_user_created_adds_only_the_api_key():
    assert set(UserCreated.model_fields) == USER_FIELDS | {"api_key"}


def test_default_bundles_name_the_models():
    assert (TASK_MODELS.create, TASK_MODELS.replace, TASK_MODELS.update, TASK_MODELS.public) == (
        TaskCreate,
        TaskReplace,
        TaskUpdate,
        TaskPublic,
    )
    assert USER_MODELS.created is UserPublic
