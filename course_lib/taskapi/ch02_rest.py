"""Chapter 02 — REST: representations chosen by Accept, Cache-Control on every response, code on demand."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from starlette.middleware import Middleware

from course_lib.services.settings import Settings
from course_lib.taskapi.routing import remove_routes
from course_lib.web.cache_control import DEFAULT_RULES, CacheControlMiddleware
from course_lib.web.negotiation import NegotiationMiddleware

JAVASCRIPT = "text/javascript"
SCRIPT_CACHE = "public, max-age=3600"  # code changes only with a release: any cache may keep it for an hour

CLIENT_JS = """\
// Code on demand: the server sends the code that turns its JSON into a list on the page.
function taskItem(task) {
  const item = document.createElement("li");
  item.textContent = (task.done ? "[x] " : "[ ] ") + task.title;  // textContent: a title is never run as HTML
  return item;
}

async function showTasks(list) {
  const response = await fetch("tasks", { headers: { Accept: "application/json" } });
  const body = await response.json();
  list.replaceChildren(...(body.items ?? body).map(taskItem));
}
"""

PAGE_HTML = """\
<!doctype html>
<title>Tasks</title>
<h1>Tasks</h1>
<ul id="tasks"></ul>
<script src="client.js"></script>
<script>showTasks(document.getElementById("tasks"));</script>
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Chapter 01's API without its /demo scaffolding, plus content negotiation, Cache-Control and /client.js."""
    from course_lib.taskapi import app_factory

    app = app_factory(1)(settings)
    remove_routes(app, "/demo", prefix=True)
    # Innermost (appended, not inserted): it sees HEAD already turned into GET and renders the body HEAD then drops.
    app.user_middleware.append(Middleware(NegotiationMiddleware))
    app.state.cache_rules = DEFAULT_RULES
    app.add_middleware(CacheControlMiddleware)
    add_code_on_demand(app)
    return app


def add_code_on_demand(app: FastAPI) -> None:
    """GET /client.js (a script the client runs) and GET /app (a page that loads it)."""

    @app.get("/client.js", response_class=Response, include_in_schema=False)
    def client_script() -> Response:
        """The script, cacheable by anyone for an hour."""
        return Response(CLIENT_JS, media_type=JAVASCRIPT, headers={"Cache-Control": SCRIPT_CACHE})

    @app.get("/app", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        """A page whose behaviour comes from /client.js."""
        return HTMLResponse(PAGE_HTML)
