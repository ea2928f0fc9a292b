"""One table of reason phrases: RFC 9110's, on every Python the course supports."""

from http import HTTPStatus

import httpx
import pytest

from course_lib.notebook.display import format_exchange, reason
from course_lib.web.problems import title_for
from course_lib.web.status_phrases import is_default_phrase, phrase


@pytest.mark.parametrize(
    "status, expected",
    [
        (422, "Unprocessable Content"),
        (413, "Content Too Large"),
        (414, "URI Too Long"),
        (416, "Range Not Satisfiable"),
        (404, "Not Found"),
        (429, "Too Many Requests"),
    ],
)
def test_the_rfc_9110_phrase_whatever_the_python(status, expected):
    assert phrase(status) == reason(status) == title_for(status) == expected


def test_a_code_no_registry_names_has_no_phrase():
    assert phrase(599) == "" and reason(599) == "" and title_for(599) == "Error"


def test_either_wording_of_a_renamed_phrase_is_a_default_detail():
    assert is_default_phrase("Unprocessable Content", 422)
    assert is_default_phrase(HTTPStatus(422).phrase, 422)  # Starlette's default detail on this Python
    assert is_default_phrase("Unprocessable Entity", 422)  # Python before 3.13, httpx's reason_phrase
    assert not is_default_phrase("title must not be empty", 422) and not is_default_phrase(None, 422)


@pytest.mark.parametrize("told", ["Unprocessable Entity", "Unprocessable Content", ""])
def test_show_prints_the_rfc_phrase_whatever_the_server_sent(told):
    """uvicorn sends this Python's phrase (3.11: Entity, 3.13: Content); a notebook prints the same line on both."""
    response = httpx.Response(
        422, extensions={"reason_phrase": told.encode()}, request=httpx.Request("GET", "http://x/")
    )
    assert "HTTP/1.1 422 Unprocessable Content" in format_exchange(response).splitlines()


def test_show_keeps_a_phrase_the_server_chose():
    response = httpx.Response(422, extensions={"reason_phrase": b"Nope"}, request=httpx.Request("GET", "http://x/"))
    assert "HTTP/1.1 422 Nope" in format_exchange(response).splitlines()
