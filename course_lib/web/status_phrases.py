"""The reason phrase of each status code as RFC 9110 §15 names it, whatever Python runs the course.

Python 3.13 renamed four phrases to RFC 9110's; 3.11 and 3.12 still have RFC 7231's (422 "Unprocessable Entity").
One table, so a notebook prints the same line on every supported Python, and that line is the RFC's.
"""

from __future__ import annotations

from http import HTTPStatus

RFC_9110 = {413: "Content Too Large", 414: "URI Too Long", 416: "Range Not Satisfiable", 422: "Unprocessable Content"}
# The same four as Python before 3.13 and httpx's own table still name them: a server or client may say either.
OLD_NAMES = {
    413: "Request Entity Too Large",
    414: "Request-URI Too Long",
    416: "Requested Range Not Satisfiable",
    422: "Unprocessable Entity",
}


def phrase(status: int) -> str:
    """'Unprocessable Content' for 422, 'Not Found' for 404; '' for a code no registry names."""
    if status in RFC_9110:
        return RFC_9110[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def is_default_phrase(text: object, status: int) -> bool:
    """True when `text` is only the status's phrase, in RFC 9110's or an older wording (Starlette's default detail,
    a status line from uvicorn, httpx's reason_phrase)."""
    if not isinstance(text, str):
        return False
    try:
        python_phrase = HTTPStatus(status).phrase
    except ValueError:
        python_phrase = None
    return text in (phrase(status), python_phrase, OLD_NAMES.get(status))
