"""The lab instruments run against the task API: the same api_at fixture as the task API tests."""

from tests.taskapi.conftest import api_at  # noqa: F401 (a fixture, registered by being imported here)
