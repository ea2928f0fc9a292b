"""An old API version announces its end on every answer: Deprecation (RFC 9745), Sunset (RFC 8594) and a Link.

A middleware, not a route dependency: a dependency's headers go only onto the answer its route returns, so a 404 the
route raises, a 422 from validation or a 405 would leave the version's end unannounced. The middleware marks every
answer under the version's path prefix, whatever produced it.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def deprecation_headers(deprecated: datetime, sunset: datetime, migration_guide: str) -> dict[str, str]:
    """Deprecated since `deprecated` (a structured-field date), gone after `sunset` (an HTTP-date), and the guide."""
    return {
        "Deprecation": f"@{int(deprecated.timestamp())}",
        "Sunset": format_datetime(sunset, usegmt=True),
        "Link": f'<{migration_guide}>; rel="deprecation"',
    }


class DeprecatedVersion:
    """Adds the deprecation headers to every response under `prefix` (e.g. "/v1"), errors included."""

    def __init__(self, app: ASGIApp, prefix: str, deprecated: datetime, sunset: datetime, migration_guide: str) -> None:
        self.app, self.prefix = app, prefix.rstrip("/")
        self.headers = deprecation_headers(deprecated, sunset, migration_guide)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == self.prefix or path.startswith(self.prefix + "/")):
            await self.app(scope, receive, send)
            return

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.append(name, value)  # append: a response may already carry a Link of its own
            await send(message)

        await self.app(scope, receive, marked)
