"""Security header fields on every response (OWASP REST Security and HTTP Headers cheat sheets, for a JSON API).

A header a route set itself is kept. An HTML answer (the API docs pages, which run scripts) gets only the framing
rule of the Content-Security-Policy; JSON needs no script, style or image, so everything else is 'none'.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",  # a browser never guesses a script out of JSON
    "X-Frame-Options": "DENY",  # no page may frame the API (older browsers; CSP frame-ancestors for the rest)
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",  # links never carry the API's URLs (with ids, cursors) to other sites
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",  # HTTPS only, 2 years (ignored over HTTP)
}
HTML_POLICY = "frame-ancestors 'none'"


class SecurityHeadersMiddleware:
    """Pure ASGI: add SECURITY_HEADERS to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, headers: dict[str, str] | None = None) -> None:
        self.app, self.headers = app, dict(SECURITY_HEADERS if headers is None else headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                html = headers.get("content-type", "").startswith("text/html")
                for name, value in self.headers.items():
                    if name not in headers:
                        headers[name] = HTML_POLICY if html and name == "Content-Security-Policy" else value
            await send(message)

        await self.app(scope, receive, secured)
