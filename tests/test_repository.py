"""The repository's own machinery: the CI workflow, the Binder configuration, the two commands."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_workflow_passes_actionlint():
    result = subprocess.run(
        [str(BIN / "actionlint"), "-no-color", ".github/workflows/test.yml"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_matches_the_github_schema():
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", ".github/workflows/test.yml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_runs_the_same_ci_script():
    assert "bash .ci/run" in (ROOT / ".github/workflows/test.yml").read_text()
    assert "make test" in (ROOT / ".ci/run").read_text()


@pytest.mark.skipif(shutil.which("jupyter-repo2docker", path=str(BIN)) is None, reason="repo2docker not installed")
def make_recipe(target: str) -> list[str]:
    """The commands of a Makefile target, with $(VENV) as its default .venv."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip().replace("$(VENV)", ".venv"))
    return recipe


def test_pre_commit_runs_the_checks_of_make_lint():
    import yaml

    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert all(repo["repo"] == "local" for repo in config["repos"]), "hooks use the pinned .venv, nothing downloaded"
    assert [hook["entry"] for hook in hooks] == make_recipe("lint")
    assert all(hook["language"] == "system" and hook["pass_filenames"] is False for hook in hooks)
    result = subprocess.run(
        [str(BIN / "pre-commit"), "validate-config", ".pre-commit-config.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_binder_image_installs_services_pins_and_start():
    result = subprocess.run(
        [str(BIN / "jupyter-repo2docker"), "--no-build", "--debug", "--no-run", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    dockerfile = result.stdout + result.stderr
    assert result.returncode == 0, dockerfile[-2000:]
    assert "redis-server" in dockerfile and "nginx" in dockerfile
    assert "binder/requirements.txt" in dockerfile
    assert "binder/postBuild" in dockerfile
    assert "R2D_ENTRYPOINT" in dockerfile and "binder/start" in dockerfile
    python = pinned_python()
    assert f"conda environment for python={python}" in dockerfile, "Binder must build the Python the pins are for"


def test_binder_installs_no_test_tools():
    runtime = (ROOT / "requirements.in").read_text()
    # ruff, actionlint and check-jsonschema are runtime: chapter 19 lints and runs workflows in the kernel
    for tool in ("nbval", "playwright", "repo2docker"):
        assert tool not in runtime


def test_constraints_pin_every_runtime_requirement():
    pinned = {
        line.split("==")[0].lower().replace("_", "-")
        for line in (ROOT / "constraints.txt").read_text().split()
        if "==" in line
    }
    for line in (ROOT / "requirements.in").read_text().splitlines():
        name = line.split("#")[0].split("[")[0].strip().lower().replace("_", "-")
        if name:
            assert name in pinned, f"{name} is not pinned in constraints.txt"


def test_jupyter_settings_turn_off_the_news_prompt(tmp_path):
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from jupyter_settings import write_overrides
    finally:
        sys.path.pop(0)
    path = write_overrides(tmp_path)
    settings = json.loads(path.read_text())
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def pinned_python() -> str:
    """The Python constraints.txt was resolved for, from its first line ('# resolved for Python 3.11 ...')."""
    first = (ROOT / "constraints.txt").read_text().splitlines()[0]
    assert first.startswith("# resolved for Python "), "constraints.txt must say which Python it was resolved for"
    return first.removeprefix("# resolved for Python ").split()[0]


def test_binder_uses_the_python_the_pins_were_resolved_for():
    """Not the Python running the tests: the suite also runs on 3.12 and 3.13, Binder builds the pinned one."""
    runtime = (ROOT / "binder/runtime.txt").read_text().strip()
    assert runtime == f"python-{pinned_python()}"


def test_workflow_tests_every_supported_python():
    """The matrix starts at pyproject's requires-python, holds the pinned Python, and is the list the README states."""
    import tomllib

    import yaml

    workflow = yaml.safe_load((ROOT / ".github/workflows/test.yml").read_text())
    versions = workflow["jobs"]["test"]["strategy"]["matrix"]["python-version"]
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == f">={versions[0]}" and pinned_python() in versions
    assert f"Python {', '.join(versions[:-1])} or {versions[-1]}" in (ROOT / "README.md").read_text()


def test_binder_installs_the_runtime_set_pinned():
    lines = [
        line.strip()
        for line in (ROOT / "binder/requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert "-c ../constraints.txt" in lines and "-r ../requirements.in" in lines
    assert not any("requirements-dev" in line for line in lines)
    pinned = {line.split("==")[0].lower() for line in (ROOT / "constraints.txt").read_text().split() if "==" in line}
    for extra in (line for line in lines if not line.startswith("-")):
        assert extra.lower() in pinned, f"binder/requirements.txt: {extra} is not pinned in constraints.txt"


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")
def test_binder_start_brings_up_redis_before_jupyter(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "COURSE_REDIS_PORT": str(port), "TMPDIR": str(tmp_path)}
    env.pop("REDIS_URL", None)
    try:
        result = subprocess.run(
            [str(ROOT / "binder/start"), "sh", "-c", 'echo "$REDIS_URL"; redis-cli -p "$0" ping', str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == [f"redis://127.0.0.1:{port}/0", "PONG"]
    finally:
        pidfile = tmp_path / "course-redis" / "redis.pid"
        if pidfile.exists():
            os.kill(int(pidfile.read_text()), signal.SIGTERM)


def test_ci_runs_the_browser_test_with_debians_chromium():
    ci = (ROOT / ".ci/run").read_text()
    assert "chromium" in ci and "make e2e" in ci
    assert "playwright" in (ROOT / "requirements-dev.in").read_text()


def test_readme_links_every_chapter_notebook():
    readme = (ROOT / "README.md").read_text()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"(notebooks/{path.name})" in readme, f"README.md does not link {path.name}"
