"""The template's design holds: seams swap without router changes, the database keeps invariants across replicas,
every path id is checked before a query, and the default order reads an index."""

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from course_lib.notebook.server import serve, stop
from course_lib.services.db import isolated_database
from course_lib.services.settings import Settings, get_settings
from course_lib.taskapi import app_for, latest
from course_lib.taskapi.api_keys import sign_up
from course_lib.taskapi.records import MAX_ID, TaskQuery
from course_lib.taskapi.sql_queries import task_select
from course_lib.taskapi.sql_storage import SqlStorage
from tests.taskapi import ch99_basic_auth

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "violet harbor lantern 42"


def test_a_chapter_swaps_authentication_without_touching_a_router():
    api = serve(ch99_basic_auth.create_app(), name="test-basic")
    api.post("/users", json={"name": "Ada", "email": "ada@example.org", "password": PASSWORD})
    assert api.post("/tasks", json={"title": "t"}).headers["www-authenticate"] == "Basic"
    created = api.post("/tasks", json={"title": "t"}, auth=("ada@example.org", PASSWORD))
    assert created.status_code == 201 and created.json()["owner_id"] == 1
    assert api.post("/tasks", json={"title": "t"}, auth=("ada@example.org", "wrong password!!")).status_code == 401
    spec = api.get("/openapi.json").json()
    assert "HTTPBasic" in spec["components"]["securitySchemes"] and "APIKeyHeader" not in str(spec["components"])


def test_no_route_surgery_is_left_in_course_lib():
    """Reading app.user_middleware (build.py, describe.py) is fine; changing it after add_middleware is surgery."""
    surgery = r"remove_routes|lifespan_context *=|user_middleware *(=[^=]|\.(insert|append|extend|remove|pop|clear))"
    found = subprocess.run(["grep", "-rnE", surgery, "course_lib"], cwd=ROOT, capture_output=True, text=True).stdout
    assert found == ""


def test_no_private_part_of_fastapi_is_used():
    """FastAPI's telemetry is set in its constructor (build_app's telemetry hook), never in app._telemetry; an app is
    started in process through the ASGI lifespan (TaskAPI.running), never through its router's lifespan_context."""
    private = r"\b(app|api|course)\._[a-z]|_telemetry\b|lifespan_context"
    where = ["course_lib", "tools", "tests/tools/bench"]
    found = subprocess.run(["grep", "-rnE", private, *where], cwd=ROOT, capture_output=True, text=True).stdout
    assert found == ""


@pytest.fixture
def shared_settings(tmp_path):
    """Settings of two replicas on one database: a SQLite file, or a schema of DATABASE_URL's PostgreSQL."""
    get_settings.cache_clear()
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        yield Settings(database_url=f"sqlite:///{tmp_path / 'shared.db'}", isolate_database=False)
        return
    database = isolated_database()
    url = database.engine.url.update_query_dict({"options": f"-c search_path={database.schema}"})
    yield Settings(database_url=url.render_as_string(hide_password=False), isolate_database=False)
    database.drop()


def test_two_replicas_on_one_database_keep_one_account_per_email_and_share_keys(shared_settings):
    replicas = [serve(latest(shared_settings), name=f"replica-{n}") for n in (1, 2)]

    def sign_up(n: int) -> httpx.Response:
        email = "Ada@Example.org" if n % 2 else "ada@example.org"
        return httpx.post(
            f"{replicas[n % 2].url}/users", json={"name": "Ada", "email": email, "password": PASSWORD}, timeout=60
        )

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(sign_up, range(20)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * 19, statuses
    key = next(answer.json()["api_key"] for answer in answers if answer.status_code == 201)
    for replica in replicas:
        assert replica.post("/tasks", json={"title": "t"}, headers={"X-API-Key": key}).status_code == 201
    stop()
    restarted = serve(latest(shared_settings), name="replica-restarted")
    assert restarted.post("/tasks", json={"title": "t"}, headers={"X-API-Key": key}).status_code == 201
    assert restarted.get("/tasks?limit=100", headers={"X-API-Key": key}).headers["x-total-count"] == "3"


@pytest.fixture(scope="module")
def id_api():
    api = serve(latest(), name="test-ids")
    api.client.headers.update(sign_up(api, "Ada"))  # from chapter 15 on, reading a task needs a login
    yield api
    stop("test-ids")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(min_size=1, max_size=30),
        st.integers().map(str),
        st.floats().map(str),
        st.sampled_from(
            [
                "0",
                "-1",
                "1.0",
                "1e3",
                "+7",
                " 7",
                "7 ",
                "٣",
                "１",
                "1_000",
                str(MAX_ID + 1),
                "9" * 40,
                "0x1f",
                "true",
                "null",
            ]
        ),
    )
)
def test_every_path_id_that_is_not_an_integer_in_range_is_422_never_5xx(id_api, raw):
    segment = quote(raw, safe="")  # one path segment, whatever the string holds
    in_range = raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_ID
    changes_the_path = "/" in raw or raw.strip() in (".", "..") or raw == ""
    for url in (f"/tasks/{segment}", f"/users/{segment}", f"/users/{segment}/tasks"):
        response = id_api.get(url)
        assert response.status_code < 500, (url, response.text)
        if not in_range and not changes_the_path:
            assert response.status_code == 422, (url, response.status_code, response.text)


