"""Chapter 10: ETags on tasks, 304 for a copy the client holds, 412/428 on writes, and no lost update under load."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

import httpx
import pytest
from fastapi import Request, Response

from course_lib.notebook.server import serve
from course_lib.taskapi import app_for, ch10_http_caching
from course_lib.taskapi.api_keys import sign_up
from course_lib.web.problems import Problem
from tests.taskapi.conftest import chapters_from


@pytest.fixture
def writer(api_at):
    """A live API at a chapter, a writer's headers, and one task of theirs (id, ETag)."""

    def start(chapter: int):
        api = api_at(chapter)
        api.client.headers.pop("If-Match", None)  # this chapter's tests say which copy they change
        auth = sign_up(api, "Ada")
        created = api.post("/tasks", json={"title": "draft"}, headers=auth)
        return api, auth, created.json()["id"], created.headers["etag"]

    return start


@pytest.mark.parametrize("chapter", chapters_from(10))
def test_every_task_response_carries_a_strong_etag_per_representation(writer, chapter):
    api, auth, task_id, created_tag = writer(chapter)
    as_json, as_csv = api.get(f"/tasks/{task_id}"), api.get(f"/tasks/{task_id}", headers={"Accept": "text/csv"})
    assert as_json.headers["etag"] == created_tag == f'"task-{task_id}-v1-json"'
    assert as_csv.headers["etag"] == f'"task-{task_id}-v1-csv"'
    assert api.request("HEAD", f"/tasks/{task_id}").headers["etag"] == created_tag
    changed = api.patch(f"/tasks/{task_id}", json={"done": True}, headers={**auth, "If-Match": created_tag})
    assert changed.headers["etag"] == f'"task-{task_id}-v2-json"' == api.get(f"/tasks/{task_id}").headers["etag"]


@pytest.mark.parametrize("chapter", chapters_from(10))
def test_if_none_match_with_the_current_tag_is_304_without_a_body(writer, chapter):
    api, auth, task_id, tag = writer(chapter)
    fresh = api.get(f"/tasks/{task_id}")
    for method in ("GET", "HEAD"):
        for header in (tag, f"W/{tag}", f'"other", {tag}', "*"):
            answer = api.request(method, f"/tasks/{task_id}", headers={"If-None-Match": header})
            assert answer.status_code == 304 and answer.content == b"", (method, header)
            assert answer.headers["etag"] == tag
            assert answer.headers["cache-control"] == fresh.headers["cache-control"] == "private, no-cache"
            assert answer.headers["vary"] == fresh.headers["vary"] == "Accept"
            assert "content-type" not in answer.headers
    stale = api.get(f"/tasks/{task_id}", headers={"If-None-Match": f'"task-{task_id}-v0-json"'})
    assert stale.status_code == 200 and stale.json() == fresh.json()
    csv_copy = api.get(f"/tasks/{task_id}", headers={"If-None-Match": tag, "Accept": "text/csv"})
    assert csv_copy.status_code == 200 and csv_copy.text.startswith("id,")  # a JSON copy is not the CSV bytes
    assert api.get("/tasks/99", headers={"If-None-Match": "*"}).status_code == 404


