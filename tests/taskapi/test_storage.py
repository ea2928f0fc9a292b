"""Every storage keeps one contract (units of work, uniqueness, owners), on SQLite and with DATABASE_URL PostgreSQL."""

from datetime import UTC

import pytest

from course_lib.taskapi.orm_storage import OrmStorage
from course_lib.taskapi.records import EmailTaken, TaskQuery
from course_lib.taskapi.sql_storage import SqlStorage
from course_lib.taskapi.storage import MemoryStorage

SEED = [("b", False, 1, "plain"), ("a", True, 1, "100% sure"), ("c", False, 2, "under_score"), ("B", True, None, "")]


def new_storage(kind: str, database):
    return MemoryStorage() if kind == "memory" else {"sql": SqlStorage, "orm": OrmStorage}[kind](database)


@pytest.fixture(params=["memory", "sql", "orm"])
def storage(request, database):
    return new_storage(request.param, database)


@pytest.fixture
def tasks(storage):
    storage.users.add("Ada", "ada@example.com")
    storage.users.add("Grace", "grace@example.com")
    for title, done, owner, description in SEED:
        storage.tasks.add(title, done=done, owner_id=owner, description=description)
    return storage.tasks


def titles(tasks, **query) -> list[str]:
    return [task.title for task in tasks.list(TaskQuery(**query))]


def test_add_get_update_delete(tasks):
    task = tasks.get(1)
    assert (task.title, task.done, task.owner_id, task.description) == ("b", False, 1, "plain")
    assert task.created_at.tzinfo is UTC and task.updated_at.tzinfo is UTC
    updated = tasks.update(1, done=True, title="b2")
    assert updated.done and updated.title == "b2" and updated.updated_at >= task.updated_at
    assert tasks.get(1) == updated
    assert tasks.delete(1) and not tasks.delete(1) and tasks.get(1) is None
    assert tasks.update(99, done=True) is None and tasks.get(99) is None


def test_sorting_with_id_as_tiebreaker(tasks):
    assert titles(tasks, sort=("title",)) == ["B", "a", "b", "c"]
    assert titles(tasks, sort=("-title",), limit=2) == ["c", "b"]
    assert [t.id for t in tasks.list(TaskQuery(sort=("done",)))] == [1, 3, 2, 4]
    assert [t.id for t in tasks.list(TaskQuery(sort=("done", "-id"), offset=1))] == [1, 4, 2]
    assert [t.id for t in tasks.list(TaskQuery(sort=("-created_at",)))] == [4, 3, 2, 1]


def test_filters_and_counts(tasks):
    assert [t.id for t in tasks.list(TaskQuery(owner_id=1, sort=("id",)))] == [1, 2]
    assert tasks.count(TaskQuery(done=False)) == 2 and tasks.count() == 4
    assert titles(tasks, text="C", sort=("id",)) == ["c"]
    assert titles(tasks, text="b", sort=("id",)) == ["b", "B"]
    assert titles(tasks, text="100%") == ["a"] and titles(tasks, text="%") == ["a"]
    assert titles(tasks, text="_") == ["c"]  # LIKE wildcards are matched literally
    assert titles(tasks, text="plain", done=True) == []
    assert tasks.count(TaskQuery(text="e", done=False)) == 1


def test_offset_and_limit_slice_the_sorted_list(tasks):
    assert [t.id for t in tasks.list(TaskQuery(sort=("id",), offset=1, limit=2))] == [2, 3]
    assert tasks.list(TaskQuery(offset=10, limit=5)) == []
    assert tasks.list(TaskQuery(limit=0)) == []


def test_unknown_sort_key_is_rejected(tasks):
    with pytest.raises(ValueError, match="unknown sort key 'password'"):
        tasks.list(TaskQuery(sort=("password",)))


def test_deleted_ids_are_never_reused(tasks):
    assert tasks.delete(4)
    assert tasks.add("new").id == 5


def test_users_by_email_ignore_case(storage):
    ada = storage.users.add("Ada", "ada@example.com", role="admin", password_hash="secret-hash")
    grace = storage.users.add("Grace", "grace@example.com")
    assert ada.created_at.tzinfo is UTC and (grace.role, grace.password_hash) == ("member", "")
    assert storage.users.get_by_email("ADA@example.com") == ada == storage.users.get(ada.id)
    assert storage.users.get_by_email("nobody@example.com") is None
    assert storage.users.list() == [ada, grace] and storage.users.count() == 2


@pytest.mark.parametrize("spelling", ["ada@example.com", "ADA@Example.COM", " ada@example.com "])
def test_a_second_account_per_email_is_refused_by_the_storage(storage, spelling):
    storage.users.add("Ada", "ada@example.com")
    with pytest.raises(EmailTaken):
        storage.users.add("Ada again", spelling)
    assert len(storage.users.list()) == 1 == storage.users.count()


def test_what_a_unit_of_work_does_not_commit_is_rolled_back(storage):
    with storage.unit_of_work() as uow:
        uow.users.add("Ada", "ada@example.com")
        uow.tasks.add("never committed")
    assert storage.tasks.count() == 0 and storage.users.list() == []
    with storage.unit_of_work() as uow:
        ada = uow.users.add("Ada", "ada@example.com")
        uow.commit()
        uow.tasks.add("after the commit, not committed")
    assert storage.tasks.count() == 0 and storage.users.get(ada.id) == ada


def test_a_refused_email_keeps_nothing_of_its_unit_of_work(storage):
    storage.users.add("Ada", "ada@example.com")
    with storage.unit_of_work() as uow, pytest.raises(EmailTaken):
        uow.users.add("Grace", "grace@example.com")
        uow.users.add("Ada again", "ada@example.com")
    assert [user.name for user in storage.users.list()] == ["Ada"]


def test_a_task_needs_an_existing_owner(storage):
    with pytest.raises(Exception):  # noqa: B017 — LookupError in memory, IntegrityError from the foreign key
        storage.tasks.add("orphan", owner_id=42)
    assert storage.tasks.count() == 0


def test_update_refuses_ids_and_timestamps(storage):
    storage.tasks.add("t")
    for field in ("id", "created_at", "updated_at", "password"):
        with pytest.raises(TypeError, match="cannot change"):
            storage.tasks.update(1, **{field: 1})


def test_set_role_changes_one_user_and_is_none_for_nobody(storage):
    with storage.unit_of_work() as uow:
        ada, bob = uow.users.add("Ada", "ada@example.org"), uow.users.add("Bob", "bob@example.org")
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.users.set_role(ada.id, "admin").role == "admin" and uow.users.set_role(999, "admin") is None
        uow.commit()
    with storage.unit_of_work() as uow:
        assert (uow.users.get(ada.id).role, uow.users.get(bob.id).role) == ("admin", "member")
