"""A class on JupyterHub: the README's nbgitpuller link, and two learners running chapter 03 at once on one hub.

The live tests (marked `classroom`) run through `make classroom-test`: a JupyterHub on loopback with the course's
one-machine config (deploy/jupyterhub/jupyterhub_config.py), configurable-http-proxy from build/, two learners.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import yaml

from .hub import ROOT, Hub, Session, start_hub, wait_until

LEARNERS = ("alice", "bob")
CHAPTER_03 = "notebooks/03_safe_and_idempotent_methods.ipynb"
PROBE = """
import json, os
marker = api.post("/tasks", json={"title": "NAME's own task"}).status_code
print(json.dumps({"api_port": api.port, "docs_url": api.docs_url, "marker": marker,
                  "redis_url": os.environ.get("REDIS_URL"), "server_url": os.environ["JUPYTERHUB_SERVICE_URL"]}))
api
"""


def readme_link() -> str:
    """The README's nbgitpuller link for a hub."""
    links = re.findall(r"https://[^\s)`\"]*/hub/user-redirect/git-pull\?[^\s)`\"]+", (ROOT / "README.md").read_text())
    assert len(links) == 1, f"README.md should show one nbgitpuller link, found {links}"
    return links[0]


def binder_repo() -> str:
    """The GitHub repository the README's Binder badge builds."""
    badge = re.search(r"https://mybinder\.org/v2/gh/([^/]+)/([^/]+)/([^?)]+)", (ROOT / "README.md").read_text())
    assert badge, "README.md has no Binder badge"
    return f"https://github.com/{badge[1]}/{badge[2]}"


def test_the_readme_link_opens_chapter_00_of_this_repository_through_nbgitpuller():
    link = urlparse(readme_link())
    query = {key: values[0] for key, values in parse_qs(link.query).items()}
    assert link.path.endswith("/hub/user-redirect/git-pull")
    assert query["repo"] == binder_repo() and query["branch"] == "main"
    folder = query["repo"].rstrip("/").split("/")[-1]  # where nbgitpuller clones it, in the learner's home
    assert query["urlpath"] == f"lab/tree/{folder}/notebooks/00_what_a_backend_is.ipynb"
    assert (ROOT / query["urlpath"].removeprefix(f"lab/tree/{folder}/")).exists()


def test_the_kubernetes_config_runs_the_image_through_its_start_script():
    values = yaml.safe_load((ROOT / "deploy/jupyterhub/config.yaml").read_text())
    singleuser = values["singleuser"]
    assert singleuser["cmd"] == "jupyterhub-singleuser", "cmd replaces the image's CMD only: its ENTRYPOINT still runs"
    assert singleuser["defaultUrl"] == "/lab"
    assert singleuser["memory"]["limit"] == "2G", "Binder's limit, which make memory measures the chapters against"
    start = ROOT / "binder/start"
    assert "redis-server" in start.read_text() and start.stat().st_mode & 0o111


def test_the_image_installs_nbgitpuller_and_learners_do_not():
    assert "nbgitpuller" in (ROOT / "binder/requirements.txt").read_text().split()
    assert "nbgitpuller" in (ROOT / "requirements-classroom.in").read_text()
    for line in (ROOT / "requirements.in").read_text().splitlines():
        assert line.split("#")[0].strip() not in ("jupyterhub", "nbgitpuller")


