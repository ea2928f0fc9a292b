"""Chapter 00 as a learner meets it: JupyterLab in a real browser, Run All, an exercise answered wrong then right."""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
from playwright.sync_api import expect

from course_lib.checks.ch00 import URL_PARTS
from tools.jupyter_settings import KERNELSPEC

from .jupyterlab import ROOT, JupyterLab, isolated_env, start_lab

NOTEBOOK = "00_what_a_backend_is.ipynb"
RUN_TIMEOUT_MS = 120_000
OPEN_TIMEOUT_MS = 60_000
SETTLE_MS = 3_000  # JupyterLab writes the kernel's metadata into the notebook just after the kernel is idle
WRONG_ANSWER = "url_parts = " + repr({**URL_PARTS, "port": "8000"})  # the port as a string: a classic slip
RIGHT_ANSWER = "url_parts = " + repr(URL_PARTS)


@pytest.fixture(scope="module")
def lab(tmp_path_factory, artifacts) -> Iterator[JupyterLab]:
    """`make lab` in miniature: a copy of the notebook (the repository's stays untouched), a first-time HOME."""
    overrides = Path(sys.prefix) / "share/jupyter/lab/settings/overrides.json"
    assert overrides.exists(), f"{overrides} is missing: `make install` writes it (tools/jupyter_settings.py)"
    assert json.loads(overrides.read_text())["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, root / NOTEBOOK)
    server = start_lab(root, tmp_path_factory.mktemp("home"))
    yield server
    server.stop()
    shutil.copy(server.log, artifacts / "jupyterlab.log")


@pytest.fixture(scope="module")
def page(browser, lab):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(30_000)
    page.goto(f"{lab.url}/lab/tree/{NOTEBOOK}?token={lab.token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=OPEN_TIMEOUT_MS)
    page.wait_for_selector("#jp-main-statusbar >> text=Idle", timeout=OPEN_TIMEOUT_MS)
    yield page
    page.close()


def code_cells(page):
    return page.locator(".jp-NotebookPanel:visible .jp-CodeCell")


def prompts(page) -> list[str]:
    return [text.strip() for text in code_cells(page).locator(".jp-InputPrompt").all_text_contents()]


def menu(page, *labels: str) -> None:
    """Click through the menu bar: menu(page, "Run", "Run All Cells")."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{labels[0]}$")).click()
    for label in labels[1:]:
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(label)}$")).click()


def cell_with_source(page, start: str):
    """The code cell whose source starts with `start`."""
    cells = code_cells(page)
    for index in range(cells.count()):
        if (cells.nth(index).locator(".cm-content").text_content() or "").startswith(start):
            return cells.nth(index)
    raise AssertionError(f"no code cell starts with {start!r}")


def next_cell(cell):
    return cell.locator("xpath=following-sibling::div[contains(@class, 'jp-CodeCell')][1]")


def answer_and_check(page, answer_cell, answer: str, verdict: str) -> str:
    """Replace the answer cell's code, run it and the check cell below (Shift+Enter twice), return the check's text."""
    editor = answer_cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(answer)
    check_cell = next_cell(answer_cell)
    before = check_cell.locator(".jp-InputPrompt").text_content()
    page.keyboard.press("Shift+Enter")
    page.keyboard.press("Shift+Enter")
    prompt = check_cell.locator(".jp-InputPrompt")
    page.wait_for_function(
        "([el, before]) => /^\\[\\d+\\]:$/.test(el.textContent.trim()) && el.textContent !== before",
        arg=[prompt.element_handle(), before],
        timeout=RUN_TIMEOUT_MS,
    )
    output = check_cell.locator(".jp-OutputArea-output")
    output.get_by_text(verdict).first.wait_for()
    output.scroll_into_view_if_needed()
    return output.text_content() or ""  # the DOM's text: innerText is empty until a scrolled-to cell is painted


def test_chapter_00_in_jupyterlab(page, artifacts):
    """Opened with no pop-up in the way; Run All from the menu works; an exercise says Incorrect, then Correct."""
    try:
        no_popups(page, artifacts)
        opened_unmodified(page)
        run_all_cells(page, artifacts)
        exercise_wrong_then_right(page, artifacts)
    except BaseException:
        page.screenshot(path=artifacts / "failure.png")
        raise


def no_popups(page, artifacts):
    page.screenshot(path=artifacts / "01-opened.png")
    assert page.locator(".jp-Dialog").count() == 0
    assert page.locator(".Toastify__toast").count() == 0, page.locator(".Toastify__toast").all_inner_texts()


def opened_unmodified(page):
    """Opening is not editing: the notebook already holds the kernelspec and language_info the kernel reports."""
    kernel = page.locator(".jp-NotebookPanel:visible .jp-KernelName")
    assert kernel.inner_text().strip() == KERNELSPEC["display_name"], "the notebook runs on the course's kernel"
    page.wait_for_timeout(SETTLE_MS)
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=NOTEBOOK)
    assert "jp-mod-dirty" not in tab.get_attribute("class"), "opening the notebook marked it modified"


def run_all_cells(page, artifacts):
    menu(page, "Edit", "Clear Outputs of All Cells")
    assert all(p in ("[ ]:", "") for p in prompts(page)), prompts(page)
    assert page.locator(".jp-NotebookPanel:visible .jp-OutputArea-output").count() == 0

    menu(page, "Run", "Run All Cells")
    page.wait_for_function(
        """() => {
            const panel = [...document.querySelectorAll('.jp-NotebookPanel')].find(p => p.offsetParent !== null);
            const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent.trim());
            return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:$/.test(p));
        }""",
        timeout=RUN_TIMEOUT_MS,
    )
    page.wait_for_selector("#jp-main-statusbar >> text=Idle")

    counts = [int(p[1:-2]) for p in prompts(page)]
    assert counts == list(range(1, len(counts) + 1)), f"cells ran out of order or not at all: {counts}"
    errors = page.locator(".jp-NotebookPanel:visible [data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.all_inner_texts()

    first_request = page.locator(".jp-OutputArea-output", has_text="HTTP/1.1 200 OK").first
    first_request.scroll_into_view_if_needed()
    expect(first_request).to_be_visible()
    # textContent, retried: JupyterLab skips painting off-screen cells (content-visibility), so innerText can be empty
    expect(first_request).to_contain_text("GET /health")
    page.screenshot(path=artifacts / "02-first-request.png")
    not_found = page.locator(".jp-OutputArea-output", has_text="HTTP/1.1 404 Not Found").first
    not_found.scroll_into_view_if_needed()
    expect(not_found).to_be_visible()
    server_link = page.locator(".jp-OutputArea-output a", has_text="open the API docs")
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/docs", server_link.get_attribute("href"))
    not_attempted = page.locator(".jp-OutputArea-output", has_text="Not attempted")
    assert not_attempted.count() == 3, "every exercise of the learner notebook starts as Not attempted"
    page.screenshot(path=artifacts / "03-run-all-done.png")


def exercise_wrong_then_right(page, artifacts):
    answer_cell = cell_with_source(page, "url_parts = ")

    wrong = answer_and_check(page, answer_cell, WRONG_ANSWER, "✘ Incorrect")
    assert "ch00.q1" in wrong and "port" in wrong and "expected: 8000" in wrong, wrong
    page.screenshot(path=artifacts / "04-incorrect.png")

    right = answer_and_check(page, answer_cell, RIGHT_ANSWER, "✔ Correct")
    assert "Correct — ch00.q1" in right and "Incorrect" not in right, right
    page.screenshot(path=artifacts / "05-correct.png")
    assert page.locator(".Toastify__toast").count() == 0, page.locator(".Toastify__toast").all_inner_texts()
    assert page.locator(".jp-Notification-Status").inner_text().strip() == "0"


HUB_PREFIX = "/user/learner/"  # JupyterHub's (and so Binder's) JUPYTERHUB_SERVICE_PREFIX, also the server's base URL
SERVE_CELL = """from course_lib import serve
from course_lib.taskapi import ch00_health

