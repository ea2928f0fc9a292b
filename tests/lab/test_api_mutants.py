"""Each mutant of the task API breaks its one rule and nothing else; the switchboard is the real API when off."""

import pytest

from course_lib.lab.api_mutants import MUTANTS, Switchboard, mutant_app, real_app
from course_lib.lab.suites import client_for, new_user
from course_lib.taskapi import latest


def served(app):
    """A client on `app` with Ada and Bob signed up."""
    context = client_for(app)
    client = context.__enter__()
    return context, client, new_user(app, "Ada"), new_user(app, "Bob")


@pytest.fixture
def serve_app():
    opened = []

    def start(app):
        context, client, ada, bob = served(app)
        opened.append(context)
        return client, ada, bob

    yield start
    for context in opened:
        context.__exit__(None, None, None)


def create(client, headers, title="t"):
    answer = client.post("/tasks", json={"title": title}, headers=headers)
    assert answer.status_code == 201
    return answer.headers["location"], answer.headers["etag"]


def ids_by_walking(client, url, headers):
    seen = []
    while url:
        page = client.get(url, headers=headers)
        assert page.status_code == 200
        seen += [task["id"] for task in page.json()]
        url = page.links.get("next", {}).get("url")
    return seen


def observe(client, ada, bob) -> dict[str, object]:
    """What each rule of the real API looks like from outside, on this app."""
    url, etag = create(client, ada, "v1")
    seen = {
        "bob reads ada's task": client.get(url, headers=bob).status_code,
        "bob's list": len(client.get("/tasks", headers=bob).json()),
        "write without If-Match": client.patch(url, json={"title": "x"}, headers=ada).status_code,
        "write with the current ETag": client.patch(
            url, json={"title": "v2"}, headers={**ada, "If-Match": etag}
        ).status_code,
        "write with an old ETag": client.patch(
            url, json={"title": "v3"}, headers={**ada, "If-Match": etag}
        ).status_code,
    }
    made = [int(create(client, ada, f"p{n}")[0].rsplit("/", 1)[1]) for n in range(4)]
    walked = ids_by_walking(client, "/tasks?limit=2", ada)
    seen["walk"] = "exact" if sorted(walked) == sorted([*made, int(url.rsplit("/", 1)[1])]) else walked
    return seen


REAL = {
    "bob reads ada's task": 404,
    "bob's list": 0,
    "write without If-Match": 428,
    "write with the current ETag": 200,
    "write with an old ETag": 412,
    "walk": "exact",
}
BROKEN = {  # what differs from REAL on each mutant
    "task_readable_by_anyone": {"bob reads ada's task": 200},
    "lists_show_everyones_tasks": {"bob's list": 1},
    "if_match_ignored": {"write without If-Match": 200, "write with an old ETag": 200},
    "if_match_only_required": {"write with an old ETag": 200},
    "page_limit_one_short": {"walk": "short"},
    "next_page_repeats_last": {"walk": "repeats"},
}


def test_the_real_api_keeps_every_rule(serve_app):
    assert observe(*serve_app(real_app())) == REAL


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_each_mutant_breaks_its_rule_and_only_it(serve_app, name):
    seen = observe(*serve_app(mutant_app(name)))
    differs = {key: value for key, value in seen.items() if value != REAL[key]}
    assert set(differs) == set(BROKEN[name])
    for key, value in BROKEN[name].items():
        if key == "walk":
            walked = seen["walk"]
            assert isinstance(walked, list)
            if value == "short":
                assert len(walked) < 5
            else:
                assert len(walked) > len(set(walked)) == 5
        else:
            assert differs[key] == value


def observe_once(app) -> dict[str, object]:
    """observe() on `app` served for this call only: a fresh database each time."""
    with client_for(app) as client:
        return observe(client, new_user(app, "Ada"), new_user(app, "Bob"))


def test_the_switchboard_is_the_real_api_when_off_and_each_mutant_when_on():
    board = Switchboard()
    assert observe_once(board.app) == REAL
    for name in ("if_match_only_required", "task_readable_by_anyone", "next_page_repeats_last"):
        board.active = name
        seen = observe_once(board.app)
        assert {key for key in seen if seen[key] != REAL[key]} == set(BROKEN[name])
    board.active = None
    assert observe_once(board.app) == REAL


def test_building_mutants_leaves_the_latest_app_as_it_was(serve_app):
    for name in MUTANTS:
        mutant_app(name)
    assert observe(*serve_app(latest())) == REAL


def test_every_mutant_says_what_it_breaks():
    assert len(MUTANTS) >= 3
    for name, mutant in MUTANTS.items():
        assert mutant.name == name and len(mutant.breaks) > 30
