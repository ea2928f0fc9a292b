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


def install_kernel(prefix: Path) -> Path:
    """Install the course's kernel (this Python) into PREFIX/share/jupyter/kernels and return its folder."""
    from ipykernel.kernelspec import install

    return Path(install(kernel_name=KERNELSPEC["name"], display_name=KERNELSPEC["display_name"],
                        prefix=str(prefix.resolve())))


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else sys.prefix)
    print(f"JupyterLab settings: {write_overrides(target)}")
    print(f"kernel {KERNELSPEC['name']!r}: {install_kernel(target)}")
