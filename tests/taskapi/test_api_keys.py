"""API keys: issued once, stored as digests in the database, the login scheme of chapter 05."""

from types import SimpleNamespace
from typing import Annotated

from fastapi import Depends, FastAPI

from course_lib.notebook.server import serve
from course_lib.taskapi.api_keys import API_KEY, KEY_PREFIX, api_key_hint, issue_api_key, sign_up
from course_lib.taskapi.login_schemes import logged_in_by
from course_lib.taskapi.records import User
from course_lib.taskapi.storage import MemoryStorage
from course_lib.web.digests import digest


def test_keys_are_random_and_only_their_digest_is_kept():
    storage = MemoryStorage()
    with storage.unit_of_work() as uow:
        ada = uow.users.add("Ada", "ada@example.org")
        first, second = issue_api_key(uow, ada)["api_key"], issue_api_key(uow, ada)["api_key"]
        uow.commit()
    assert first != second and first.startswith(KEY_PREFIX)
    assert storage.data.api_keys == {digest(first): ada.id, digest(second): ada.id}
    assert first not in str(storage.data)


def whoami_app() -> FastAPI:
    app = FastAPI()
    app.context = SimpleNamespace(storage=MemoryStorage())  # what the unit-of-work dependency reads

    @app.get("/me")
    def me(user: Annotated[User, Depends(logged_in_by(API_KEY))]) -> dict:
        return {"name": user.name}

    return app


def issue(app: FastAPI, name: str = "Ada") -> str:
    with app.context.storage.unit_of_work() as uow:
        user = uow.users.add(name, f"{name.lower()}@example.org")
        key = issue_api_key(uow, user)["api_key"]
        uow.commit()
    return key


def test_an_api_key_login_is_401_with_a_challenge_without_a_valid_key():
    app = whoami_app()
    api = serve(app, name="test-auth")
    missing, wrong = api.get("/me"), api.get("/me", headers={"X-API-Key": "tk_wrong"})
    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["www-authenticate"] == wrong.headers["www-authenticate"] == 'ApiKey header="X-API-Key"'
    assert (missing.json()["detail"], wrong.json()["detail"]) == (api_key_hint(None), "unknown API key")
    assert api.get("/me", headers={"X-API-Key": issue(app)}).json() == {"name": "Ada"}


def test_a_key_whose_user_is_gone_is_401():
    app = whoami_app()
    key = issue(app)
    app.context.storage.data.users.clear()
    assert serve(app, name="test-auth").get("/me", headers={"X-API-Key": key}).status_code == 401


def test_two_apps_on_their_own_storage_never_share_keys():
    first, second = whoami_app(), whoami_app()
    key = issue(first)
    issue(second)
    assert serve(second, name="test-b").get("/me", headers={"X-API-Key": key}).status_code == 401


def test_sign_up_returns_the_key_header_or_nothing(api_at):
    assert sign_up(api_at(4), "Ada") == {}
    headers = sign_up(api_at(5), "Ada")
    assert list(headers) == ["X-API-Key"] and headers["X-API-Key"].startswith(KEY_PREFIX)
