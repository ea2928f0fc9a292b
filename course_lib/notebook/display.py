"""Show an HTTP exchange the way an API client's pane does: request line, status line, headers, body."""

from __future__ import annotations

import json
from collections.abc import Iterable

import httpx

from course_lib.web.status_phrases import is_default_phrase, phrase

# Headers that change on every run or say nothing about the lesson.
# Varies from run to run; a cell that teaches one of them asks for it by name.
NOISY_HEADERS = frozenset({"date", "server", "x-request-id", "x-process-time", "last-modified"})
BODY_LIMIT = 2000


def reason(status: int) -> str:
    """The standard reason phrase of a status code ('Not Found' for 404), as RFC 9110 names it."""
    return phrase(status)


def format_body(content: bytes, content_type: str | None) -> str:
    """Pretty JSON when the body is JSON, text otherwise, cut at BODY_LIMIT characters."""
    if not content:
        return ""
    if content_type and "json" in content_type:
        try:
            text = json.dumps(json.loads(content), indent=2, ensure_ascii=False)
        except ValueError:
            text = content.decode("utf-8", "replace")
    else:
        text = content.decode("utf-8", "replace")
    if len(text) > BODY_LIMIT:
        text = text[:BODY_LIMIT] + f"\n… ({len(text) - BODY_LIMIT} more characters)"
    return text


def _target(request: httpx.Request) -> str:
    url = request.url
    return url.raw_path.decode("ascii") if url.raw_path else "/"


def format_exchange(
    response: httpx.Response,
    headers: Iterable[str] | None = None,
    request_headers: Iterable[str] = (),
    body: bool = True,
) -> str:
    """The text of one request/response pair; `headers` picks response headers (default: all but noisy ones)."""
    request = response.request
    lines = [f"{request.method} {_target(request)}"]
    lines += [f"{name}: {request.headers[name]}" for name in request_headers if name in request.headers]
    if body and request.content:
        lines.append(format_body(request.content, request.headers.get("content-type")))
    lines.append("")
    # The RFC's phrase unless the server chose its own: uvicorn sends this Python's (3.11: "Unprocessable Entity").
    told = response.reason_phrase
    shown = reason(response.status_code) if not told or is_default_phrase(told, response.status_code) else told
    lines.append(f"HTTP/1.1 {response.status_code} {shown}")
    if headers is None:
        names = [name for name in response.headers if name not in NOISY_HEADERS]
    else:
        names = [name.lower() for name in headers if name in response.headers]
    lines += [f"{name}: {response.headers[name]}" for name in names]
    if body:
        text = format_body(response.content, response.headers.get("content-type"))
        if text:
            lines += ["", text]
    return "\n".join(lines)


def show(
    response: httpx.Response,
    headers: Iterable[str] | None = None,
    request_headers: Iterable[str] = (),
    body: bool = True,
) -> None:
    """Print a request and its response; deterministic, so notebook outputs stay comparable."""
    print(format_exchange(response, headers=headers, request_headers=request_headers, body=body))


def show_raw(data: bytes, mask_headers: Iterable[str] = ("date",)) -> None:
    """Print raw HTTP bytes with line endings made visible (\\r\\n shown as ␍␊) and volatile headers masked."""
    masked = {name.lower() for name in mask_headers}
    head, separator, body = data.decode("latin-1").partition("\r\n\r\n")
    lines = [
        f"{line.split(':', 1)[0]}: <{line.split(':', 1)[0].lower()}>"
        if ":" in line and line.split(":", 1)[0].lower() in masked
        else line
        for line in head.split("\r\n")
    ]
    print("␍␊\n".join(lines) + separator.replace("\r\n", "␍␊\n") + body)


def table(rows: list[dict], columns: list[str] | None = None) -> None:
    """Print rows of dicts as an aligned plain-text table."""
    if not rows:
        print("(no rows)")
        return
    columns = columns or list(rows[0])
    cells = [[str(row.get(column, "")) for column in columns] for row in rows]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
    print("  ".join(column.ljust(width) for column, width in zip(columns, widths)).rstrip())
    print("  ".join("-" * width for width in widths))
    for line in cells:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
