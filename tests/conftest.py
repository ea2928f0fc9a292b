"""Shared fixtures: a throwaway progress record and no server left running after a test."""

import os
import secrets

import pytest

# argon2id at its minimal cost in the tests (before any Settings is read): thousands of sign-ups and logins would each
# spend 0.1–0.3 s of CPU on the recommended cost. The notebooks, and so nbval, keep the recommended cost.
os.environ.setdefault("PASSWORD_HASH_COST", "minimal")
# As in a notebook kernel (settings.use_kernel_key): a random SECRET_KEY of this run, inherited by what it starts.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(32))

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
