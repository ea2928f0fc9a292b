"""HEAD, OPTIONS, a correct Allow header for every route, and 501 for a method the server does not know, as RFC 9110
asks of a server."""

from collections.abc import Set

from fastapi.routing import iter_route_contexts
from starlette.responses import JSONResponse
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from course_lib.web.route_memo import remembered

# RFC 9110 §9, PATCH (RFC 5789) and QUERY (the HTTP working group's safe method with a body,
# draft-ietf-httpbis-safe-method-w-body, which clients and schemathesis already send): a method outside these is one
# the server does not recognize (501, §15.6.2); a known method a resource lacks is 405 with Allow (§15.5.6).
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "QUERY"})


def allowed_methods(app, scope: Scope) -> frozenset[str]:
    """The methods some route of `app` accepts at the scope's path (HEAD with GET, OPTIONS always)."""
    return remembered(
        app,
        "allowed methods",
        (scope.get("root_path", ""), scope["path"]),
        lambda: frozenset(methods_of_routes(app, scope)),
    )


def methods_of_routes(app, scope: Scope) -> set[str]:
    """allowed_methods, found by asking every route (those of included routers too) whether the path matches."""
    methods: set[str] = set()
    for route in iter_route_contexts(app.routes):  # the routes of included routers too
        match, _ = route.matches({**scope, "method": "GET"})
        route_methods = getattr(route, "methods", None)
        if match != Match.NONE and route_methods:
            methods |= set(route_methods)
    if "GET" in methods:
        methods.add("HEAD")
    return methods | {"OPTIONS"} if methods else set()


def allow_header(methods: Set[str]) -> str:
    """The Allow header value, in a stable order."""
    order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return ", ".join(sorted(methods, key=lambda m: order.index(m) if m in order else len(order)))


class MethodsMiddleware:
    """Answers OPTIONS with 204 + Allow, HEAD like GET without a body, puts the full Allow on every 405, and answers
    501 to a method it does not know.

    A CORS preflight (OPTIONS with Origin and Access-Control-Request-Method) gets the same 204 + Allow and no
    Access-Control-* field: the API answers OPTIONS, and grants no other origin anything. The missing
    Access-Control-Allow-Origin is the refusal a browser reads. Chapter 20's CORS middleware sits outside
    this one and answers the preflights it grants before they get here.
    """

    def __init__(self, app: ASGIApp, routes_of=None) -> None:
        self.app = app
        self.routes_of = routes_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method not in KNOWN_METHODS:
            response = JSONResponse({"detail": f"method {method} is not implemented by this server"}, status_code=501)
            await response(scope, receive, send)
            return
        router = self.routes_of or scope["app"]
        allowed = allowed_methods(router, scope)
        if method == "OPTIONS" and allowed:
            await _send_empty(send, 204, allow_header(allowed))
            return
        if method == "HEAD" and "GET" in allowed:
            await self.app({**scope, "method": "GET"}, receive, without_body(send))
            return
        await self.app(scope, receive, _with_allow(send, allowed))


async def _send_empty(send: Send, status: int, allow: str) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"allow", allow.encode())]})
    await send({"type": "http.response.body", "body": b""})


def without_body(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return wrapped


def _with_allow(send: Send, allowed: Set[str]) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 405 and allowed:
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
            message = {**message, "headers": [*headers, (b"allow", allow_header(allowed).encode())]}
        await send(message)

    return wrapped
