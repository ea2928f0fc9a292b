"""Write the course's JupyterLab defaults (no news prompt, no update check) into an environment's prefix.

    python tools/jupyter_settings.py PREFIX     e.g. .venv, or sys.prefix on Binder
"""

import json
import sys
from pathlib import Path

OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension:tracker": {"kernelShutdown": False},
}


def write_overrides(prefix: Path) -> Path:
    """Merge OVERRIDES into PREFIX/share/jupyter/lab/settings/overrides.json and return its path."""
    path = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update(OVERRIDES)
    path.write_text(json.dumps(current, indent=2) + "\n")
    return path


if __name__ == "__main__":
    print(f"JupyterLab settings: {write_overrides(Path(sys.argv[1] if len(sys.argv) > 1 else sys.prefix))}")