def test_the_default_order_reads_the_index_without_sorting():
    app = app_for(6)
    storage: SqlStorage = app.context.storage
    statement = task_select(TaskQuery(sort=("-created_at",), limit=20))
    compiled = statement.compile(storage.database.engine, compile_kwargs={"literal_binds": True})
    with storage.database.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET enable_seqscan = off"))  # a tiny table: make the planner show its choice
            plan = "\n".join(connection.execute(text(f"EXPLAIN {compiled}")).scalars())
            assert "ix_tasks_created_at_id" in plan and "Sort" not in plan, plan
        else:
            plan = " ".join(row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "ix_tasks_created_at_id" in plan and "TEMP B-TREE" not in plan, plan
    storage.stop()


@pytest.mark.parametrize("chapter", [4, 6])
def test_a_crowd_larger_than_the_worker_threads_all_finish(chapter):
    """Waiting for a unit of work never holds one of the 40 worker threads, so a crowd cannot starve its holder."""
    api = serve(app_for(chapter), name=f"test-crowd-{chapter}")
    key = api.post("/users", json={"name": "Ada", "email": "ada@example.org", "password": PASSWORD}).json()
    headers = {"X-API-Key": key["api_key"]} if "api_key" in key else {}
    api.post("/tasks", json={"title": "t"}, headers=headers).raise_for_status()

    # One client with a connection per caller: a client each made 100 TLS contexts, whose CPU the in-process server
    # waited behind (a loaded CI machine timed a PATCH out at 20 s).
    crowd = httpx.Client(base_url=api.url, timeout=60, limits=httpx.Limits(max_connections=100))

    def read(n: int) -> int:
        if n % 2:
            return crowd.get("/tasks/1").status_code
        return crowd.patch("/tasks/1", json={"description": f"by {n}"}, headers=headers).status_code

    with crowd, ThreadPoolExecutor(100) as pool:
        statuses = list(pool.map(read, range(100)))
    assert statuses == [200] * 100, statuses


def test_an_app_of_its_own_leaves_no_session_token_or_counter_in_redis_once_stopped():
    app = latest(Settings(session_cookie_secure=False))
    api = serve(app, name="forgets")
    password = "violet harbor lantern 42"
    assert api.post("/users", json={"name": "Ada", "email": "ada@example.org", "password": password}).status_code == 201
    login = {"email": "ada@example.org", "password": password}
    assert api.post("/session", json=login).status_code == 201
    assert api.post("/tokens", json=login).status_code == 200
    assert api.post("/visits/in-redis").status_code == 200
    redis = app.context.redis
    kept = {
        "sessions": f"{app.context.sessions.prefix}*",
        "refresh tokens": f"{app.context.refresh_tokens.prefix}*",
        "visits": app.context.visits_key,
    }
    assert all(list(redis.scan_iter(match=pattern)) for pattern in kept.values()), kept
    api.stop()
    left = {name: list(redis.scan_iter(match=pattern)) for name, pattern in kept.items()}
    assert left == {name: [] for name in kept}


def test_routes_are_built_with_the_app_not_on_the_first_request(monkeypatch):
    import fastapi.routing
    from fastapi.testclient import TestClient

    app = latest()
    built = []
    real = fastapi.routing.get_dependant
    monkeypatch.setattr(fastapi.routing, "get_dependant", lambda **kw: built.append(kw["path"]) or real(**kw))
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
    assert built == []


def test_only_work_that_blocks_goes_to_the_thread_pool(monkeypatch):
    import anyio.to_thread
    from fastapi.testclient import TestClient

    offloaded = []
    real = anyio.to_thread.run_sync

    async def counting(func, *args, **kwargs):
        inner = getattr(func, "func", func)
        offloaded.append(getattr(inner, "__qualname__", repr(inner)).split(".")[-1])
        return await real(func, *args, **kwargs)

    with TestClient(latest()) as client:
        auth = sign_up(client, "Pool")
        task_id = client.post("/tasks", json={"title": "t"}, headers=auth).json()["id"]
        monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
        assert client.get(f"/tasks/{task_id}", headers=auth).status_code == 200
        assert client.get("/tasks?limit=5", headers=auth).status_code == 200
    # The database lookups (who is asking, the task) and FastAPI's own check of a sync route's answer; the
    # dependencies that only read the request (ETag conditions, token claims, access rules, sort, paging) are async.
    assert offloaded == ["current_user", "_run_sync_endpoint", "validate"] * 2
