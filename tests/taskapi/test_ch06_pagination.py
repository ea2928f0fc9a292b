"""GET /tasks pages, sorts and filters over SQL storage, from chapter 06 on."""

from datetime import UTC, datetime, timedelta

import pytest

from course_lib.taskapi import app_for
from course_lib.taskapi.api_keys import sign_up
from course_lib.taskapi.sql_storage import SqlStorage
from tests.taskapi.conftest import PRIVATE_TASKS, chapters_from, public_task_chapters

BASE = datetime(2026, 1, 1, tzinfo=UTC)


def seeded(api_at, chapter: int, count: int = 45, same_time: bool = False):
    """A served app with `count` tasks: 'task 00' is the oldest; every third is done; 'urgent' on every fifth."""
    api = api_at(chapter)
    tasks = api.server.config.app.context.storage
    owner = {}
    if chapter >= PRIVATE_TASKS:  # private tasks: the seeded ones belong to a reader whose key the client sends
        api.client.headers.update(sign_up(api, "Reader"))
        owner = {"owner_id": api.get("/users").json()[-1]["id"]}
    rows = (
        {
            "title": f"task {i:02d}",
            "done": i % 3 == 0,
            "description": "urgent" if i % 5 == 0 else "",
            "created_at": BASE if same_time else BASE + timedelta(minutes=i),
            **owner,
        }
        for i in range(count)
    )
    list(tasks.add_many(rows))
    return api


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()]


def links(response) -> dict[str, str]:
    """rel → URL of an RFC 8288 Link header (our URLs never contain a comma)."""
    found = {}
    for part in response.headers["link"].split(","):
        url, rel = part.split(";")
        found[rel.strip().removeprefix('rel="').removesuffix('"')] = url.strip()[1:-1]
    return found


def test_storage_is_sql_and_every_app_has_its_own():
    first, second = app_for(6), app_for(6)
    assert isinstance(first.context.storage, SqlStorage) and isinstance(second.context.storage, SqlStorage)
    first.context.storage.tasks.add("only in the first")
    assert first.context.storage.tasks.count() == 1 and second.context.storage.tasks.count() == 0
    first.context.storage.database.drop()
    second.context.storage.database.drop()


def test_stopping_the_server_drops_its_database(api_at):
    api = api_at(6)
    database = api.server.config.app.context.storage.database
    assert not database.dropped
    api.stop()
    assert database.dropped


@pytest.mark.parametrize("chapter", chapters_from(6))
def test_defaults_are_page_1_of_20_newest_first(api_at, chapter):
    response = seeded(api_at, chapter).get("/tasks")
    assert response.status_code == 200
    assert ids(response) == list(range(45, 25, -1))
    assert response.headers["x-total-count"] == "45"


@pytest.mark.parametrize("chapter", chapters_from(6))
def test_items_keep_the_task_representation(api_at, chapter):
    api = seeded(api_at, chapter, count=3)
    listed = api.get("/tasks").json()[0]
    assert listed == api.get(f"/tasks/{listed['id']}").json()


@pytest.mark.parametrize("chapter", chapters_from(6))
def test_link_header_walks_every_page_once(api_at, chapter):
    api = seeded(api_at, chapter)
    response, seen, requests = api.get("/tasks?limit=20&done=false"), [], 0
    total = int(response.headers["x-total-count"])
    while True:
        requests += 1
        seen += ids(response)
        assert response.headers["x-total-count"] == str(total)
        if "next" not in links(response):
            break
        assert "done=false" in links(response)["next"]
        response = api.client.get(links(response)["next"])
    assert total == 30 and requests == 2 and len(seen) == len(set(seen)) == total


@pytest.mark.parametrize("chapter", chapters_from(6))
def test_links_keep_the_declared_parameters_only(api_at, chapter):
    """Filters, sort and limit carry over; whatever else a client appends does not come back in the Link header."""
    api = seeded(api_at, chapter)
    junk = "&".join(f"x{number}=1" for number in range(1000))
    response = api.get(f"/tasks?limit=5&done=false&{junk}&x0=2")
    assert response.status_code == 200 and "x0=" not in response.headers["link"], response.headers["link"][:200]
    assert len(response.headers["link"]) < 600 and "done=false" in links(response)["next"]


@pytest.mark.parametrize("chapter", chapters_from(6))
def test_links_name_first_prev_next_last(api_at, chapter):
    api = seeded(api_at, chapter)
    middle = links(api.get("/tasks?page=2&limit=10"))
    assert list(middle) == ["first", "prev", "next", "last"]
    assert middle["last"].endswith("/tasks?page=5&limit=10") and middle["prev"].endswith("page=1&limit=10")
    assert list(links(api.get("/tasks?page=5&limit=10"))) == ["first", "prev", "last"]


@pytest.mark.parametrize("chapter", public_task_chapters(6))
@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=-1",
        "page=0",
        "page=-3",
        "page=two",
        "limit=ten",
        "done=maybe",
        "text=" + "x" * 201,
        "text=a%00b",  # PostgreSQL cannot compare text holding U+0000: refused on every backend, never a 500
    ],
)
def test_parameters_out_of_bounds_are_422(api_at, chapter, query):
    assert api_at(chapter).get(f"/tasks?{query}").status_code == 422


