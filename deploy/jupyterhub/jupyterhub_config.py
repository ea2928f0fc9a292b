"""A JupyterHub on one machine for the course: every learner's server is a local process (docs/classroom.md).

What `make classroom-test` runs, and a way to try the classroom set-up before a Kubernetes one (config.yaml here).
Loopback only; DummyAuthenticator lets anyone in with COURSE_HUB_PASSWORD, so never expose it. Each server is
started as the course image starts it, through binder/start, which gives the session a redis-server of its own.

Settings from the environment: COURSE_HUB_STATE (the hub's database, cookie secret, proxy pid and the learners' homes;
default build/jupyterhub), COURSE_HUB_PORT (default 8000), COURSE_HUB_PASSWORD (default: none, any password),
COURSE_HUB_TEST_TOKEN (an API token for a test service that may create users, start servers and issue tokens),
CHP_BIN (configurable-http-proxy; default the one `make classroom-test` installs into build/).
"""

import os
import socket
import sys
from pathlib import Path

c = get_config()  # type: ignore[name-defined]  # noqa: F821 — JupyterHub provides it when it loads this file

ROOT = Path(__file__).resolve().parents[2]
STATE = Path(os.environ.get("COURSE_HUB_STATE", ROOT / "build" / "jupyterhub")).resolve()
HOMES = STATE / "home"
HOMES.mkdir(parents=True, exist_ok=True)
BIN = Path(sys.executable).parent  # the environment the hub runs in has jupyterhub-singleuser and the course too


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The public proxy, the hub and the proxy's API: loopback only.
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(os.environ.get("COURSE_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = free_port()
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.command = [
    os.environ.get("CHP_BIN", str(ROOT / "build/configurable-http-proxy/node_modules/.bin/configurable-http-proxy"))
]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")

c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ.get("COURSE_HUB_PASSWORD", "")
c.Authenticator.allow_all = True

# Each learner: a home of their own, a Jupyter server on a free loopback port, started through the image's start script.
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(HOMES / "{username}")
c.Spawner.ip = "127.0.0.1"
c.Spawner.cmd = [str(ROOT / "binder/start"), str(BIN / "jupyterhub-singleuser")]
c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []  # CI containers run as root; Jupyter refuses unless told
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 90
c.Spawner.env_keep = ["PATH", "LANG", "LC_ALL", "PYTHONDONTWRITEBYTECODE", "TMPDIR"]


def make_home(spawner) -> None:
    """The spawner runs the server in the learner's home: it must exist."""
    Path(spawner.home_dir).mkdir(parents=True, exist_ok=True)


c.Spawner.pre_spawn_hook = make_home

if token := os.environ.get("COURSE_HUB_TEST_TOKEN"):
    c.JupyterHub.services = [{"name": "classroom-test", "api_token": token}]
    c.JupyterHub.load_roles = [
        {
            "name": "classroom-test",
            "scopes": ["admin:users", "admin:servers", "tokens", "list:users", "read:users"],
            "services": ["classroom-test"],
        }
    ]
