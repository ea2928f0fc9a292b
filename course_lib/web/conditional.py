"""Conditional requests (RFC 9110 §13): entity tags, If-None-Match → 304 Not Modified, If-Match → 412 or 428.

    strong("task-7-v3-json")          '"task-7-v3-json"': promises these exact bytes
    weak("task-7-v3")                 'W/"task-7-v3"': promises the same meaning, not the same bytes
    if_none_match_hits(header, tag)   weak comparison: True → answer 304 to a GET or HEAD
    if_match_holds(header, tags)      strong comparison, '*' for "whatever is there": False → 412
    NotModifiedMiddleware             turns a 200 whose ETag the client already holds into a bodiless 304
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ANY = "*"
_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')
# RFC 9110 §15.4.5: a 304 carries the fields a 200 would have had among these; no other representation metadata.
KEPT_ON_304 = frozenset({b"cache-control", b"content-location", b"date", b"etag", b"expires", b"vary"})


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


def not_modified(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The headers of a 304 made from a 200's: only those a 304 carries."""
    return [(name, value) for name, value in headers if name.lower() in KEPT_ON_304]


class NotModifiedMiddleware:
    """A GET or HEAD whose If-None-Match names the ETag of the 200 it would get is answered 304, without the body.

    The handler still runs (it must read the task to know its version); what the 304 saves is the body on the wire
    and the client's work. A cache in front (a browser, a CDN, a reverse proxy) saves the trip as well.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        header = next((value.decode("latin-1") for name, value in scope["headers"] if name == b"if-none-match"), None)
        if header is None:
            await self.app(scope, receive, send)
            return
        replaced = False

        async def wrapped(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                etag = next((value.decode("latin-1") for name, value in headers if name.lower() == b"etag"), None)
                if message["status"] == 200 and etag is not None and if_none_match_hits(header, etag):
                    replaced = True
                    await send({"type": "http.response.start", "status": 304, "headers": not_modified(headers)})
                    await send({"type": "http.response.body", "body": b""})
                    return
            elif replaced:
                return  # the 200's body: the client already has it
            await send(message)

        await self.app(scope, receive, wrapped)
