import json
import sys
from pathlib import Path

from tools.jupyter_settings import (
    KERNELSPEC,
    OVERRIDES,
    SERVER_CONFIG,
    install_kernel,
    write_overrides,
    write_server_config,
)


def test_the_kernel_is_installed_into_the_environment_and_runs_its_python(tmp_path):
    folder = install_kernel(tmp_path)
    assert folder == tmp_path / "share" / "jupyter" / "kernels" / "backend-course"
    spec = json.loads((folder / "kernel.json").read_text())
    assert {key: spec[key] for key in ("display_name", "language")} == {
        "display_name": KERNELSPEC["display_name"],
        "language": KERNELSPEC["language"],
    }
    assert spec["argv"][0] == sys.executable and "ipykernel_launcher" in spec["argv"]


def test_overrides_are_merged_into_existing_settings(tmp_path):
    path = tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"other": {"kept": True}}))
    assert write_overrides(tmp_path) == path
    assert json.loads(path.read_text()) == {"other": {"kept": True}, **OVERRIDES}


def test_every_environment_the_course_sets_up_gets_the_kernel():
    root = Path(__file__).resolve().parents[2]
    makefile = (root / "Makefile").read_text()
    runtime_recipe = makefile.split("$(RUNTIME_STAMP):", 1)[1].split("\n\n", 1)[0]
    assert "tools/jupyter_settings.py $(VENV)" in runtime_recipe
    assert "tools/jupyter_settings.py" in (root / "binder" / "postBuild").read_text()
    assert "ipykernel install" not in makefile, "one kernel: the one jupyter_settings.py installs"


def test_idle_kernels_are_culled_and_other_server_settings_kept(tmp_path):
    path = tmp_path / "etc" / "jupyter" / "jupyter_server_config.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"ServerApp": {"kept": 1}, "MappingKernelManager": {"other": 2}}))
    assert write_server_config(tmp_path) == path
    config = json.loads(path.read_text())
    assert config["ServerApp"] == {"kept": 1}
    assert config["MappingKernelManager"] == {"other": 2, **SERVER_CONFIG["MappingKernelManager"]}
    assert 0 < config["MappingKernelManager"]["cull_idle_timeout"] <= 30 * 60
    assert config["MappingKernelManager"]["cull_connected"] and not config["MappingKernelManager"]["cull_busy"]


def test_the_course_jupyter_server_reads_the_culling_settings(tmp_path):
    """A Jupyter server of the environment loads them: ENV_CONFIG_PATH is PREFIX/etc/jupyter."""
    from jupyter_core.paths import ENV_CONFIG_PATH

    assert str(Path(sys.prefix) / "etc" / "jupyter") in ENV_CONFIG_PATH