# ---- the live hub ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Iterator[Hub]:
    running = start_hub(tmp_path_factory.mktemp("hub"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def course_repo(tmp_path_factory) -> Path:
    """This commit of the course as a repository named `course` whose `main` is HEAD: what the link's repo serves."""
    repo = tmp_path_factory.mktemp("origin") / "course"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    subprocess.run(["git", "-C", str(ROOT), "push", "-q", str(repo), "HEAD:refs/heads/main"], check=True)
    return repo


@pytest.fixture(scope="module")
def learners(hub) -> dict[str, Session]:
    """Two learners with their servers started (at the same time) and a token each."""
    for name in LEARNERS:
        assert hub.api("POST", f"/users/{name}").status_code == 201
    started = time.monotonic()
    for name in LEARNERS:
        assert hub.api("POST", f"/users/{name}/server").status_code in (201, 202)

    def ready(name: str) -> bool:
        user = hub.api("GET", f"/users/{name}").json()
        return bool(user["servers"].get("", {}).get("ready"))

    wait_until(lambda: all(ready(name) for name in LEARNERS), 120, "the learners' servers did not start")
    print(f"\ntwo servers spawned in {time.monotonic() - started:.1f} s")
    sessions = {}
    for name in LEARNERS:
        token = hub.api("POST", f"/users/{name}/tokens", json={"note": "classroom test"}).json()["token"]
        sessions[name] = Session(hub, name, token)
    return sessions


@pytest.fixture(scope="module")
def pulled(learners, course_repo) -> dict[str, list[dict]]:
    """Each learner followed the README's link, with the test's copy of the repository in place of GitHub's."""
    query = {key: values[0] for key, values in parse_qs(urlparse(readme_link()).query).items()}
    query["repo"] = course_repo.as_uri()
    return {name: session.git_pull(query) for name, session in learners.items()}


@pytest.fixture(scope="module")
def chapter_03(learners, pulled) -> dict[str, dict]:
    """Both learners run every code cell of chapter 03 at the same time, each in a kernel of their own server."""

    async def run(session: Session) -> dict:
        notebook = session.get(f"api/contents/course/{CHAPTER_03}").json()["content"]
        kernel = await session.open_kernel(f"course/{CHAPTER_03}")
        replies, started = [], time.monotonic()
        try:
            for cell in notebook["cells"]:
                if cell["cell_type"] == "code":
                    replies.append(await kernel.execute(cell["source"]))
            finished = time.monotonic()
            status, probe = await kernel.execute(PROBE.replace("NAME", session.name))
        finally:
            kernel.close()
        return {"replies": replies, "started": started, "finished": finished, "probe": (status, probe)}

    async def both() -> list[dict]:
        return await asyncio.gather(*(run(session) for session in learners.values()))

    results = dict(zip(learners, asyncio.run(both()), strict=True))
    for name, result in results.items():
        print(f"{name}: chapter 03 ran in {result['finished'] - result['started']:.1f} s")
    return results


def probe(chapter_03, name: str) -> dict:
    status, outputs = chapter_03[name]["probe"]
    assert status == "ok", outputs
    printed = next(output for output in outputs if output["output_type"] == "stream")
    return {**json.loads(printed["text"]), "display": next(o for o in outputs if o["output_type"] == "execute_result")}


@pytest.mark.classroom
def test_the_link_puts_chapter_00_in_each_learners_own_home(hub, learners, pulled):
    for name, session in learners.items():
        assert pulled[name][-1]["phase"] == "finished", pulled[name][-3:]
        # The README's link, opened by the learner's browser on this hub: the hub sends it to their own server's page.
        browser = session.browser()
        try:
            page = browser.get(urlparse(readme_link())._replace(scheme="", netloc="").geturl())
        finally:
            browser.close()
        assert page.status_code == 200 and page.url.path == f"/user/{name}/git-pull", page.url
        assert "00_what_a_backend_is.ipynb" in page.text
        listing = session.get("api/contents/course/notebooks").json()
        assert "00_what_a_backend_is.ipynb" in {item["name"] for item in listing["content"]}


@pytest.mark.classroom
def test_both_learners_ran_chapter_03_at_the_same_time(chapter_03):
    for name, result in chapter_03.items():
        failed = [outputs for status, outputs in result["replies"] if status != "ok"]
        assert not failed, f"{name}: {failed[0]}"
        assert len(result["replies"]) > 30
    alice, bob = chapter_03["alice"], chapter_03["bob"]
    assert alice["started"] < bob["finished"] and bob["started"] < alice["finished"], "the runs overlapped"


@pytest.mark.classroom
def test_each_printed_url_is_the_learners_own(chapter_03):
    for name in LEARNERS:
        seen = probe(chapter_03, name)
        own = f"/user/{name}/proxy/{seen['api_port']}/docs"
        assert seen["docs_url"] == own
        assert own in seen["display"]["data"]["text/plain"] and f'href="{own}"' in seen["display"]["data"]["text/html"]
        print(f"{name}: API 127.0.0.1:{seen['api_port']} shown as {own}; server {seen['server_url']}")
        print(f"{name}: REDIS_URL {seen['redis_url']}")


@pytest.mark.classroom
def test_a_learners_api_answers_them_only(hub, learners, chapter_03):
    for name, other in (("alice", "bob"), ("bob", "alice")):
        seen, session = probe(chapter_03, name), learners[name]
        assert seen["marker"] == 201
        docs = hub.get(seen["docs_url"], session.token)
        assert docs.status_code == 200 and "swagger-ui" in docs.text
        tasks = hub.get(seen["docs_url"].removesuffix("docs") + "tasks", session.token)
        titles = {task["title"] for task in tasks.json()}
        assert f"{name}'s own task" in titles and f"{other}'s own task" not in titles
        # The other learner, signed in, and nobody at all: refused by the server the URL belongs to.
        assert hub.get(seen["docs_url"], learners[other].token, follow_redirects=False).status_code == 403
        assert hub.get(seen["docs_url"], None, follow_redirects=False).status_code in (302, 403)


@pytest.mark.classroom
def test_ports_never_collide(chapter_03):
    seen = [probe(chapter_03, name) for name in LEARNERS]
    ports = [urlparse(each[key]).port for each in seen for key in ("server_url", "redis_url")]
    ports += [each["api_port"] for each in seen]
    assert None not in ports and len(set(ports)) == len(ports), ports


@pytest.mark.classroom
def test_on_one_machine_learners_share_loopback(hub, learners, chapter_03):
    """Why a class runs on Kubernetes (a pod, so a loopback, per learner): here bob's own proxy reaches alice's API.

    His kernel could reach it as well (127.0.0.1 is one for all), so the one-machine hub is for trying the set-up.
    """
    alice_port = probe(chapter_03, "alice")["api_port"]
    through_bob = learners["bob"].get(f"proxy/{alice_port}/tasks")
    assert through_bob.status_code == 200
    assert "alice's own task" in {task["title"] for task in through_bob.json()}


@pytest.mark.classroom
def test_each_session_has_its_own_redis_which_stops_with_it(hub, learners, chapter_03):
    import redis

    urls = {name: probe(chapter_03, name)["redis_url"] for name in LEARNERS}
    for url in urls.values():
        assert redis.Redis.from_url(url).ping()
    # Chapter 03's idempotency keys are in the learner's Redis only.
    alice_keys, bob_keys = (set(redis.Redis.from_url(urls[name]).keys()) for name in LEARNERS)
    assert alice_keys and bob_keys

    assert hub.api("DELETE", "/users/alice/server").status_code in (202, 204)

    def gone(url: str) -> bool:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        except redis.ConnectionError:
            return True
        return False

    wait_until(lambda: gone(urls["alice"]), 30, "alice's redis-server outlived her server")
    assert redis.Redis.from_url(urls["bob"]).ping(), "bob's session keeps its own"
    assert (
        httpx.get(f"{hub.url}/hub/api/users/alice", headers={"Authorization": f"token {hub.token}"}).json()["servers"]
        == {}
    )
