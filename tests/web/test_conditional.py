"""Entity tags and the two conditional headers: weak comparison for If-None-Match, strong for If-Match."""

import pytest
from fastapi import FastAPI, Response
from fastapi.testclient import TestClient

from course_lib.web.conditional import (
    NotModifiedMiddleware,
    if_match_holds,
    if_none_match_hits,
    not_modified,
    parse_tags,
    strong,
    strong_match,
    weak,
    weak_match,
)


def test_tags_are_quoted_and_weak_ones_prefixed():
    assert strong("v1") == '"v1"' and weak("v1") == 'W/"v1"'


@pytest.mark.parametrize("header, tags", [
    ('"a"', ['"a"']), ('W/"a", "b"', ['W/"a"', '"b"']), ('  "a" ,"b"  ', ['"a"', '"b"']), ("*", ["*"]),
    ('"a,b"', ['"a,b"']), ('""', ['""']), (None, None), ("", None), ("a", None), ('"a" "b"', None), ('"a', None),
])
def test_parse_tags(header, tags):
    assert parse_tags(header) == tags


@pytest.mark.parametrize("a, b, strong_equal, weak_equal", [
    ('"1"', '"1"', True, True), ('W/"1"', '"1"', False, True), ('W/"1"', 'W/"1"', False, True),
    ('"1"', '"2"', False, False), ('W/"1"', 'W/"2"', False, False),
])
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


def test_a_304_keeps_only_the_fields_rfc_9110_lists():
    headers = [(b"content-type", b"application/json"), (b"content-length", b"12"), (b"etag", b'"1"'),
               (b"cache-control", b"no-cache"), (b"vary", b"Accept"), (b"x-other", b"1"), (b"date", b"d")]
    assert not_modified(headers) == [(b"etag", b'"1"'), (b"cache-control", b"no-cache"), (b"vary", b"Accept"),
                                     (b"date", b"d")]


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
            '"v1"', "private, no-cache", "Accept")
        assert "content-type" not in answer.headers


def test_the_middleware_passes_everything_else_through(client):
    assert client.get("/tagged", headers={"If-None-Match": '"v0"'}).json() == {"big": "body"}
    assert client.get("/tagged").status_code == 200
    assert client.get("/untagged", headers={"If-None-Match": "*"}).status_code == 200
    assert client.post("/tagged", headers={"If-None-Match": '"v1"'}).status_code == 200
    assert client.get("/missing", headers={"If-None-Match": "*"}).status_code == 404
