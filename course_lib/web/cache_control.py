"""Cache-Control on every response (RFC 9111): each response says whether, by whom and how long it may be reused."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD"})
NO_STORE = "no-store"
# The headers of a response that carries a secret (a CSRF token, an access or refresh token): no cache may keep it.
# Pragma for HTTP/1.0 caches, which RFC 6749 §5.1 asks of every token response.
NEVER_STORED = {"Cache-Control": NO_STORE, "Pragma": "no-cache"}


@dataclass(frozen=True)
class CacheRule:
    """Successful GET/HEAD responses under `path_prefix` get `value`."""

    path_prefix: str
    value: str


# First match wins. API data changes at any time, so caches must revalidate it (no-cache); the code-on-demand script
# only changes with a release, so any cache may keep it for an hour; a health check must always reach the server.
DEFAULT_RULES: tuple[CacheRule, ...] = (
    CacheRule("/health", NO_STORE),
    CacheRule("/", "no-cache"),
)


def cache_control_for(method: str, path: str, status: int, rules=DEFAULT_RULES) -> str:
    """The Cache-Control value for a response: no-store for writes and errors, else the first matching rule."""
    if method not in SAFE_METHODS or status >= 400:
        return NO_STORE
    return next((rule.value for rule in rules if path.startswith(rule.path_prefix)), NO_STORE)


class CacheControlMiddleware:
    """Adds Cache-Control to every response whose handler did not set one, using the rules `rules()` gives.

    The rules are read per request, so an app that keeps them where a later chapter can put its own in front
    (the task API's context) passes a function reading them there.
    """

    def __init__(self, app: ASGIApp, rules: Callable[[], Sequence[CacheRule]] = lambda: DEFAULT_RULES) -> None:
        self.app, self.rules = app, rules

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rules = self.rules()

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    value = cache_control_for(scope["method"], scope["path"], message["status"], rules)
                    message = {**message, "headers": [*headers, (b"cache-control", value.encode())]}
            await send(message)

        await self.app(scope, receive, wrapped)
