"""Chapter 06's tables: the indexes pages read, and a user's deletion cascading to the user's tasks and keys."""

from sqlalchemy import inspect

from course_lib.taskapi.sql_storage import SqlStorage


def test_pagination_indexes_exist(database):
    SqlStorage(database)
    indexes = {index["name"]: index["column_names"] for index in inspect(database.engine).get_indexes("tasks")}
    assert indexes["ix_tasks_created_at_id"] == ["created_at", "id"]
    assert indexes["ix_tasks_owner_created_at_id"] == ["owner_id", "created_at", "id"]


def test_deleting_a_user_deletes_the_users_tasks_and_keys(database):
    from sqlalchemy import delete

    from course_lib.taskapi.sql_tables import UserRow

    storage = SqlStorage(database)
    ada = storage.users.add("Ada", "ada@example.com")
    storage.tasks.add("mine", owner_id=ada.id)
    with storage.unit_of_work() as uow:
        uow.api_keys.add("d" * 64, ada.id)
        uow.session.execute(delete(UserRow).where(UserRow.id == ada.id))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.tasks.count() == 0 and uow.api_keys.user("d" * 64) is None
