"""The acceptance suite's fixtures: the app under test (ACCEPTANCE_APP or --app, the reference by default), served
once per test module, and a summary of every check's figure at the end of the run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.acceptance.harness import (
    CROWD_LIMITS,
    FIGURES,
    FULL,
    SHORT_LIMIT,
    Live,
    app_spec,
    load,
    reference_settings,
    start,
)

ROOT = Path(__file__).resolve().parents[2]


def pytest_addoption(parser) -> None:  # read when pytest starts in tests/acceptance (make acceptance)
    parser.addoption("--app", default=None, help="the app factory under test, module:function (or ACCEPTANCE_APP)")


@pytest.fixture(scope="session")
def factory_spec(pytestconfig) -> str:
    try:
        option = pytestconfig.getoption("--app")
    except ValueError:  # the option exists only when pytest started here
        option = None
    return app_spec(option)


@pytest.fixture(scope="module")
def live(factory_spec) -> Live:
    """The app under test, served for one test module; stopped after it."""
    running = start(load(factory_spec), name="acceptance", settings=reference_settings(**CROWD_LIMITS))
    yield running
    running.stop()


@pytest.fixture
def limited_live(factory_spec) -> Live:
    """The app under test with a per-address limit small enough to reach, in a window short enough to wait out."""
    running = start(load(factory_spec), name="acceptance-limited", settings=reference_settings(rate_limit=SHORT_LIMIT))
    yield running
    running.stop()


def pytest_terminal_summary(terminalreporter) -> None:
    if not FIGURES:
        return
    mode = "full" if FULL else "quick"
    terminalreporter.section(f"acceptance figures ({mode} run)")
    for check in sorted(FIGURES):
        for line in FIGURES[check]:
            terminalreporter.write_line(f"check {check}: {line}")
    out = ROOT / "build" / "acceptance"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"figures-{mode}.json").write_text(json.dumps(FIGURES, indent=1, ensure_ascii=False) + "\n")


KEEP = {"acceptance", "acceptance-limited", "calendar"}  # the apps under test and the calendar service they call


@pytest.fixture(autouse=True)
def no_servers_left():
    """As tests/conftest.py's, but the module's app under test keeps running between its checks."""
    from course_lib.notebook.server import running_servers, stop

    yield
    for name in running_servers():
        if name not in KEEP:
            stop(name)
