"""The user that course_lib.lab.load runs in locust: one request, again as soon as it answers (no think time)."""

import json
import os

import gevent
from locust import FastHttpUser, constant, events, task
from locust.env import Environment

PATH = os.environ.get("LOAD_PATH", "/")
HEADERS = json.loads(os.environ.get("LOAD_HEADERS", "{}"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "3"))
METHOD = os.environ.get("LOAD_METHOD", "GET")
BODY = os.environ.get("LOAD_BODY") or None  # JSON text, sent as it is


class Client(FastHttpUser):
    """One client: a keep-alive connection, the next request as soon as the last answer arrived."""

    wait_time = constant(0)

    @task
    def send(self) -> None:
        """Send the request (a JSON body if one was given); a status of 400 or more counts as a failure."""
        self.client.request(METHOD, PATH, headers=HEADERS, data=BODY, name=PATH)


_environment: list[Environment] = []


@events.init.add_listener
def _remember(environment, **_) -> None:
    _environment.append(environment)


@events.spawning_complete.add_listener
def _stop_in_time(**_) -> None:
    # The clock starts once every user runs (spawning takes a moment, and --reset-stats drops what came before);
    # locust's own --run-time counts from the start and takes whole seconds only.
    runner = _environment[-1].runner
    assert runner is not None  # locust has started the users
    gevent.spawn_later(SECONDS, runner.quit)