@pytest.mark.parametrize("chapter", chapters_from(10))
@pytest.mark.parametrize(
    "method, path, body",
    [("PUT", "", {"title": "new"}), ("PATCH", "", {"title": "new"}), ("DELETE", "", None), ("POST", "/complete", None)],
)
def test_a_write_needs_if_match_and_a_stale_or_weak_tag_changes_nothing(writer, chapter, method, path, body):
    api, auth, task_id, tag = writer(chapter)
    url = f"/tasks/{task_id}{path}"
    before = api.get(f"/tasks/{task_id}").json()
    for if_match, status in (
        (None, 428),
        (f'"task-{task_id}-v0-json"', 412),
        (f"W/{tag}", 412),
        ('"x"', 412),
        ("garbage", 412),
    ):
        headers = auth if if_match is None else {**auth, "If-Match": if_match}
        answer = api.request(method, url, json=body, headers=headers)
        assert answer.status_code == status, (if_match, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert api.get(f"/tasks/{task_id}").json() == before
    csv_tag = f'"task-{task_id}-v1-csv"'
    assert api.request(method, url, json=body, headers={**auth, "If-Match": f'"x", {csv_tag}'}).status_code < 300


@pytest.mark.parametrize("chapter", chapters_from(10))
def test_if_match_and_if_none_match_on_two_lines_are_one_list_never_the_first_line_alone(writer, chapter):
    """RFC 9110 §5.3: If-Match: "a" and If-Match: "b" mean If-Match: "a", "b" (a proxy may join them)."""
    api, auth, task_id, tag = writer(chapter)
    stale = f'"task-{task_id}-v0-json"'
    both_stale = [*auth.items(), ("If-Match", stale), ("If-Match", '"x"')]
    assert api.patch(f"/tasks/{task_id}", json={"done": True}, headers=both_stale).status_code == 412
    stale_then_current = [*auth.items(), ("If-Match", stale), ("If-Match", tag)]
    answer = api.patch(f"/tasks/{task_id}", json={"done": True}, headers=stale_then_current)
    assert answer.status_code == 200, answer.text
    current = answer.headers["etag"]
    current_then_stale = [("If-None-Match", current), ("If-None-Match", stale)]
    assert api.get(f"/tasks/{task_id}", headers=current_then_stale).status_code == 304


@pytest.mark.parametrize("chapter", chapters_from(10))
def test_accept_on_two_lines_is_one_list_for_the_body_its_etag_and_304(writer, chapter):
    """The body, its ETag and If-None-Match's 304 read the same Accept: every line of it (RFC 9110 §5.3)."""
    api, auth, task_id, json_tag = writer(chapter)
    for lines, wanted in (
        (("application/json;q=0.1", "text/csv"), "csv"),
        (("text/csv;q=0.1", "application/json"), "json"),
    ):
        accept = [("Accept", line) for line in lines]
        answer = api.get(f"/tasks/{task_id}", headers=accept)
        assert answer.headers["etag"] == f'"task-{task_id}-v1-{wanted}"', (lines, answer.headers["etag"])
        assert answer.headers["content-type"].startswith("text/csv" if wanted == "csv" else "application/json")
        if chapter >= 16:  # lists are tagged from chapter 16 on
            listed = api.get("/tasks", headers=accept)
            assert listed.status_code == 200 and listed.headers["etag"].endswith(f'-{wanted}"'), listed.headers
    prefers_csv = [("Accept", "application/json;q=0.1"), ("Accept", "text/csv"), ("If-None-Match", json_tag)]
    not_the_json_copy = api.get(f"/tasks/{task_id}", headers=prefers_csv)
    assert not_the_json_copy.status_code == 200 and not_the_json_copy.text.startswith("id,")


@pytest.mark.parametrize("chapter", chapters_from(10))
def test_if_match_star_overwrites_whatever_is_there_and_404_still_comes_first(writer, chapter):
    api, auth, task_id, _ = writer(chapter)
    api.patch(f"/tasks/{task_id}", json={"title": "changed elsewhere"}, headers={**auth, "If-Match": "*"})
    answer = api.patch(f"/tasks/{task_id}", json={"done": True}, headers={**auth, "If-Match": "*"})
    assert answer.status_code == 200 and answer.headers["etag"] == f'"task-{task_id}-v3-json"'
    assert api.patch("/tasks/99", json={"done": True}, headers={**auth, "If-Match": "*"}).status_code == 404
    assert api.post("/tasks", json={"title": "a create needs no If-Match"}, headers=auth).status_code == 201


@pytest.mark.parametrize("chapter", chapters_from(10))
def test_lists_and_users_are_private_and_revalidated(writer, chapter):
    api, *_ = writer(chapter)
    assert api.get("/tasks").headers["cache-control"] == "private, no-cache"
    assert api.get("/users/1").headers["cache-control"] == "private, no-cache"
    assert api.get("/health").headers["cache-control"] == "no-store"


def test_openapi_lists_412_and_428_on_conditional_writes():
    spec = app_for(10).openapi()
    for path, method in (
        ("/tasks/{task_id}", "put"),
        ("/tasks/{task_id}", "patch"),
        ("/tasks/{task_id}", "delete"),
        ("/tasks/{task_id}/complete", "post"),
    ):
        assert {"412", "428"} <= set(spec["paths"][path][method]["responses"]), (path, method)
    assert "412" not in spec["paths"]["/tasks"]["post"]["responses"]
    assert "412" not in spec["paths"]["/tasks/{task_id}"]["get"]["responses"]


def concurrent_patches(api, auth, task_id: int, if_match: str | None, n: int = 50) -> list[int]:
    """`n` clients PATCH the task at the same moment (a barrier, no sleeps); their statuses, sorted."""
    start = threading.Barrier(n)
    headers = auth if if_match is None else {**auth, "If-Match": if_match}

    def patch(i: int) -> int:
        start.wait()
        return client.patch(f"/tasks/{task_id}", json={"description": f"client {i}"}, headers=headers).status_code

    # One client, one connection per thread (an httpx.Client is thread-safe; making 50 would cost seconds of TLS setup).
    with (
        httpx.Client(base_url=api.url, timeout=60, limits=httpx.Limits(max_connections=n)) as client,
        ThreadPoolExecutor(n) as pool,
    ):
        return sorted(pool.map(patch, range(n)))


def test_fifty_concurrent_patches_with_one_etag_give_one_200_and_49_412():
    api = serve(app_for(10), name="test-race")
    auth = sign_up(api, "Ada")
    created = api.post("/tasks", json={"title": "contended"}, headers=auth)
    statuses = concurrent_patches(api, auth, created.json()["id"], created.headers["etag"])
    assert statuses == [200] + [412] * 49, statuses
    assert api.get(f"/tasks/{created.json()['id']}").headers["etag"] == f'"task-{created.json()["id"]}-v2-json"'


@pytest.mark.parametrize("chapter", chapters_from(10))
@pytest.mark.parametrize("method", ["DELETE", "PATCH", "PUT"])
def test_a_write_that_finds_its_task_deleted_under_the_lock_is_404_not_412(writer, chapter, method):
    api, auth, task_id, etag = writer(chapter)
    storage = api.server.config.app.context.storage
    with storage.unit_of_work() as uow:
        found = uow.tasks.get(task_id)  # what the loser of a race found before the winner's DELETE
    api.delete(f"/tasks/{task_id}", headers={**auth, "If-Match": etag})
    request = Request({"type": "http", "method": method, "headers": [(b"if-match", etag.encode())]})
    with storage.unit_of_work() as uow, pytest.raises(Problem) as refused:
        ch10_http_caching.ETagConditions(request, Response(), uow).check(found)
    assert refused.value.status_code == 404  # a precondition is ignored when the answer would be 404 (RFC 9110 §13.2.1)


def test_concurrent_deletes_with_one_etag_give_one_204_and_404s():
    api = serve(app_for(10), name="test-delete-race")
    auth = sign_up(api, "Ada")
    created = api.post("/tasks", json={"title": "contended"}, headers=auth)
    task_id, n = created.json()["id"], 20
    start = threading.Barrier(n)

    def delete(_: int) -> int:
        start.wait()
        return client.delete(f"/tasks/{task_id}", headers={**auth, "If-Match": created.headers["etag"]}).status_code

    with (
        httpx.Client(base_url=api.url, timeout=60, limits=httpx.Limits(max_connections=n)) as client,
        ThreadPoolExecutor(n) as pool,
    ):
        statuses = sorted(pool.map(delete, range(n)))
    assert statuses == [204] + [404] * (n - 1), statuses


def test_chapter_08_loses_updates_silently():
    api = serve(app_for(8), name="test-race-08")
    auth = sign_up(api, "Ada")
    task_id = api.post("/tasks", json={"title": "contended"}, headers=auth).json()["id"]
    assert concurrent_patches(api, auth, task_id, None) == [200] * 50  # 49 of them overwritten, nobody told


def test_etag_names_id_version_and_format():
    task = ch10_http_caching.Task(7, "t", version=3)
    assert ch10_http_caching.task_etag(task) == '"task-7-v3-json"'
    assert ch10_http_caching.task_etag(task, "text/csv") == '"task-7-v3-csv"'


@pytest.mark.parametrize("chapter", chapters_from(10))
def test_last_modified_once_its_second_is_over_and_if_modified_since_304_unless_if_none_match(
    writer, chapter, monkeypatch
):
    api, auth, task_id, tag = writer(chapter)
    url = f"/tasks/{task_id}"
    changed = datetime.fromisoformat(api.get(url).json()["updated_at"].replace("Z", "+00:00"))
    # still the second of the change (the server's clock set there: a busy machine may take a second to ask)
    monkeypatch.setattr(ch10_http_caching, "utcnow", lambda: changed)
    assert "last-modified" not in api.get(url).headers  # changed this second: another change could share the date
    later = changed + timedelta(seconds=2)
    monkeypatch.setattr(ch10_http_caching, "utcnow", lambda: later)
    fresh = api.get(url)
    modified = parsedate_to_datetime(fresh.headers["last-modified"])
    updated = datetime.fromisoformat(fresh.json()["updated_at"].replace("Z", "+00:00"))
    assert modified == updated.replace(microsecond=0)
    since = fresh.headers["last-modified"]
    before = format_datetime(modified - timedelta(seconds=1), usegmt=True)
    for method in ("GET", "HEAD"):
        held = api.request(method, url, headers={"If-Modified-Since": since})
        assert held.status_code == 304 and held.content == b"" and held.headers["etag"] == tag
        assert api.request(method, url, headers={"If-Modified-Since": before}).status_code == 200
    # RFC 9110 §13.1.3: an If-None-Match decides alone, whatever the date says
    assert api.get(url, headers={"If-None-Match": '"other"', "If-Modified-Since": since}).status_code == 200
    assert api.get(url, headers={"If-None-Match": tag, "If-Modified-Since": before}).status_code == 304


@pytest.mark.parametrize("chapter", chapters_from(10))
def test_an_empty_or_malformed_if_match_is_412_as_the_contract_says(writer, chapter):
    api, auth, task_id, tag = writer(chapter)
    for if_match in ("", "junk", tag.strip('"'), f"{tag} {tag}"):
        refused = api.patch(f"/tasks/{task_id}", json={"title": "x"}, headers={**auth, "If-Match": if_match})
        assert refused.status_code == 412, if_match
    assert api.get(f"/tasks/{task_id}").json()["title"] == "draft"
