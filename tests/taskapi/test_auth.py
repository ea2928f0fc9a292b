"""API keys: issued once, stored as digests, checked by the CurrentUser dependency."""

from fastapi import FastAPI

from course_lib.notebook.server import serve
from course_lib.taskapi.auth import KEY_PREFIX, ApiKeys, CurrentUser, digest, install_api_keys, sign_up
from course_lib.taskapi.repository import InMemoryUserRepository


def test_keys_are_random_and_only_their_digest_is_kept():
    keys = ApiKeys()
    first, second = keys.issue(1), keys.issue(1)
    assert first != second and first.startswith(KEY_PREFIX)
    assert keys.owner(first) == keys.owner(second) == 1 and keys.owner("tk_guess") is None
    assert first not in str(keys._owners) and digest(first) in keys._owners


def whoami_app() -> FastAPI:
    app = FastAPI()
    app.state.users = InMemoryUserRepository()
    install_api_keys(app)

    @app.get("/me")
    def me(user: CurrentUser) -> dict:
        return {"name": user.name}

    return app


def test_current_user_is_401_with_a_challenge_without_a_valid_key():
    app = whoami_app()
    api = serve(app, name="test-auth")
    missing, wrong = api.get("/me"), api.get("/me", headers={"X-API-Key": "tk_wrong"})
    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["www-authenticate"] == 'ApiKey header="X-API-Key"'
    ada = app.state.users.add("Ada", "ada@example.org")
    key = app.state.api_keys.issue(ada.id)
    assert api.get("/me", headers={"X-API-Key": key}).json() == {"name": "Ada"}


def test_a_key_of_a_deleted_user_is_401():
    app = whoami_app()
    api = serve(app, name="test-auth")
    key = app.state.api_keys.issue(42)
    assert api.get("/me", headers={"X-API-Key": key}).status_code == 401


def test_two_apps_never_share_keys():
    first, second = whoami_app(), whoami_app()
    for app in (first, second):
        app.state.users.add("Ada", "ada@example.org")
    key = first.state.api_keys.issue(1)
    assert serve(second, name="test-b").get("/me", headers={"X-API-Key": key}).status_code == 401


def test_sign_up_returns_the_key_header_or_nothing(api_at):
    assert sign_up(api_at(4), "Ada") == {}
    headers = sign_up(api_at(5), "Ada")
    assert list(headers) == ["X-API-Key"] and headers["X-API-Key"].startswith(KEY_PREFIX)
