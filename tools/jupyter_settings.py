"""Set up an environment's Jupyter for the course: its JupyterLab defaults and the course's kernel.

    python tools/jupyter_settings.py PREFIX     e.g. .venv, or sys.prefix on Binder

The kernel `backend-course` is installed into PREFIX (like `ipykernel install --sys-prefix`) and runs the Python that
ran this script, so every notebook runs on the course's packages whichever Jupyter opens it, and it goes away with
the environment. Notebooks name it in their metadata (tools/nbtool.py); nbval and nbclient start it by that name.
"""

import json
import sys
from pathlib import Path

OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension:tracker": {"kernelShutdown": False},
}
# Each opened chapter keeps a kernel (~160 MB with its in-kernel API): eight of them fill Binder's 2 GB. The server
# shuts down a kernel idle for 20 minutes, even with its tab open (JupyterLab then offers to restart it); a busy
# kernel (a long cell) is never culled.
SERVER_CONFIG = {
    "MappingKernelManager": {
        "cull_idle_timeout": 20 * 60,
        "cull_interval": 60,
        "cull_connected": True,
        "cull_busy": False,
    }
}
# What JupyterLab writes into a notebook's metadata when the kernel starts: the notebooks store exactly this.
KERNELSPEC = {"name": "backend-course", "display_name": "Backend course", "language": "python"}


def write_overrides(prefix: Path) -> Path:
    """Merge OVERRIDES into PREFIX/share/jupyter/lab/settings/overrides.json and return its path."""
    path = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update(OVERRIDES)
    path.write_text(json.dumps(current, indent=2) + "\n")
    return path


def write_server_config(prefix: Path) -> Path:
    """Merge SERVER_CONFIG into PREFIX/etc/jupyter/jupyter_server_config.json (read by every Jupyter server of it)."""
    path = prefix / "etc" / "jupyter" / "jupyter_server_config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text()) if path.exists() else {}
    for section, values in SERVER_CONFIG.items():
        current.setdefault(section, {}).update(values)
    path.write_text(json.dumps(current, indent=2) + "\n")
    return path


def install_kernel(prefix: Path) -> Path:
    """Install the course's kernel (this Python) into PREFIX/share/jupyter/kernels and return its folder."""
    from ipykernel.kernelspec import install

    return Path(
        install(kernel_name=KERNELSPEC["name"], display_name=KERNELSPEC["display_name"], prefix=str(prefix.resolve()))
    )


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else sys.prefix)
    print(f"JupyterLab settings: {write_overrides(target)}")
    print(f"Jupyter server settings (idle kernels culled): {write_server_config(target)}")
    print(f"kernel {KERNELSPEC['name']!r}: {install_kernel(target)}")
