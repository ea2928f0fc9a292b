"""Newest-first lists page by signed cursor from chapter 14 on; offset pages still answer ?page=."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from course_lib.notebook.server import serve
from course_lib.taskapi import app_for
from course_lib.taskapi.ch14_cursor_pagination import EPOCH
from course_lib.taskapi.records import MAX_ID, TaskQuery
from course_lib.taskapi.sql_queries import task_select
from course_lib.web.cursors import CursorSigner
from course_lib.web.problems import PROBLEM_JSON
from tests.taskapi.conftest import chapters_from, public_task_chapters
from tests.taskapi.test_ch06_pagination import BASE, ids, links, seeded

PASSWORD = "violet harbor lantern 42"


def walk(api, url: str) -> tuple[list[int], int]:
    """Follow rel="next" from `url`: every id seen, and how many requests it took."""
    response, seen, requests = api.get(url), [], 1
    while True:
        assert response.status_code == 200, response.text
        seen += ids(response)
        if "next" not in links(response):
            return seen, requests
        response, requests = api.client.get(links(response)["next"]), requests + 1


def cursor_of(response) -> str:
    return parse_qs(urlsplit(links(response)["next"]).query)["cursor"][0]


def is_400_problem(response) -> bool:
    return response.status_code == 400 and response.headers["content-type"] == PROBLEM_JSON


@pytest.mark.parametrize("chapter", chapters_from(14))
def test_the_first_page_links_to_the_next_by_cursor(api_at, chapter):
    response = seeded(api_at, chapter).get("/tasks?limit=10")
    assert ids(response) == list(range(45, 35, -1)) and response.headers["x-total-count"] == "45"
    rels = links(response)
    assert list(rels) == ["first", "next", "last"]
    assert "cursor=" in rels["next"] and "page=" not in rels["next"] and rels["last"].endswith("page=5")


@pytest.mark.parametrize("chapter", chapters_from(14))
def test_a_walk_visits_every_row_once_in_order_even_when_all_share_one_created_at(api_at, chapter):
    api = seeded(api_at, chapter, count=45, same_time=True)
    seen, requests = walk(api, "/tasks?limit=7")
    assert seen == list(range(45, 0, -1)) and requests == 7
    done, _ = walk(api, "/tasks?limit=4&done=true")
    assert done == [task_id for task_id in range(45, 0, -1) if (task_id - 1) % 3 == 0]


@pytest.mark.parametrize("chapter", public_task_chapters(14))
def test_rows_inserted_during_a_walk_shift_offset_pages_but_not_cursor_pages(api_at, chapter):
    api = seeded(api_at, chapter, count=40)
    headers = {
        "X-API-Key": api.post("/users", json={"name": "Ada", "email": "ada@example.org", "password": PASSWORD}).json()[
            "api_key"
        ]
    }
    before = ids(api.get("/tasks?limit=100"))

    def insert() -> None:
        for _ in range(3):
            api.post("/tasks", json={"title": "written during the walk"}, headers=headers).raise_for_status()

    by_cursor, response = [], api.get("/tasks?limit=10")
    while True:
        by_cursor += ids(response)
        insert()
        if "next" not in links(response):
            break
        response = api.client.get(links(response)["next"])
    by_offset = []
    for page in range(1, 5):
        by_offset += ids(api.get(f"/tasks?limit=10&page={page}"))
        insert()
    assert [task_id for task_id in by_cursor if task_id in before] == before  # each pre-existing row once, in order
    assert set(by_cursor) <= set(before)  # rows newer than the first page are not this walk's business
    assert len(by_offset) - len(set(by_offset)) >= 9  # every insert pushed rows already seen onto the next page


@pytest.mark.parametrize("chapter", chapters_from(14))
def test_deleting_rows_during_a_walk_skips_none_of_the_others(api_at, chapter):
    api = seeded(api_at, chapter, count=30)
    app = api.server.config.app
    first = api.get("/tasks?limit=10")
    with app.context.storage.unit_of_work() as uow:  # delete the last row seen and the first one not seen yet
        for task_id in (ids(first)[-1], ids(first)[-1] - 1):
            uow.tasks.delete(task_id)
        uow.commit()
    rest, _ = walk(api, links(first)["next"].split(api.url, 1)[-1])
    assert ids(first) == list(range(30, 20, -1)) and rest == list(range(19, 0, -1))  # 20 was deleted, none skipped


@pytest.mark.parametrize("chapter", chapters_from(14))
def test_page_numbers_and_other_orders_still_page_by_offset(api_at, chapter):
    api = seeded(api_at, chapter)
    assert list(links(api.get("/tasks?page=2&limit=10"))) == ["first", "prev", "next", "last"]
    assert links(api.get("/tasks?page=1&limit=10"))["next"].endswith("page=2&limit=10")
    assert links(api.get("/tasks?sort=title&limit=10"))["next"].endswith("sort=title&page=2&limit=10")


@pytest.mark.parametrize("chapter", public_task_chapters(14))
def test_a_users_list_pages_by_cursor_and_its_cursor_is_for_that_user_only(api_at, chapter):
    api = api_at(chapter)
    state = api.server.config.app.context
    ada, grace = (state.storage.users.add(name, f"{name.lower()}@example.com") for name in ("Ada", "Grace"))
    list(
        state.storage.add_many(
            {"title": f"t{i}", "owner_id": ada.id if i % 2 else grace.id, "created_at": BASE + timedelta(minutes=i)}
            for i in range(25)
        )
    )
    seen, _ = walk(api, f"/users/{ada.id}/tasks?limit=5")
    assert len(seen) == len(set(seen)) == 12
    cursor = cursor_of(api.get(f"/users/{ada.id}/tasks?limit=5"))
    assert is_400_problem(api.get(f"/users/{grace.id}/tasks", params={"cursor": cursor, "limit": 5}))
    assert is_400_problem(api.get("/tasks", params={"cursor": cursor, "limit": 5}))


@pytest.mark.parametrize("chapter", chapters_from(14))
@pytest.mark.parametrize(
    "change", [{"done": "true"}, {"text": "task"}, {"sort": "title"}, {"page": "2"}, {"sort": "-created_at,id"}]
)
def test_a_cursor_with_other_filters_sort_or_a_page_is_a_400_problem(api_at, chapter, change):
    api = seeded(api_at, chapter)
    cursor = cursor_of(api.get("/tasks?limit=5&done=false"))
    assert api.get("/tasks", params={"cursor": cursor, "limit": 5, "done": "false"}).status_code == 200
    response = api.get("/tasks", params={"cursor": cursor, "limit": 5, "done": "false", **change})
    assert is_400_problem(response), response.text
    assert response.json()["type"] == "/problems/invalid-cursor" and response.json()["detail"]


@pytest.mark.parametrize("chapter", chapters_from(14))
def test_a_tampered_or_expired_cursor_is_a_400_problem(api_at, chapter):
    api = seeded(api_at, chapter)
    app = api.server.config.app
    clock = [1_800_000_000.0]
    app.context.cursors = CursorSigner(app.context.settings.secret_key, ttl=60, clock=lambda: clock[0])
    cursor = cursor_of(api.get("/tasks?limit=5"))
    payload, signature = cursor.split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    assert "signature" in api.get("/tasks", params={"cursor": f"{payload}.{flipped}"}).json()["detail"]
    assert api.get("/tasks", params={"cursor": cursor, "limit": 5}).status_code == 200
    clock[0] += 61
    expired = api.get("/tasks", params={"cursor": cursor, "limit": 5})
    assert is_400_problem(expired) and expired.json()["type"] == "/problems/expired-cursor"


@pytest.mark.parametrize("chapter", chapters_from(14))
def test_the_limit_may_change_along_a_walk(api_at, chapter):
    api = seeded(api_at, chapter)
    cursor = cursor_of(api.get("/tasks?limit=5"))
    assert ids(api.get("/tasks", params={"cursor": cursor, "limit": 3})) == [40, 39, 38]


@pytest.fixture
def fuzz_api():
    """Chapter 14's API with 5 tasks (every test's servers stop after it: see tests/conftest.py)."""
    api = serve(app_for(14), name="test-ch14-fuzz")
    list(api.server.config.app.context.storage.add_many({"title": f"t{i}", "created_at": BASE} for i in range(5)))
    return api


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(min_size=1, max_size=200),
        st.text(alphabet="ABCDEFabcdef0123456789-_.", min_size=1),
        st.sampled_from(["x" * 5000, "e30.e30", "bnVsbA.AAAA", "%00", "...", "null", "\x80.00", "é.é", "YWJj.\u00e9"]),
    )
)
def test_garbage_cursors_are_400_problems_never_5xx(fuzz_api, cursor):
    assert is_400_problem(fuzz_api.get("/tasks", params={"cursor": cursor}))


def names_a_row_key(position) -> bool:
    """[µs since 1970 within datetime's range, an id in 1..MAX_ID]."""
    if not isinstance(position, list) or len(position) != 2 or any(type(part) is not int for part in position):
        return False
    try:
        EPOCH + timedelta(microseconds=position[0])
    except OverflowError:
        return False
    return 1 <= position[1] <= MAX_ID


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.lists(st.one_of(st.integers(), st.floats(), st.text(), st.booleans(), st.none()), max_size=3),
        st.tuples(
            st.integers(min_value=-(2**70), max_value=2**70), st.sampled_from([0, -1, 1, MAX_ID, MAX_ID + 1, 2**63])
        ).map(list),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    )
)
def test_signed_positions_that_name_no_row_key_are_400_problems(fuzz_api, position):
    """Only a leaked key could sign these; still never a 500."""
    scope = "/tasks?owner=None&done=None&text=None&sort=-created_at,-id"
    cursor = fuzz_api.server.config.app.context.cursors.sign(position, scope)
    response = fuzz_api.get("/tasks", params={"cursor": cursor})
    assert response.status_code == 200 if names_a_row_key(position) else is_400_problem(response), response.text


