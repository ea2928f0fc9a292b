"""Chapter 11: every response names its process; a counter in memory is per process, one in Redis is shared."""

import pytest

from course_lib.notebook.server import serve
from course_lib.services.settings import Settings
from course_lib.taskapi import ch11_scaling
from course_lib.taskapi.api_keys import sign_up
from tests.taskapi.conftest import chapters_from


@pytest.mark.parametrize("chapter", chapters_from(11))
def test_every_response_names_the_instance(api_at, chapter):
    api = api_at(chapter)
    assert api.get("/health").headers["x-instance"] == "kernel"
    auth = sign_up(api, "Ada")
    assert api.post("/tasks", json={"title": "x"}, headers=auth).headers["x-instance"] == "kernel"
    assert api.get("/tasks/999999", headers=auth).headers["x-instance"] == "kernel"  # errors too


@pytest.mark.parametrize("chapter", chapters_from(11))
@pytest.mark.parametrize("where", ["in-memory", "in-redis"])
def test_one_process_counts_every_visit(api_at, chapter, where):
    api = api_at(chapter)
    counts = [api.post(f"/visits/{where}").json() for _ in range(3)]
    assert [count["visits"] for count in counts] == [1, 2, 3]
    assert {count["instance"] for count in counts} == {"kernel"}


def test_apps_of_their_own_do_not_share_a_counter():
    first, second = serve(ch11_scaling.create_app(), name="ch11-a"), serve(ch11_scaling.create_app(), name="ch11-b")
    try:
        assert first.post("/visits/in-redis").json()["visits"] == 1
        assert second.post("/visits/in-redis").json()["visits"] == 1
    finally:
        first.stop()
        second.stop()


def test_replicas_share_the_redis_counter_but_not_the_memory_one(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    replicas = [
        serve(
            ch11_scaling.create_app(Settings(database_url=url, isolate_database=False, instance_name=f"replica-{i}")),
            name=f"ch11-r{i}",
        )
        for i in (1, 2)
    ]
    try:
        redis = replicas[0].server.config.app.context.redis
        redis.delete(ch11_scaling.VISITS_KEY)
        in_redis = [replicas[i % 2].post("/visits/in-redis").json() for i in range(4)]
        in_memory = [replicas[i % 2].post("/visits/in-memory").json() for i in range(4)]
        assert [count["visits"] for count in in_redis] == [1, 2, 3, 4]
        assert [count["visits"] for count in in_memory] == [1, 1, 2, 2]  # each process saw half
        assert [count["instance"] for count in in_memory] == ["replica-1", "replica-2"] * 2
        assert replicas[1].get("/health").headers["x-instance"] == "replica-2"
    finally:
        redis.delete(ch11_scaling.VISITS_KEY)
        for replica in replicas:
            replica.stop()
