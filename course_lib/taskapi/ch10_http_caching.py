"""Chapter 10 — HTTP caching: every task carries an ETag; a client revalidates with If-None-Match (304) and writes
with If-Match (412 when its copy is stale, 428 when it does not say which copy it changes).

- ETag: "task-<id>-v<version>-<json|csv>", strong, one per representation (JSON and CSV are different bytes);
- GET/HEAD with If-None-Match naming it → 304, no body, with ETag, Cache-Control and Vary (RFC 9110 §15.4.5);
- Last-Modified from updated_at once its second is over; without If-None-Match, If-Modified-Since → 304 by date;
- PUT, PATCH, DELETE and POST /tasks/{id}/complete need If-Match (428 without, RFC 6585): a tag of the current
  version compared strongly (a W/ tag never matches), or '*' for "whatever is there now" (last write wins, said out
  loud); a stale tag → 412 and nothing changes. The check runs on the row as read under the write lock;
- task and user data is `private, no-cache`: only the client's own cache keeps it, and revalidates every time.
"""

from dataclasses import replace

from fastapi import Request, Response
from fastapi.routing import APIRoute

from course_lib.services.settings import Settings
from course_lib.taskapi import ch09_sessions
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import TaskAPI
from course_lib.taskapi.deps import UnitOfWorkDep
from course_lib.taskapi.records import Task, utcnow
from course_lib.taskapi.seams import Conditions, Seams
from course_lib.taskapi.storage import UnitOfWork
from course_lib.web.cache_control import CacheRule
from course_lib.web.conditional import NotModifiedMiddleware, if_match_holds, last_modified, strong
from course_lib.web.field_lines import list_field
from course_lib.web.negotiation import representation_of
from course_lib.web.openapi_responses import document_responses, edit_openapi, operations, uses_dependency
from course_lib.web.problems import Problem

SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
FORMATS = {"application/json": "json", "text/csv": "csv"}
PRIVATE = "private, no-cache"  # per-user data: no shared cache keeps it, the client's own revalidates every time


def task_etag(task: Task, media_type: str = "application/json") -> str:
    """The strong ETag of one representation of `task`: its id, its version, and which format the bytes are in."""
    return strong(f"task-{task.id}-v{task.version}-{FORMATS.get(media_type, 'json')}")


class ETagConditions:
    """Tag every task response with its ETag; let a write through only if its If-Match names the current version."""

    def __init__(self, request: Request, response: Response, uow: UnitOfWork) -> None:
        self.if_match = list_field(request.headers.getlist("if-match"))  # two lines are one list (RFC 9110 §5.3)
        self.media_type = representation_of(request.headers)
        self.response, self.uow = response, uow

    def tag(self, task: Task) -> None:
        """ETag of the representation this response carries, and Last-Modified for clients that revalidate by date."""
        self.response.headers["ETag"] = task_etag(task, self.media_type)
        if (modified := last_modified(task.updated_at, utcnow())) is not None:
            self.response.headers["Last-Modified"] = modified

    def check(self, task: Task) -> None:
        """428 without If-Match; else lock, read the task as it is now: 404 if it is gone, 412 unless If-Match names it
        (or is '*')."""
        if self.if_match is None:
            raise Problem(
                428,
                "send If-Match with the ETag of the task you read (or '*' to overwrite whatever is there)",
                type="/problems/precondition-required",
            )
        # Lock first, then compare: another writer cannot change the row between this check and this request's write.
        self.uow.begin_write()
        current = self.uow.tasks.get(task.id)
        if current is None:  # deleted since it was found: the 404 a later request gets (RFC 9110 §13.2.1), not 412
            self.uow.commit()
            raise Problem(404, f"task {task.id} not found")
        if not if_match_holds(self.if_match, [task_etag(current, media_type) for media_type in FORMATS]):
            self.uow.commit()  # nothing was written: end the transaction now, the other writers are waiting
            raise Problem(
                412,
                f"task {task.id} changed since you read it; read it again (GET gives the current ETag), then retry",
                type="/problems/stale-etag",
            )


async def etag_conditions(request: Request, response: Response, uow: UnitOfWorkDep) -> Conditions:
    """The conditions of one request: its If-Match, the representation it gets, and its unit of work."""
    return ETagConditions(request, response, uow)


def swap_seams(seams: Seams) -> Seams:
    """Conditional requests: ETags on tasks, If-Match on every change of one."""
    return replace(seams, conditions=etag_conditions)


def extend(app: TaskAPI, seams: Seams) -> None:
    """304 for a copy the client already holds, private caching of API data, 412/428 in the contract."""
    app.add_middleware(NotModifiedMiddleware)
    app.context.cache_rules = (CacheRule("/tasks", PRIVATE), CacheRule("/users", PRIVATE), *app.context.cache_rules)
    document_responses(app, preconditions)
    edit_openapi(app, require_if_match)


def preconditions(path: str, route: APIRoute) -> dict[int, str]:
    """412 and 428 for every write that checks If-Match."""
    if not uses_dependency(route, etag_conditions) or (route.methods or set()) <= SAFE or route.status_code == 201:
        return {}
    return {
        412: "If-Match names no current version: a stale or weak tag, or an empty or malformed value "
        "(nothing was changed)",
        428: "If-Match is missing: send the ETag you read, or '*'",
    }


IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "schema": {"type": "string"},
    "description": "The ETag of the task as you read it (or several, comma-separated), or * to overwrite "
    "whatever is there. An empty or malformed value names no version: 412.",
}


def require_if_match(schema: dict) -> None:
    """Write the policy into the contract: every operation that can answer 428 requires If-Match."""
    for operation in operations(schema):
        parameters = operation.setdefault("parameters", [])
        if "428" in operation.get("responses", {}) and IF_MATCH not in parameters:
            parameters.append(IF_MATCH)


CHAPTER = Chapter(__name__, previous=ch09_sessions.CHAPTER, swap_seams=swap_seams, extend=extend)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 09's API with ETags, 304 Not Modified, and writes that refuse a stale copy."""
    return build_app(CHAPTER, settings)
