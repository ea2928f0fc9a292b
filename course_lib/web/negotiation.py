"""Content negotiation (RFC 9110 §12.5.1): one resource, several representations, chosen by the Accept header."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence

from fastapi.datastructures import DefaultPlaceholder
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from course_lib.web.field_lines import list_field
from course_lib.web.http_methods import without_body
from course_lib.web.problems import PROBLEM_JSON, problem_body
from course_lib.web.route_memo import remembered

JSON, CSV = "application/json", "text/csv"


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """The media ranges of an Accept header with their q weights; no header means '*/*'."""
    if header is None or not header.strip():
        return [("*/*", 1.0)]
    ranges = []
    for part in header.split(","):
        media_range, *params = (piece.strip() for piece in part.split(";"))
        if "/" not in media_range:
            continue
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    weight = 0.0  # a malformed weight cannot make a type acceptable
        ranges.append((media_range.lower(), weight))
    return ranges


def _specificity(media_range: str, media_type: str) -> int:
    """How specifically a range names a type: 2 exact, 1 'text/*', 0 '*/*', -1 no match."""
    if media_range == media_type:
        return 2
    main, _, sub = media_range.partition("/")
    if sub == "*" and main == media_type.partition("/")[0]:
        return 1
    return 0 if media_range == "*/*" else -1


def quality(accept: str | None, media_type: str) -> float:
    """The weight the client gives `media_type`: the q of the most specific range that matches it (0 if none)."""
    best, weight = -1, 0.0
    for media_range, q in parse_accept(accept):
        specificity = _specificity(media_range, media_type)
        if specificity > best:
            best, weight = specificity, q
    return weight


def negotiate(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type the client weighs highest (ties: the server's order); None when none is acceptable."""
    weights = [(quality(accept, media_type), -index, media_type) for index, media_type in enumerate(offered)]
    weight, _, chosen = max(weights)
    return chosen if weight > 0 else None


def rows_of(data) -> list[dict]:
    """The rows a JSON value makes in a table: a list's items, a page's items, or one object."""
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list):
        data = [data]
    return [item if isinstance(item, dict) else {"value": item} for item in data]


def to_csv(data) -> str:
    """A JSON value as CSV: a header line, then one line per row; nested values stay JSON."""
    rows = rows_of(data)
    columns = list(dict.fromkeys(name for row in rows for name in row))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _cell(row.get(c)) for c in columns])
    return out.getvalue()


def _cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


RENDERERS: dict[str, Callable[[object], str] | None] = {JSON: None, CSV: to_csv}


def accept_field(headers: Headers) -> str | None:
    """The Accept field: every line of it, as one list (RFC 9110 §5.3), so the body, its ETag and a 304 agree."""
    return list_field(headers.getlist("accept"))


def representation_of(headers: Headers) -> str:
    """The media type a response to these request headers is rendered in (JSON when the client names none)."""
    return negotiate(accept_field(headers), list(RENDERERS)) or JSON


def not_acceptable_body(offered: Sequence[str]) -> bytes:
    """The 406 body, a problem details document (RFC 9457): what the client could have asked for."""
    body = problem_body(406, "none of the media types in Accept can be produced here", acceptable=list(offered))
    return json.dumps(body).encode()


def is_json_route(route) -> bool:
    """True for a FastAPI route that answers JSON (the default response class), the routes negotiation applies to."""
    if not isinstance(route, APIRoute):
        return False
    response_class = route.response_class
    if isinstance(response_class, DefaultPlaceholder):
        response_class = response_class.value
    return issubclass(response_class, JSONResponse)


def matched_route(routes, scope: Scope):
    """The route that fully matches the request (HEAD looks for GET), or None; looks inside included routers."""
    scope = {**scope, "method": "GET" if scope["method"] == "HEAD" else scope["method"]}
    for route in routes:
        inner = getattr(route, "effective_route_contexts", None)  # FastAPI keeps an included router whole
        if inner is not None:
            found = matched_route(list(inner()), scope)
            if found is not None:
                return found
            continue
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return getattr(route, "original_route", route)
    return None


def route_of(app, scope: Scope):
    """matched_route over the app's routes, remembered per method and path."""
    return remembered(
        app,
        "matched route",
        (scope["method"], scope.get("root_path", ""), scope["path"]),
        lambda: matched_route(getattr(app, "routes", []), scope),
    )


class NegotiationMiddleware:
    """JSON by default; another media type when Accept prefers it (the JSON body re-rendered); 406 when none fits.

    It applies to every JSON route, including routes added by later chapters. The 406 is decided before the handler
    runs, so an unacceptable POST changes nothing. Error bodies stay JSON.
    """

    def __init__(self, app: ASGIApp, renderers: dict[str, Callable[[object], str] | None] | None = None) -> None:
        self.app = app
        self.renderers = renderers or RENDERERS
        self.offered = list(self.renderers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_json_route(route_of(scope["app"], scope)):
            await self.app(scope, receive, send)
            return
        chosen = negotiate(accept_field(Headers(scope=scope)), self.offered)
        if chosen is None:
            await _send_406(send, self.offered, head=scope["method"] == "HEAD")
            return
        if scope["method"] == "HEAD":  # render the GET, then drop the body: HEAD's headers mirror GET's
            scope, send = {**scope, "method": "GET"}, without_body(send)
        await self.app(scope, receive, _rendering(send, self.renderers.get(chosen), chosen))


async def _send_406(send: Send, offered: Sequence[str], head: bool = False) -> None:
    """406 as problem details; to HEAD the same headers (Content-Length included) without the body."""
    body = not_acceptable_body(offered)
    await send(
        {
            "type": "http.response.start",
            "status": 406,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"vary", b"Accept"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"" if head else body})


def _rendering(send: Send, render: Callable[[object], str] | None, media_type: str) -> Send:
    """Wrap `send`: add Vary: Accept, and re-render a successful JSON body with `render` (None keeps JSON)."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def wrapped(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            headers = [*message.get("headers", []), (b"vary", b"Accept")]
            content_type = dict(headers).get(b"content-type", b"").decode("latin-1")
            if render is None or message["status"] >= 300 or not content_type.startswith(JSON):
                await send({**message, "headers": headers})
                return
            start = {**message, "headers": headers}
            return
        if start is None or render is None:  # (render is None: start was never kept)
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        content = b"".join(chunks)
        body = render(json.loads(content)).encode() if content else b""
        headers = [(k, v) for k, v in start["headers"] if k.lower() not in (b"content-type", b"content-length")]
        headers += [
            (b"content-type", f"{media_type}; charset=utf-8".encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return wrapped
