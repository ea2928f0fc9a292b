"""Entity tags and the two conditional headers: weak comparison for If-None-Match, strong for If-Match."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI, Response
from fastapi.testclient import TestClient

from course_lib.web.conditional import (
    NotModifiedMiddleware,
    http_date,
    if_match_holds,
    if_none_match_hits,
    last_modified,
    modified_since,
    not_modified,
    parse_tags,
    strong,
    strong_match,
    weak,
    weak_match,
)


def test_tags_are_quoted_and_weak_ones_prefixed():
    assert strong("v1") == '"v1"' and weak("v1") == 'W/"v1"'


@pytest.mark.parametrize(
    "header, tags",
    [
        ('"a"', ['"a"']),
        ('W/"a", "b"', ['W/"a"', '"b"']),
        ('  "a" ,"b"  ', ['"a"', '"b"']),
        ("*", ["*"]),
        ('"a,b"', ['"a,b"']),
        ('""', ['""']),
        (None, None),
        ("", None),
        ("a", None),
        ('"a" "b"', None),
        ('"a', None),
    ],
)
def test_parse_tags(header, tags):
    assert parse_tags(header) == tags


@pytest.mark.parametrize(
    "a, b, strong_equal, weak_equal",
    [
        ('"1"', '"1"', True, True),
        ('W/"1"', '"1"', False, True),
        ('W/"1"', 'W/"1"', False, True),
        ('"1"', '"2"', False, False),
        ('W/"1"', 'W/"2"', False, False),
    ],
)
def test_the_two_comparisons_of_rfc_9110(a, b, strong_equal, weak_equal):
    assert strong_match(a, b) is strong_equal and strong_match(b, a) is strong_equal
    assert weak_match(a, b) is weak_equal and weak_match(b, a) is weak_equal


def test_if_none_match_compares_weakly_and_star_matches_any_current_tag():
    assert if_none_match_hits('"v2"', '"v2"') and if_none_match_hits('W/"v2"', '"v2"')
    assert if_none_match_hits('"v1", "v2"', '"v2"') and if_none_match_hits("*", '"v2"')
    assert not if_none_match_hits('"v1"', '"v2"') and not if_none_match_hits(None, '"v2"')
    assert not if_none_match_hits("junk", '"v2"')


def test_if_match_compares_strongly_and_star_means_whatever_is_there():
    current = ['"v2-json"', '"v2-csv"']
    assert if_match_holds('"v2-json"', current) and if_match_holds('"v2-csv"', current)
    assert if_match_holds('"v1-json", "v2-csv"', current) and if_match_holds("*", current)
    assert not if_match_holds('W/"v2-json"', current)  # a weak tag never satisfies If-Match (RFC 9110 §13.1.1)
    assert not if_match_holds('"v1-json"', current) and not if_match_holds("junk", current)
    assert not if_match_holds('"v2-json"', [])


def test_a_304_drops_representation_metadata_and_keeps_the_rest():
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", b"12"),
        (b"etag", b'"1"'),
        (b"cache-control", b"no-cache"),
        (b"vary", b"Accept"),
        (b"x-other", b"1"),
        (b"date", b"d"),
        (b"set-cookie", b"s=1; HttpOnly"),
        (b"link", b"</tasks>; rel=up"),
        (b"x-request-id", b"r1"),
        (b"content-language", b"en"),
        (b"content-encoding", b"gzip"),
        (b"last-modified", b"x"),
    ]
    assert not_modified(headers) == [
        (b"etag", b'"1"'),
        (b"cache-control", b"no-cache"),
        (b"vary", b"Accept"),
        (b"x-other", b"1"),
        (b"date", b"d"),
        (b"set-cookie", b"s=1; HttpOnly"),
        (b"link", b"</tasks>; rel=up"),
        (b"x-request-id", b"r1"),
    ]


def test_a_304_without_an_etag_keeps_last_modified_to_guide_the_cache():
    headers = [(b"content-type", b"text/plain"), (b"last-modified", b"Sun, 06 Nov 1994 08:49:37 GMT")]
    assert not_modified(headers) == [(b"last-modified", b"Sun, 06 Nov 1994 08:49:37 GMT")]


NOON = datetime(2026, 1, 5, 12, 0, 0, 250_000, tzinfo=UTC)


def test_last_modified_is_sent_only_once_the_second_of_the_change_is_over():
    assert last_modified(NOON, NOON + timedelta(milliseconds=700)) is None  # a change later this second: same date
    assert last_modified(NOON, NOON + timedelta(milliseconds=750)) == "Mon, 05 Jan 2026 12:00:00 GMT"
    assert last_modified(NOON, NOON + timedelta(hours=1)) == "Mon, 05 Jan 2026 12:00:00 GMT"


@pytest.mark.parametrize(
    "header, valid",
    [
        ("Mon, 05 Jan 2026 12:00:00 GMT", True),
        ("Monday, 05-Jan-26 12:00:00 GMT", True),
        ("yesterday", False),
        ("", False),
        (None, False),
        ("Mon, 05 Jan 2026 12:00:00 GMT, Tue, 06 Jan 2026 12:00:00 GMT", False),
    ],
)
def test_http_date_accepts_one_date_in_a_form_rfc_9110_lists(header, valid):
    assert (http_date(header) is not None) is valid


@pytest.mark.parametrize(
    "since, modified",
    [
        ("Mon, 05 Jan 2026 12:00:00 GMT", False),
        ("Mon, 05 Jan 2026 12:00:01 GMT", False),
        ("Mon, 05 Jan 2026 11:59:59 GMT", True),
        ("junk", True),
        (None, True),
    ],
)
def test_modified_since_compares_whole_seconds(since, modified):
    assert modified_since(since, "Mon, 05 Jan 2026 12:00:00 GMT") is modified


@pytest.fixture
def client():
    app = FastAPI()

    @app.get("/tagged")
    def tagged(response: Response) -> dict:
        response.headers.update({"ETag": '"v1"', "Cache-Control": "private, no-cache", "Vary": "Accept"})
        return {"big": "body"}

    @app.get("/untagged")
    def untagged() -> dict:
        return {"no": "tag"}

    @app.get("/dated")
    def dated(response: Response) -> dict:
        response.headers.update(
            {
                "ETag": '"v1"',
                "Last-Modified": "Mon, 05 Jan 2026 12:00:00 GMT",
                "Set-Cookie": "seen=1; HttpOnly",
                "Link": "</tagged>; rel=related",
                "X-Request-ID": "r-1",
            }
        )
        return {"big": "body"}

    @app.post("/tagged")
    def write(response: Response) -> dict:
        response.headers["ETag"] = '"v1"'
        return {"written": True}

    app.add_middleware(NotModifiedMiddleware)
    return TestClient(app)


def test_the_middleware_answers_304_without_a_body_when_the_client_holds_the_tag(client):
    for header in ('"v1"', 'W/"v1"', '"v0", "v1"', "*"):  # HEAD: the task API's test (plain FastAPI has none)
        answer = client.get("/tagged", headers={"If-None-Match": header})
        assert answer.status_code == 304 and answer.content == b""
        assert (answer.headers["etag"], answer.headers["cache-control"], answer.headers["vary"]) == (
            '"v1"',
            "private, no-cache",
            "Accept",
        )
        assert "content-type" not in answer.headers


def test_the_middleware_passes_everything_else_through(client):
    assert client.get("/tagged", headers={"If-None-Match": '"v0"'}).json() == {"big": "body"}
    assert client.get("/tagged").status_code == 200
    assert client.get("/untagged", headers={"If-None-Match": "*"}).status_code == 200
    assert client.post("/tagged", headers={"If-None-Match": '"v1"'}).status_code == 200
    assert client.get("/missing", headers={"If-None-Match": "*"}).status_code == 404


def test_the_304_keeps_set_cookie_link_and_request_id(client):
    answer = client.get("/dated", headers={"If-None-Match": '"v1"'})
    assert answer.status_code == 304 and answer.content == b""
    assert (answer.headers["set-cookie"], answer.headers["link"], answer.headers["x-request-id"]) == (
        "seen=1; HttpOnly",
        "</tagged>; rel=related",
        "r-1",
    )
    assert "last-modified" not in answer.headers and "content-type" not in answer.headers


def test_if_modified_since_gives_304_by_date_unless_if_none_match_is_sent(client):
    same, later, earlier = (
        "Mon, 05 Jan 2026 12:00:00 GMT",
        "Tue, 06 Jan 2026 12:00:00 GMT",
        "Sun, 04 Jan 2026 12:00:00 GMT",
    )
    assert [
        client.get("/dated", headers={"If-Modified-Since": since}).status_code
        for since in (same, later, earlier, "junk")
    ] == [304, 304, 200, 200]
    # RFC 9110 §13.1.3: with If-None-Match present, If-Modified-Since is ignored — the tag decides
    assert client.get("/dated", headers={"If-None-Match": '"v0"', "If-Modified-Since": later}).status_code == 200
    assert client.get("/dated", headers={"If-None-Match": '"v1"', "If-Modified-Since": earlier}).status_code == 304
    assert client.get("/tagged", headers={"If-Modified-Since": later}).status_code == 200  # no date to compare
    assert client.post("/tagged", headers={"If-Modified-Since": later}).status_code == 200
