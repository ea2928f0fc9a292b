"""Replicas of the task API: uvicorn processes on loopback that share one database and one Redis."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import make_url

import course_lib
from course_lib.lab import children
from course_lib.lab.children import HOST, free_port, wait_until_up
from course_lib.notebook.chapter import on_reset
from course_lib.services.db import IsolatedDatabase, isolated_database
from course_lib.services.settings import Settings, get_settings
from course_lib.taskapi.sql_tables import create_tables

APP = "course_lib.taskapi.ch11_scaling:create_app"
FAKE_REDIS = (
    "from fakeredis import TcpFakeServer; server = TcpFakeServer(('127.0.0.1', 0)); "
    "server.daemon_threads = True; print(server.server_address[1], flush=True); server.serve_forever()"
)


@dataclass
class SharedBackends:
    """One database and one Redis for every replica: where shared state lives."""

    database_url: str
    redis_url: str
    database: IsolatedDatabase = field(repr=False)
    redis_process: subprocess.Popen | None = field(default=None, repr=False)

    def describe(self) -> str:
        """'database: SQLite file (WAL) · redis: fakeredis TCP server', or the real services."""
        database = "PostgreSQL" if self.database.schema else "SQLite file (WAL)"
        redis = "fakeredis TCP server" if self.redis_process else "redis-server (REDIS_URL)"
        return f"database: {database} · redis: {redis}"

    def stop(self) -> None:
        """Stop the fakeredis server (if this started one) and drop the replicas' database (idempotent)."""
        if self.redis_process is not None:
            children.stop(self.redis_process)
        self.database.drop()


def shared_backends(settings: Settings | None = None) -> SharedBackends:
    """A new database (SQLite file, or a schema on DATABASE_URL's PostgreSQL) and Redis (REDIS_URL, else fakeredis)."""
    settings = settings or get_settings()
    database = isolated_database(settings)  # new and empty; dropped by stop(), at exit, or by the next run's sweep
    create_tables(database.engine)  # once, here: replicas starting together would race to create them
    url = make_url(database.url)
    if database.schema:  # every replica's connections see only this schema
        url = url.update_query_dict({"options": f"-csearch_path={database.schema}"})
    redis_process = None
    redis_url = settings.redis_url
    if not redis_url:
        redis_process = children.start([sys.executable, "-c", FAKE_REDIS], stdout=subprocess.PIPE, text=True)
        assert redis_process.stdout is not None  # stdout=PIPE
        redis_url = f"redis://{HOST}:{int(redis_process.stdout.readline())}/0"
    return children.track(SharedBackends(url.render_as_string(hide_password=False), redis_url, database, redis_process))


@dataclass
class Replica:
    """One uvicorn process serving the API."""

    name: str
    port: int
    process: subprocess.Popen = field(repr=False)
    log: Path = field(repr=False)

    @property
    def url(self) -> str:
        """http://127.0.0.1:<port>"""
        return f"http://{HOST}:{self.port}"


@dataclass
class Replicas:
    """N replicas of one app, started together and stopped together."""

    members: list[Replica]
    folder: Path = field(repr=False)

    @property
    def urls(self) -> list[str]:
        """Every replica's base URL."""
        return [replica.url for replica in self.members]

    def __len__(self) -> int:
        return len(self.members)

    def pin(self, cpus: set[int] | None) -> None:
        """Let every replica run on `cpus` only (None: on every CPU this kernel may use): a smaller or a bigger
        machine for the same processes, without restarting them (Linux; elsewhere NotImplementedError)."""
        if not hasattr(os, "sched_setaffinity"):
            raise NotImplementedError("CPU affinity needs Linux (os.sched_setaffinity)")
        chosen = cpus if cpus is not None else os.sched_getaffinity(0)
        for replica in self.members:
            for task in (Path("/proc") / str(replica.process.pid) / "task").iterdir():  # every thread of it
                try:
                    os.sched_setaffinity(int(task.name), chosen)
                except ProcessLookupError:  # a thread that has just ended
                    pass

    def stop(self) -> None:
        """Stop every replica (SIGTERM, then SIGKILL) and remove their logs."""
        for replica in self.members:
            children.stop(replica.process)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_replicas(
    count: int,
    backends: SharedBackends,
    app: str = APP,
    timeout: float = 60.0,
    env: dict[str, str] | None = None,
    report: Callable[[str], object] | None = None,
) -> Replicas:
    """Start `count` uvicorn processes of `app` on free loopback ports, named replica-1..N; wait until all answer
    (`report` hears "replica-N answers" as each one does: progress for a cell that waits a few seconds)."""
    if not 1 <= count <= 16:
        raise ValueError("between 1 and 16 replicas")
    folder = Path(tempfile.mkdtemp(prefix="course-replicas-"))
    root = str(Path(course_lib.__file__).resolve().parents[1])  # the course_lib this kernel imports
    members = []
    for number in range(1, count + 1):
        name, port, log = f"replica-{number}", free_port(), folder / f"replica-{number}.log"
        path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
        # TMPDIR: whatever a replica writes to temporary folders lands in `folder`, removed by stop() even when
        # the replica, ended by SIGTERM, runs no clean-up of its own
        environment = {
            **os.environ,
            "PYTHONPATH": path,
            "DATABASE_URL": backends.database_url,
            "REDIS_URL": backends.redis_url,
            "ISOLATE_DATABASE": "false",
            "INSTANCE_NAME": name,
            "TMPDIR": str(folder),
            **(env or {}),
        }
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            app,
            "--host",
            HOST,
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        with log.open("w") as out:
            process = children.start(command, env=environment, stdout=out, stderr=subprocess.STDOUT, cwd=folder)
        members.append(Replica(name, port, process, log))
    replicas = Replicas(members, folder)
    try:
        for replica in members:
            wait_until_up(f"{replica.url}/health", replica.process, replica.log, timeout)
            if report is not None:
                report(f"{replica.name} answers")
    except BaseException:
        replicas.stop()
        raise
    return children.track(replicas)


on_reset(children.stop_everything)  # a chapter that starts again first stops what its last run started
