"""Cache-Control on every response (RFC 9111): each response says whether, by whom and how long it may be reused."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD"})
NO_STORE = "no-store"


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
    """Adds Cache-Control to every response whose handler did not set one, using the rules in app.state.cache_rules.

    The rules live on app.state so a later chapter can put its own in front: app.state.cache_rules = (rule, *old).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rules = getattr(scope["app"].state, "cache_rules", DEFAULT_RULES)

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    value = cache_control_for(scope["method"], scope["path"], message["status"], rules)
                    message = {**message, "headers": [*headers, (b"cache-control", value.encode())]}
            await send(message)

        await self.app(scope, receive, wrapped)
