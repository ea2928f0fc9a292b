"""The live classroom tests start a JupyterHub and two learners' servers: only through `make classroom-test`."""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config, items):
    if os.environ.get("COURSE_CLASSROOM") == "1":
        return
    skip = pytest.mark.skip(reason="starts a JupyterHub: run it with `make classroom-test`")
    for item in items:
        if item.get_closest_marker("classroom"):
            item.add_marker(skip)


def pytest_configure(config):
    config.addinivalue_line("markers", "classroom: needs a JupyterHub (make classroom-test)")
