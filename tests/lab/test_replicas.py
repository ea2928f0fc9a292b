"""Replicas: uvicorn processes sharing one database and one Redis, stopped without leftovers."""

import os
import tempfile
from pathlib import Path

import httpx
import pytest

from course_lib.lab.replicas import shared_backends, start_replicas
from course_lib.services.processes import alive
from course_lib.taskapi.api_keys import sign_up


def test_replicas_share_the_database_and_redis_and_stop_cleanly():
    backends = shared_backends()
    replicas = start_replicas(2, backends)
    try:
        first, second = (httpx.Client(base_url=url) for url in replicas.urls)
        assert [first.get("/health").headers["x-instance"], second.get("/health").headers["x-instance"]] == [
            "replica-1",
            "replica-2",
        ]
        auth = sign_up(first, "Ada")  # signed up on one replica ...
        created = second.post("/tasks", json={"title": "shared"}, headers=auth)  # ... known on the other
        assert created.status_code == 201
        assert first.get(created.headers["location"], headers=auth).json()["title"] == "shared"
        # one counter for both (a real Redis may hold earlier runs' visits: the second replica's count is the next)
        counted = [client.post("/visits/in-redis").json()["visits"] for client in (first, second)]
        assert counted[1] == counted[0] + 1
        assert [client.post("/visits/in-memory").json()["visits"] for client in (first, second)] == [1, 1]
        # whatever a replica puts in temporary folders lands under the replicas' folder, which stop() removes:
        # none in the system's temporary folder is named for a replica's pid
        pids = {str(replica.process.pid) for replica in replicas.members}
        leaked = [
            path
            for path in Path(tempfile.gettempdir()).glob("backend-course-db-*")
            if path.name.removeprefix("backend-course-db-").split("-")[0] in pids
        ]
        assert leaked == []
    finally:
        replicas.stop()
        backends.stop()
    assert not any(alive(replica.process.pid) for replica in replicas.members)
    assert backends.redis_process is None or not alive(backends.redis_process.pid)
    assert not replicas.folder.exists() and backends.database.dropped


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity needs Linux")
def test_replicas_can_be_pinned_to_fewer_cpus_and_back_and_report_progress():
    backends = shared_backends()
    heard = []
    replicas = start_replicas(2, backends, report=heard.append)
    try:
        assert heard == ["replica-1 answers", "replica-2 answers"]
        everything = os.sched_getaffinity(0)
        one = {min(everything)}
        replicas.pin(one)
        assert all(os.sched_getaffinity(replica.process.pid) == one for replica in replicas.members)
        with httpx.Client(base_url=replicas.urls[0]) as client:
            assert client.get("/health").status_code == 200
        replicas.pin(None)
        assert all(os.sched_getaffinity(replica.process.pid) == everything for replica in replicas.members)
    finally:
        replicas.stop()
        backends.stop()
