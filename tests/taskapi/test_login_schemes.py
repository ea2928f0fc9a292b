"""One current_user from an ordered list of login schemes: the first that names a user wins, else one 401 with all."""

from types import SimpleNamespace
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.security import APIKeyHeader

from course_lib.notebook.server import serve
from course_lib.taskapi.login_schemes import LoginScheme, logged_in_by
from course_lib.taskapi.records import User
from course_lib.taskapi.storage import MemoryStorage

USERS = {"ada": User(1, "Ada", "ada@example.org"), "bob": User(2, "Bob", "bob@example.org")}
tried: list[str] = []


def scheme(header: str, refuses: str = "") -> LoginScheme:
    """A scheme reading `header`: a known name is its user, `refuses` is a 401 of its own, anything else nobody."""

    def user(request: Request, uow, sent: str) -> User | None:
        tried.append(header)
        if sent == refuses:
            raise HTTPException(401, f"bad {header}", headers={"WWW-Authenticate": f'{header} error="invalid"'})
        return USERS.get(sent)

    return LoginScheme(
        header.lower(),
        sent=APIKeyHeader(name=header, scheme_name=header, auto_error=False),
        user=user,
        challenge=f"{header} realm=x",
        hint=lambda sent: f"unknown {header}" if sent else f"send {header}",
    )


def whoami(*schemes: LoginScheme) -> FastAPI:
    app = FastAPI()
    app.context = SimpleNamespace(storage=MemoryStorage())  # what the unit-of-work dependency reads

    @app.get("/me")
    def me(user: Annotated[User, Depends(logged_in_by(*schemes))]) -> dict:
        return {"name": user.name}

    return app


def test_the_first_scheme_that_names_a_user_wins_and_later_ones_are_not_tried():
    api = serve(whoami(scheme("First"), scheme("Second")), name="test-schemes-order")
    tried.clear()
    assert api.get("/me", headers={"First": "ada", "Second": "bob"}).json() == {"name": "Ada"}
    assert tried == ["First"]
    assert api.get("/me", headers={"First": "nobody", "Second": "bob"}).json() == {"name": "Bob"}
    swapped = serve(whoami(scheme("Second"), scheme("First")), name="test-schemes-swapped")
    assert swapped.get("/me", headers={"First": "ada", "Second": "bob"}).json() == {"name": "Bob"}


def test_nobody_is_one_401_with_every_challenge_in_order_and_every_hint():
    api = serve(whoami(scheme("First"), scheme("Second")), name="test-schemes-401")
    tried.clear()
    refused = api.get("/me", headers={"Second": "nobody"})
    assert refused.status_code == 401 and tried == ["Second"]  # a scheme with nothing sent is not asked
    assert refused.headers["www-authenticate"] == "First realm=x, Second realm=x"
    assert refused.json()["detail"] == "send First, or unknown Second"


def test_a_scheme_may_refuse_what_was_sent_and_no_later_scheme_answers_instead():
    api = serve(whoami(scheme("First", refuses="forged"), scheme("Second")), name="test-schemes-refuse")
    refused = api.get("/me", headers={"First": "forged", "Second": "bob"})
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == 'First error="invalid"'


def test_the_openapi_documents_each_scheme_in_the_order_they_are_tried():
    spec = whoami(scheme("First"), scheme("Second")).openapi()
    assert list(spec["components"]["securitySchemes"]) == ["First", "Second"]
    assert spec["paths"]["/me"]["get"]["security"] == [{"First": []}, {"Second": []}]  # either one will do
