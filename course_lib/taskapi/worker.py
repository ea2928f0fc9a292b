"""`python -m course_lib.taskapi.worker [options] QUEUE...`: RQ's `rq worker`, with the API's job functions imported
once, before any fork. RQ's worker forks a work horse per job; a horse of a worker that has not imported the job's
module imports it itself, every time (several seconds for the task API's modules on a busy machine)."""

import sys

from rq.cli import main

from course_lib.taskapi import reminders  # noqa: F401  (imported for the forked work horses)

if __name__ == "__main__":
    sys.exit(main(["worker", *sys.argv[1:]]))
