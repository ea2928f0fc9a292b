"""Browser tests run only through `make e2e` (COURSE_E2E=1); there a missing browser is a failure, not a skip."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .jupyterlab import ROOT

ARTIFACTS = ROOT / "build" / "e2e"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    if os.environ.get("COURSE_E2E") == "1":
        return
    skip = pytest.mark.skip(reason="browser test: run it with `make e2e`")
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """build/e2e/: screenshots and the JupyterLab log of the last run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Debian's headless chromium driven by Playwright (no browser download)."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail(
            "chromium is not installed: `apt-get install -y chromium` (the e2e test never skips)", pytrace=False
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: `make e2e` installs it", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
