"""Duplicate member names in a JSON body are refused (400), never resolved: `{"title": "a", "title": "b"}` means "b"
to Python's json and "a" to other parsers, so a proxy or validator in front could check one value and the API store
another.

RFC 8259 §4: names within an object SHOULD be unique, and parsers disagree on what a duplicate means.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from course_lib.web.limits import JSON_TYPES, accepted_types, has_body, is_json, media_type
from course_lib.web.problems import problem


class DuplicateMember(ValueError):
    """A JSON object names one member twice."""


def unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json.loads' object_pairs_hook: the object as a dict, or DuplicateMember when a name repeats."""
    members = dict(pairs)
    if len(members) == len(pairs):  # the common case costs one comparison
        return members
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            raise DuplicateMember(name)
        seen.add(name)
    raise AssertionError("unreachable: fewer members than pairs means a repeated name")


def duplicate_member(body: bytes) -> str | None:
    """The first member name `body` repeats within one object, or None (also when it is not JSON: the route says so)."""
    try:
        json.loads(body, object_pairs_hook=unique_members)
    except DuplicateMember as duplicate:
        return str(duplicate)
    except (ValueError, RecursionError):  # not JSON (UnicodeDecodeError is a ValueError too), or nested deeper than
        return None  # a parser recurses: FastAPI's parser fails on it the same way, and answers its own 400
    return None


class UniqueMembersMiddleware:
    """400 problem+json for a JSON body that names a member twice, before any route reads it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if (
            not has_body(headers)
            or not is_json(media_type(headers))
            or accepted_types(scope["app"], scope) != JSON_TYPES
        ):
            await self.app(scope, receive, send)
            return
        # The body is read once here (the size guard outside bounds it) and handed on unchanged.
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left before its body was complete: nothing to answer
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if (name := duplicate_member(body)) is not None:
            response = problem(
                400,
                "the request body is not valid JSON",
                errors=[
                    {
                        "in": "body",
                        "field": "body",
                        "detail": f"member {name!r} appears twice in one object",
                        "type": "json_duplicate_member",
                    }
                ],
            )
            await response(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
