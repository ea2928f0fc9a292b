"""Shared fixtures: a throwaway progress record and no server left running after a test."""

import pytest

from course_lib.notebook import server


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    """Each test records exercise results in its own file."""
    path = tmp_path / "progress.json"
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(path))
    return path


@pytest.fixture(autouse=True)
def no_servers_left():
    """Stop whatever a test started, so ports and threads never leak into the next one."""
    yield
    server.stop()
