from datetime import UTC

import pytest

from course_lib.taskapi.repository import InMemoryTaskRepository, InMemoryUserRepository, TaskQuery


@pytest.fixture
def tasks():
    repository = InMemoryTaskRepository()
    for title, done, owner in [("b", False, 1), ("a", True, 1), ("c", False, 2)]:
        repository.add(title, done=done, owner_id=owner)
    return repository


def test_add_get_update_delete(tasks):
    task = tasks.get(1)
    assert task.title == "b" and task.created_at.tzinfo is UTC
    updated = tasks.update(1, done=True)
    assert updated.done and updated.updated_at >= task.updated_at
    assert tasks.delete(1) and not tasks.delete(1) and tasks.get(1) is None
    assert tasks.update(99, done=True) is None


def test_filters_sort_and_slices(tasks):
    assert [t.title for t in tasks.list(TaskQuery(sort=("title",)))] == ["a", "b", "c"]
    assert [t.title for t in tasks.list(TaskQuery(sort=("-title",), limit=2))] == ["c", "b"]
    assert [t.id for t in tasks.list(TaskQuery(owner_id=1, sort=("id",)))] == [1, 2]
    assert tasks.count(TaskQuery(done=False)) == 2
    assert [t.title for t in tasks.list(TaskQuery(text="C"))] == ["c"]
    assert [t.id for t in tasks.list(TaskQuery(sort=("done", "-id"), offset=1))] == [1, 2]


def test_unknown_sort_key_is_rejected(tasks):
    with pytest.raises(ValueError, match="unknown sort key 'password'"):
        tasks.list(TaskQuery(sort=("password",)))


def test_users_by_email_ignore_case():
    users = InMemoryUserRepository()
    ada = users.add("Ada", "ada@example.com", role="admin", password_hash="secret-hash")
    assert users.get_by_email("ADA@example.com") == ada
    assert users.list() == [ada]
    users.clear()
    assert users.get(ada.id) is None