@pytest.mark.parametrize("chapter", chapters_from(6))
def test_limit_bounds_are_inclusive(api_at, chapter):
    api = seeded(api_at, chapter, count=120)
    assert len(api.get("/tasks?limit=1").json()) == 1
    assert len(api.get("/tasks?limit=100").json()) == 100


@pytest.mark.parametrize("chapter", chapters_from(6))
@pytest.mark.parametrize("sort", ["password_hash", "owner_id;drop table tasks", "title,", "-", "title,title"])
def test_sort_outside_the_whitelist_is_a_clear_422(api_at, chapter, sort):
    response = api_at(chapter).get("/tasks", params={"sort": sort})
    assert response.status_code == 422
    assert "sort" in response.text and ("created_at" in response.text or "twice" in response.text)


@pytest.mark.parametrize("chapter", chapters_from(6))
def test_sort_keys_combine_and_id_breaks_ties(api_at, chapter):
    api = seeded(api_at, chapter, count=12, same_time=True)
    assert ids(api.get("/tasks")) == list(range(12, 0, -1))  # all created at once: id decides, newest first too
    assert ids(api.get("/tasks?sort=-done,-title&limit=5")) == [10, 7, 4, 1, 12]
    assert ids(api.get("/tasks?sort=-id&limit=3")) == [12, 11, 10]
    titles = [item["title"] for item in api.get("/tasks?sort=title").json()]
    assert titles == sorted(titles)


@pytest.mark.parametrize("chapter", chapters_from(6))
def test_pages_of_tied_rows_never_overlap(api_at, chapter):
    api = seeded(api_at, chapter, count=30, same_time=True)
    pages = [ids(api.get(f"/tasks?sort=done&limit=7&page={page}")) for page in range(1, 6)]
    flat = [task_id for page in pages for task_id in page]
    assert len(flat) == len(set(flat)) == 30


@pytest.mark.parametrize("chapter", chapters_from(6))
def test_filters_narrow_the_list_and_the_total(api_at, chapter):
    api = seeded(api_at, chapter)
    done = api.get("/tasks?done=true&limit=100")
    assert done.headers["x-total-count"] == "15" and all(item["done"] for item in done.json())
    urgent = api.get("/tasks?text=URGENT&done=false&sort=id")
    assert urgent.headers["x-total-count"] == "6"
    assert ids(urgent) == [i + 1 for i in range(45) if i % 5 == 0 and i % 3 != 0]
    assert api.get("/tasks?text=%25").json() == [] and api.get("/tasks?text=task 07").json()[0]["id"] == 8


@pytest.mark.parametrize("chapter", chapters_from(6))
def test_pages_past_the_end_are_empty_not_errors(api_at, chapter):
    api = seeded(api_at, chapter)
    for page in (3, 4, 10**30):
        response = api.get(f"/tasks?page={page}")
        assert response.status_code == 200 and response.headers["x-total-count"] == "45"
    assert api.get("/tasks?page=3").json() != [] and api.get("/tasks?page=4").json() == []
    assert links(api.get("/tasks?page=9"))["prev"].endswith("page=3&limit=20")


@pytest.mark.parametrize("chapter", public_task_chapters(6))
def test_empty_list_has_page_1_as_first_and_last(api_at, chapter):
    response = api_at(chapter).get("/tasks")
    assert response.json() == [] and response.headers["x-total-count"] == "0"
    assert list(links(response)) == ["first", "last"]


@pytest.mark.parametrize("chapter", chapters_from(6))
def test_head_gives_the_total_without_the_items(api_at, chapter):
    api = seeded(api_at, chapter)
    response = api.request("HEAD", "/tasks?done=true")
    assert response.status_code == 200 and response.content == b""
    assert response.headers["x-total-count"] == "15" and "link" in response.headers


@pytest.mark.parametrize("chapter", public_task_chapters(6))
def test_a_users_tasks_are_paginated_too(api_at, chapter):
    api = api_at(chapter)
    state = api.server.config.app.context
    ada, grace = (state.storage.users.add(name, f"{name.lower()}@example.com") for name in ("Ada", "Grace"))
    list(
        state.storage.add_many(
            {"title": f"t{i}", "owner_id": ada.id if i % 2 else grace.id, "created_at": BASE + timedelta(minutes=i)}
            for i in range(25)
        )
    )
    response = api.get(f"/users/{ada.id}/tasks?limit=5&sort=id")
    assert response.status_code == 200 and response.headers["x-total-count"] == "12"
    assert [item["title"] for item in response.json()] == ["t1", "t3", "t5", "t7", "t9"]
    assert all(item["owner_id"] == ada.id for item in response.json())
    assert links(response)["next"].endswith(f"/users/{ada.id}/tasks?sort=id&page=2&limit=5")
    assert api.get("/users/999/tasks").status_code == 404
    assert api.get(f"/users/{ada.id}/tasks?limit=500").status_code == 422