api = serve(ch00_health.create_app())
api"""


@pytest.fixture(scope="module")
def hub_lab(tmp_path_factory, artifacts) -> Iterator[JupyterLab]:
    """JupyterLab as Binder runs it: under the user's prefix, kernels seeing JUPYTERHUB_SERVICE_PREFIX."""
    root, home = tmp_path_factory.mktemp("hub-course"), tmp_path_factory.mktemp("hub-home")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SERVE_CELL)])
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    nbformat.write(notebook, root / "serve.ipynb")
    server = start_lab(root, home, base_url=HUB_PREFIX, env=isolated_env(home, JUPYTERHUB_SERVICE_PREFIX=HUB_PREFIX))
    yield server
    server.stop()
    shutil.copy(server.log, artifacts / "jupyterlab-hub.log")


def offline(context) -> list[str]:
    """Cut the browser context off from everything but this machine; return the list of what it tried to reach."""
    outside: list[str] = []

    def route(request_route):
        if urlsplit(request_route.request.url).hostname in ("127.0.0.1", "localhost"):
            request_route.continue_()
        else:
            outside.append(request_route.request.url)
            request_route.abort()

    context.route("**/*", route)
    return outside


def test_the_docs_link_opens_through_the_jupyter_proxy_on_binder(browser, hub_lab, artifacts):
    """On Binder the kernel's localhost is not the browser's: the link goes through jupyter-server-proxy."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{hub_lab.url}/lab/tree/serve.ipynb?token={hub_lab.token}")
        page.wait_for_selector("#jp-main-statusbar >> text=Idle", timeout=OPEN_TIMEOUT_MS)
        menu(page, "Run", "Run All Cells")
        link = page.locator(".jp-OutputArea-output a", has_text="open the API docs")
        link.wait_for(timeout=RUN_TIMEOUT_MS)
        href = link.get_attribute("href")
        assert re.fullmatch(rf"{HUB_PREFIX}proxy/\d+/docs", href), href
        page.screenshot(path=artifacts / "06-binder-link.png")

        outside = offline(page.context)
        with page.context.expect_page() as opened:
            link.click()
        docs = opened.value
        docs.wait_for_load_state("domcontentloaded")
        assert docs.url == f"{hub_lab.url}{href.removeprefix(HUB_PREFIX.rstrip('/'))}"
        assert "Swagger UI" in docs.title()
        # Swagger UI rendered the operations: its script, styles and the schema all came through the proxy.
        operation = docs.locator(".opblock", has_text="/health")
        operation.wait_for()
        assert operation.locator(".opblock-summary-method").inner_text() == "GET"
        assert docs.locator(".swagger-ui .info .title").inner_text().startswith("Task API")
        docs.screenshot(path=artifacts / "07-swagger-ui-through-the-proxy.png")
        # The browser's Jupyter login (a cookie, not the token) must carry through the proxy to the schema.
        schema = docs.evaluate("() => fetch('openapi.json').then(r => r.json())")
        assert "/health" in schema["paths"]

        docs.goto(docs.url.removesuffix("docs") + "redoc")
        docs.locator("redoc [data-section-id]", has_text="health").first.wait_for()
        docs.screenshot(path=artifacts / "08-redoc-through-the-proxy.png")
        assert outside == [], f"the docs pages fetched from outside this machine: {outside}"
        docs.close()
    except BaseException:
        page.screenshot(path=artifacts / "failure-binder.png")
        raise
    finally:
        page.close()