def test_a_signed_position_far_in_the_past_or_future_is_just_a_page(fuzz_api):
    scope = "/tasks?owner=None&done=None&text=None&sort=-created_at,-id"
    for moment, expected in ((datetime(9999, 1, 1, tzinfo=UTC), 5), (datetime(1, 1, 2, tzinfo=UTC), 0)):
        micros = (moment - EPOCH) // timedelta(microseconds=1)
        cursor = fuzz_api.server.config.app.context.cursors.sign([micros, MAX_ID], scope)
        assert len(fuzz_api.get("/tasks", params={"cursor": cursor}).json()) == expected


def test_the_keyset_page_reads_the_index_without_sorting():
    app = app_for(14)
    storage = app.context.storage
    query = TaskQuery(sort=("-created_at", "-id"), limit=21, before=(BASE, 1000))
    compiled = task_select(query).compile(storage.database.engine, compile_kwargs={"literal_binds": True})
    with storage.database.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            for setting in ("enable_seqscan", "enable_bitmapscan"):  # an empty table: show the big table's plan
                connection.execute(text(f"SET {setting} = off"))
            plan = "\n".join(connection.execute(text(f"EXPLAIN {compiled}")).scalars())
            assert "ix_tasks_created_at_id" in plan and "Sort" not in plan and "Index Cond" in plan, plan
        else:
            plan = " ".join(row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "SEARCH tasks USING INDEX ix_tasks_created_at_id" in plan and "TEMP B-TREE" not in plan, plan
    storage.stop()


def test_the_contract_documents_the_cursor_and_its_400():
    operation = app_for(14).openapi()["paths"]["/tasks"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert parameters["cursor"]["schema"]["type"] == "string" and "null" not in str(parameters["cursor"]["schema"])
    assert "page" in parameters and "Link" in parameters["cursor"]["description"]
    assert list(operation["responses"]["400"]["content"]) == [PROBLEM_JSON]
    assert "400" in app_for(14).openapi()["paths"]["/users/{user_id}/tasks"]["get"]["responses"]
