"""The apps stand in layers: the import-linter contract in pyproject.toml holds, and it would catch a breach."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _contract() -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    [layers] = [c for c in config["contracts"] if c["type"] == "layers"]
    return {"root_packages": config["root_packages"], "layers": layers["layers"]}


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_layers_run_from_packs_at_the_top_to_aims_at_the_bottom():
    layers = _contract()["layers"]
    assert layers[0] == "packs" and layers[-1] == "aims"
    assert layers.index("evidence") == len(layers) - 2, "evidence stands right above the core"
    assert all(layers.index(app) < layers.index("evidence") for app in ("registers", "controls", "assessments"))


def test_every_project_app_is_in_the_contract():
    project_apps = {config.name.split(".")[0] for config in apps.get_app_configs() if Path(config.path).parent == ROOT}
    contract = _contract()
    assert project_apps == set(contract["root_packages"]) == set(contract["layers"])


def test_the_import_contract_is_kept():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_an_import_from_the_core_upwards_breaks_the_contract(tmp_path):
    for package in _contract()["root_packages"]:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "aims" / "upward.py").write_text("from registers.models import AISystem  # noqa\n")

    result = _lint(tmp_path)

    assert result.returncode != 0
    assert "aims.upward -> registers.models" in result.stdout
