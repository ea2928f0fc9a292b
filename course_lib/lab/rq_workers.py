"""Real `rq worker` processes beside an app run with WORKER=external (as `make worker` runs one): started with the
app's REDIS_URL and DATABASE_URL, found by the job they run, their work horse found among their children, killed
with SIGKILL as the kernel's OOM killer or a lost machine would.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
from rq import Worker

import course_lib
from course_lib.lab import children

DEFAULT_COMMAND = f"{shlex.quote(sys.executable)} -m course_lib.taskapi.worker"  # `make worker`'s
START_TIMEOUT = 60.0  # seconds a worker may take to import the app's jobs and register in Redis


@dataclass
class RqWorker:
    name: str
    process: subprocess.Popen = field(repr=False)
    log: Path = field(repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def horse(self) -> int | None:
        """The pid of its work horse (the child it forked for the job it runs), None when it runs none."""
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # a process that ended meanwhile
                continue
            if int(fields[1]) == self.pid and fields[0] != "Z":
                return int(stat.parent.name)
        return None


@dataclass
class RqWorkers:
    """Workers of one queue on one Redis; stop() ends those still alive."""

    redis_url: str
    queue: str
    members: list[RqWorker] = field(default_factory=list)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="course-rq-workers-")))

    def start(self, count: int, environment: dict[str, str], command: str = DEFAULT_COMMAND, *options: str) -> None:
        """Start `count` workers (each `command` + rq worker's options), then wait until each has registered."""
        root = str(Path(course_lib.__file__).resolve().parents[1])
        path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
        env = {key: value for key, value in os.environ.items() if key != "JOBS_DATABASE_URL"}
        env.update(environment, PYTHONPATH=path)
        started: list[RqWorker] = []
        for _ in range(count):
            name = f"acceptance-{os.getpid()}-{len(self.members) + len(started) + 1}"
            log = self.folder / f"{name}.log"
            arguments = [*shlex.split(command), "--url", self.redis_url, "--name", name, "--job-monitoring-interval",
                         "1", "--logging_level", "WARNING", *options, self.queue]  # fmt: skip
            with log.open("wb") as out:
                process = children.start(arguments, env=env, stdout=out, stderr=out, cwd=root)
            started.append(RqWorker(name, process, log))
        self.members += started
        connection = redis.Redis.from_url(self.redis_url)
        deadline = time.monotonic() + START_TIMEOUT
        try:
            for worker in started:
                while not connection.exists(f"rq:worker:{worker.name}"):
                    if not worker.alive or time.monotonic() > deadline:
                        raise RuntimeError(f"rq worker {worker.name} did not start: {worker.log.read_text()[-2000:]}")
                    time.sleep(0.05)  # polling for registration, bounded by START_TIMEOUT
        finally:
            connection.close()

    def running(self, job_id: str) -> RqWorker | None:
        """The live worker whose execution is `job_id` (RQ's own record in Redis), None if none runs it now."""
        connection = redis.Redis.from_url(self.redis_url)
        try:
            for worker in self.members:
                if not worker.alive:
                    continue
                found = Worker.find_by_key(f"rq:worker:{worker.name}", connection=connection)
                current = found.get_current_job() if found else None
                if current is not None and current.id == job_id:
                    return worker
        finally:
            connection.close()
        return None

    def tail(self, characters: int = 1500) -> str:
        """The end of each worker's log (what RQ said about the jobs it ran), for a failure message."""
        return "\n".join(
            f"--- {worker.name}:\n{worker.log.read_text(errors='replace')[-characters:]}"
            for worker in self.members
            if worker.log.exists()
        )

    def stop(self) -> None:
        for worker in self.members:
            horse = worker.horse()
            children.stop(worker.process, timeout=5)
            if horse:
                kill(horse)
        shutil.rmtree(self.folder, ignore_errors=True)


def kill(pid: int) -> None:
    """SIGKILL: no handler runs, no clean-up, as an OOM kill."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
