"""Conditional requests (RFC 9110 §13): entity tags, If-None-Match → 304 Not Modified, If-Match → 412 or 428.

strong("task-7-v3-json")          '"task-7-v3-json"': promises these exact bytes
weak("task-7-v3")                 'W/"task-7-v3"': promises the same meaning, not the same bytes
if_none_match_hits(header, tag)   weak comparison: True → answer 304 to a GET or HEAD
if_match_holds(header, tags)      strong comparison, '*' for "whatever is there": False → 412
last_modified(when, now)          the Last-Modified of a change, once its second is over (else None)
modified_since(header, value)     If-Modified-Since: False → answer 304 to a GET or HEAD
NotModifiedMiddleware             turns a 200 the client already holds (by ETag, else by date) into a bodiless 304
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from course_lib.web.field_lines import RepeatedField, list_field, single_field

ANY = "*"
_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')
# RFC 9110 §15.4.5: a 304 carries the Cache-Control, Content-Location, Date, ETag, Expires and Vary a 200 would
# have had, and SHOULD NOT carry other representation metadata (§8: these). Fields about the exchange — Set-Cookie,
# Link, X-Request-ID — are not representation metadata: they stay.
DROPPED_ON_304 = frozenset(
    {b"content-type", b"content-length", b"content-encoding", b"content-language", b"content-range"}
)


def strong(opaque: str) -> str:
    """A strong entity tag: byte-for-byte the same representation while it holds."""
    return f'"{opaque}"'


def weak(opaque: str) -> str:
    """A weak entity tag: the same meaning (not necessarily the same bytes) while it holds."""
    return f'W/"{opaque}"'


def is_weak(tag: str) -> bool:
    """True for a W/"..." tag."""
    return tag.startswith("W/")


def parse_tags(header: str | None) -> list[str] | None:
    """The entity tags of an If-Match / If-None-Match value; ['*'] for '*'; None when absent or malformed."""
    if header is None:
        return None
    if header.strip() == ANY:
        return [ANY]
    tags, position = [], 0
    text = header.strip()
    while position < len(text):
        match = _TAG.match(text, position)
        if match is None:
            return None
        tags.append(f'{match.group(1) or ""}"{match.group(2)}"')
        position = match.end()
    return tags or None


def strong_match(a: str, b: str) -> bool:
    """Strong comparison (RFC 9110 §8.8.3.2): both tags strong and identical."""
    return not is_weak(a) and not is_weak(b) and a == b


def weak_match(a: str, b: str) -> bool:
    """Weak comparison: the opaque parts are identical, W/ or not."""
    return a.removeprefix("W/") == b.removeprefix("W/")


def if_none_match_hits(header: str | None, current: str) -> bool:
    """True when the client already holds `current` (weak comparison, '*' matches anything): a GET answers 304."""
    tags = parse_tags(header)
    if not tags:
        return False
    return tags == [ANY] or any(weak_match(tag, current) for tag in tags)


def if_match_holds(header: str, current: Iterable[str]) -> bool:
    """True when the write may go ahead: '*' (the resource exists), or a tag strongly equal to a current one."""
    tags = parse_tags(header)
    if not tags:
        return False
    if tags == [ANY]:
        return True
    current = list(current)
    return any(strong_match(tag, now) for tag in tags for now in current)


def last_modified(when: datetime, now: datetime) -> str | None:
    """The Last-Modified of a change made at `when`; None while its second lasts (a later change could share it)."""
    if int(when.timestamp()) >= int(now.timestamp()):
        return None  # RFC 9110 §8.8.2.2: a date is a strong validator only if it is a second or more before Date
    return format_datetime(when, usegmt=True)


def http_date(value: str | None) -> datetime | None:
    """An HTTP-date as an aware datetime; None when absent, malformed, or more than one value."""
    if value is None or value.count(",") > 1:  # "Sun, 06 Nov 1994 08:49:37 GMT" has one comma; a list has more
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else None


def modified_since(header: str | None, value: str | None) -> bool:
    """False when If-Modified-Since is a valid date and the Last-Modified `value` is not after it (→ 304)."""
    since, modified = http_date(header), http_date(value)
    return since is None or modified is None or modified > since


def not_modified(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The headers of a 304 made from a 200's: all but the representation metadata a 304 does not repeat."""
    has_etag = any(name.lower() == b"etag" for name, _ in headers)
    dropped = DROPPED_ON_304 | ({b"last-modified"} if has_etag else set())  # the ETag validates; the date is redundant
    return [(name, value) for name, value in headers if name.lower() not in dropped]


class NotModifiedMiddleware:
    """A GET or HEAD whose If-None-Match names the ETag of the 200 it would get is answered 304, without the body.

    Without If-None-Match, If-Modified-Since is compared with the 200's Last-Modified (RFC 9110 §13.2.2: an
    If-None-Match, when sent, decides alone — a tag is the finer validator).

    The handler still runs (it must read the task to know its version); what the 304 saves is the body on the wire
    and the client's work. A cache in front (a browser, a CDN, a reverse proxy) saves the trip as well.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        fields = Headers(scope=scope)
        header = list_field(fields.getlist("if-none-match"))  # a list: its lines are one list (RFC 9110 §5.3)
        try:
            since = single_field(fields.getlist("if-modified-since"), "If-Modified-Since")
        except RepeatedField:
            since = None  # more than one date: ignored, as RFC 9110 §13.1.3 says
        if header is None and since is None:
            await self.app(scope, receive, send)
            return
        replaced = False

        async def wrapped(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                fields = {name.lower(): value.decode("latin-1") for name, value in headers}
                etag = fields.get(b"etag")
                if header is not None:
                    held = etag is not None and if_none_match_hits(header, etag)
                else:
                    held = b"last-modified" in fields and not modified_since(since, fields[b"last-modified"])
                if message["status"] == 200 and held:
                    replaced = True
                    await send({"type": "http.response.start", "status": 304, "headers": not_modified(headers)})
                    await send({"type": "http.response.body", "body": b""})
                    return
            elif replaced:
                return  # the 200's body: the client already has it
            await send(message)

        await self.app(scope, receive, wrapped)
