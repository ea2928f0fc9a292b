"""Chapter 01 — HTTP: the task routes with honest status codes, HEAD and OPTIONS for every route, 400 vs 422.

The status codes that the tasks cannot show yet (202, 401, 403, 409, 429, 500) live on a separate demo app,
status_codes_app(), which the chapter serves beside the task API.
"""

from fastapi import APIRouter, FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from course_lib.services.settings import Settings
from course_lib.taskapi import ch00_health
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import TaskAPI
from course_lib.taskapi.routes import tasks
from course_lib.taskapi.seams import Seams
from course_lib.web.http_methods import MethodsMiddleware

RATE_LIMIT = 3  # requests per client to /demo/limited before 429


def extend(app: TaskAPI, seams: Seams) -> None:
    """The task routes; HEAD, OPTIONS and Allow for every route; malformed JSON is 400, not 422."""
    app.include_router(tasks.router(seams))
    app.add_middleware(MethodsMiddleware)
    # Starlette types every handler as taking Exception, whichever class it is registered for.
    app.add_exception_handler(RequestValidationError, malformed_is_400)  # type: ignore[arg-type]


async def malformed_is_400(request: Request, exc: RequestValidationError) -> JSONResponse:
    """400 when the body is not even JSON (malformed syntax), 422 when it is JSON but breaks the rules."""
    errors = exc.errors()
    status = 400 if any(error.get("type") == "json_invalid" for error in errors) else 422
    return JSONResponse({"detail": _plain(errors)}, status_code=status)


def _plain(errors) -> list[dict]:
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in errors]


CHAPTER = Chapter(__name__, previous=ch00_health.CHAPTER, extend=extend)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 00's app plus the task routes, HEAD/OPTIONS, and 400 for malformed JSON."""
    return build_app(CHAPTER, settings)


class Room(BaseModel):
    name: str


def status_codes_app() -> FastAPI:
    """A small app whose routes exist only to show 202, 401, 403, 409, 429 and 500 before later chapters earn them."""
    app = FastAPI(title="Status codes demo")
    app.add_middleware(MethodsMiddleware)
    app.include_router(demo_router(), prefix="/demo", tags=["demo"])
    return app


DEMO_TOKENS = {"admin-token": "admin", "learner-token": "learner"}  # token -> who it was given to


def demo_router() -> APIRouter:
    """The demo routes: /demo/reports, /demo/admin, /demo/rooms, /demo/limited, /demo/boom."""
    router = APIRouter()
    hits: dict[str, int] = {}
    rooms: set[str] = set()

    @router.post("/reports", status_code=202)
    def start_report() -> dict:
        """202: accepted for later processing, not done yet."""
        return {"status": "queued", "check": "/demo/reports/1"}

    @router.get("/admin")
    def admin(authorization: str | None = Header(default=None)) -> dict:
        """401 without credentials or with a token nobody was given, 403 for a known non-admin, 200 for the admin."""
        if authorization is None:
            raise HTTPException(401, "send Authorization: Bearer <token>", headers={"WWW-Authenticate": "Bearer"})
        who = DEMO_TOKENS.get(authorization.removeprefix("Bearer "))
        if who is None:  # not a token of ours: we don't know who this is, so 401 again, never 403
            raise HTTPException(
                401, "this token is not valid here", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
            )
        if who != "admin":
            raise HTTPException(403, f"{who} may not read the admin area")
        return {"users": 1, "tasks": 0}

    @router.post("/rooms", status_code=201)
    def book_room(body: Room) -> dict:
        """201 for a free room name, 409 when it is taken: the request is fine, the server's state says no."""
        if body.name in rooms:
            raise HTTPException(409, f"room {body.name!r} is already booked")
        rooms.add(body.name)
        return {"booked": body.name}

    @router.get("/limited")
    def limited(request: Request) -> dict:
        """429 + Retry-After once a client has sent RATE_LIMIT requests."""
        client = request.client.host if request.client else "unknown"
        hits[client] = hits.get(client, 0) + 1
        if hits[client] > RATE_LIMIT:
            raise HTTPException(429, "slow down", headers={"Retry-After": "60"})
        return {"remaining": RATE_LIMIT - hits[client]}

    @router.get("/boom")
    def boom() -> dict:
        """500: a bug in the server, never the client's fault."""
        raise RuntimeError("a bug in the handler")

    return router
