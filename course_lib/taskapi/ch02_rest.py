"""Chapter 02 — REST: representations chosen by Accept, Cache-Control on every response, code on demand."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from course_lib.services.settings import Settings
from course_lib.taskapi import ch01_http
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import TaskAPI
from course_lib.taskapi.seams import Seams
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


def extend(app: TaskAPI, seams: Seams) -> None:
    """Representations chosen by Accept, Cache-Control on every response, and code on demand."""
    app.add_middleware(NegotiationMiddleware)
    app.context.cache_rules = DEFAULT_RULES  # in the context: a later chapter puts its own rules in front
    app.add_middleware(CacheControlMiddleware, rules=lambda: app.context.cache_rules)
    app.include_router(code_on_demand)


code_on_demand = APIRouter(include_in_schema=False)


@code_on_demand.get("/client.js", response_class=Response)
def client_script() -> Response:
    """The script, cacheable by anyone for an hour."""
    return Response(CLIENT_JS, media_type=JAVASCRIPT, headers={"Cache-Control": SCRIPT_CACHE})


@code_on_demand.get("/app", response_class=HTMLResponse)
def page() -> HTMLResponse:
    """A page whose behaviour comes from /client.js."""
    return HTMLResponse(PAGE_HTML)


CHAPTER = Chapter(__name__, previous=ch01_http.CHAPTER, extend=extend)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 01's API plus content negotiation, Cache-Control and /client.js."""
    return build_app(CHAPTER, settings)
