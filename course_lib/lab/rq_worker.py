"""`python -m course_lib.lab.rq_worker [options] QUEUE...`: `rq worker` with chapter 22's jobs imported before it
forks a work horse per job (a horse would otherwise import them itself, every time)."""

import sys

from redis import Redis
from rq import Worker
from rq.cli import main

from course_lib.lab import rq_full  # noqa: F401  (imported for the forked work horses)


class LabWorker(Worker):
    """RQ's worker, also on fakeredis' TcpFakeServer: its CLIENT INFO writes `addr` as a Python tuple, with a space
    redis-py cannot parse."""

    def _set_ip_address(self, connection: Redis) -> None:
        try:
            super()._set_ip_address(connection)
        except ValueError:
            self.ip_address = "unknown"


if __name__ == "__main__":
    sys.exit(main(["worker", "--worker-class", "course_lib.lab.rq_worker.LabWorker", *sys.argv[1:]]))
