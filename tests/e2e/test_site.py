"""The website `make site` builds (build/site/html), opened in headless chromium from a loopback server: every chapter
page loads without a console error or a request leaving the machine, plots are images, Mermaid blocks are SVG,
exercise feedback and "What the API gained" show, search finds a chapter, and no internal link is broken."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from .jupyterlab import ROOT

SITE = ROOT / "build" / "site" / "html"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def chapters_with_plots() -> set[str]:
    """The chapter pages whose committed notebook has an image output."""
    return {
        path.stem
        for path in NOTEBOOKS
        if any(
            "image/png" in output.get("data", {})
            for cell in json.loads(path.read_text())["cells"]
            for output in cell.get("outputs", [])
        )
    }


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """The built site served on a free loopback port; its base URL."""
    if not (SITE / "index.html").exists():
        pytest.fail(f"{SITE.relative_to(ROOT)} is missing: run `make site` first (`make e2e` does)", pytrace=False)
    handler = functools.partial(QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def open_page(browser, url: str):
    """A new page at `url`, with the console errors, page errors and off-machine requests it caused."""
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def only_loopback(route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            problems.append(f"request leaving the machine: {route.request.url}")
            route.abort()

    page.route("**/*", only_loopback)
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    return page, problems


def test_the_site_has_every_chapter():
    assert [path.stem for path in NOTEBOOKS] == sorted(path.stem for path in SITE.glob("[0-9][0-9]_*.html"))
    assert len(NOTEBOOKS) >= 20


@pytest.mark.parametrize("name", [path.stem for path in NOTEBOOKS])
def test_a_chapter_page(browser, site, artifacts, name):
    page, problems = open_page(browser, site + f"{name}.html")
    try:
        # Every chapter draws at least one diagram: each Mermaid block becomes an SVG, none is left as text.
        page.wait_for_function(
            "() => [...document.querySelectorAll('pre.mermaid')].every(block => block.querySelector('svg'))",
            timeout=20_000,
        )
        assert page.locator("pre.mermaid svg").count() >= 1
        assert not page.locator("text=Syntax error in text").count(), "a diagram failed to parse"
        section = page.locator("section#what-the-api-gained")
        assert section.is_visible() and f"What the API gained in chapter {name[:2]}" in section.inner_text()
        binder = page.locator('a[href^="https://mybinder.org/v2/gh/"]').first.get_attribute("href")
        assert binder.endswith(f"urlpath=lab/tree/notebooks/{name}.ipynb")
        assert page.locator(f'a[href="_sources/{name}.ipynb"]').count() == 1  # the learner notebook's download
        if name in chapters_with_plots():
            sizes = page.eval_on_selector_all(
                "div.cell_output img", "images => images.map(image => image.naturalWidth)"
            )
            assert sizes and all(width > 0 for width in sizes), f"plots not shown as images: {sizes}"
        page.wait_for_load_state("networkidle")
        assert not problems, "\n".join(problems)
    finally:
        page.screenshot(path=str(artifacts / f"site-{name}.png"), full_page=False)
        page.close()


def test_an_exercise_shows_its_feedback(browser, site):
    page, problems = open_page(browser, site + "02_rest.html")
    feedback = page.locator("div.cell_output", has_text="Not attempted — ch02.q1").first
    assert feedback.is_visible()
    assert "run that cell, then run this one again" in feedback.inner_text()
    page.close()
    assert not problems, "\n".join(problems)


def test_search_finds_a_chapter(browser, site):
    page, problems = open_page(browser, site + "search.html?q=idempotent")
    results = page.locator("#search-results li a")
    results.first.wait_for(timeout=20_000)
    found = results.evaluate_all("links => links.map(link => link.getAttribute('href'))")
    page.close()
    assert any(href.startswith("03_safe_and_idempotent_methods.html") for href in found), found
    assert not problems, "\n".join(problems)


class Links(HTMLParser):
    """The href and src values of a page, and the ids its elements carry."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.targets.append(value)
            elif name in ("id", "name") and value:
                self.ids.add(value)


@functools.cache
def parsed(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(errors="replace"))
    return links


def broken_links(root: Path) -> list[str]:
    """Every internal link of the HTML pages under `root` whose file, or whose #fragment in it, does not exist."""
    broken = []
    for page in sorted(root.rglob("*.html")):
        if page.relative_to(root).parts[0] in ("_static", "_sources"):
            continue  # the theme's template fragments and the copied sources, not pages
        base = "http://site/" + page.relative_to(root).as_posix()
        for target in parsed(page).targets:
            url = urlsplit(urljoin(base, target))
            if url.scheme not in ("http", "https") or url.netloc != "site":
                continue  # another site (Binder, GitHub), mailto:, data:, javascript:
            path = root / unquote(url.path.lstrip("/"))
            if path.is_dir():
                path = path / "index.html"
            if not path.is_file():
                broken.append(f"{page.relative_to(root)}: {target} (no such file)")
            elif url.fragment and path.suffix == ".html" and unquote(url.fragment) not in parsed(path).ids:
                broken.append(f"{page.relative_to(root)}: {target} (no such anchor)")
    return broken


def test_no_internal_link_is_broken(site):
    assert not broken_links(SITE), "\n".join(broken_links(SITE))


def test_the_link_check_finds_a_broken_link(tmp_path):
    (tmp_path / "a.html").write_text('<a href="b.html#there">b</a> <a href="https://example.org/x">out</a>')
    (tmp_path / "b.html").write_text('<h1 id="here">b</h1><img src="_images/plot.png">')
    assert broken_links(tmp_path) == [
        "a.html: b.html#there (no such anchor)",
        "b.html: _images/plot.png (no such file)",
    ]
