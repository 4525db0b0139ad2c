"""The distribution installs the repository's folders under the acrfence name, and only
there: `pip install acrfence` must not put `services` or `tui` at the top of site-packages."""

from __future__ import annotations

import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("services", "tui", "widgets", "emulator")


def _setuptools() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_folder_is_listed_under_the_acrfence_name() -> None:
    folders = {
        "acrfence." + ".".join(init.parent.relative_to(ROOT).parts)
        for folder in FOLDERS
        for init in (ROOT / folder).rglob("__init__.py")
    }
    assert set(_setuptools()["packages"]) == folders
    assert _setuptools()["package-dir"] == {f"acrfence.{f}": f for f in FOLDERS}


@pytest.mark.parametrize("folder", FOLDERS)
def test_the_installed_modules_are_the_repository_files(folder: str) -> None:
    import importlib

    module = importlib.import_module(f"acrfence.{folder}")
    assert Path(module.__file__).parent == ROOT / folder


def test_the_wheel_holds_only_the_acrfence_package(tmp_path: Path) -> None:
    # Build the wheel as pip would for `pip install acrfence`.
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    [wheel] = tmp_path.glob("acrfence-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"acrfence", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1]
                    + ".dist-info"}  # fmt: skip
    assert "acrfence/tui/acrfence.tcss" in names
    assert "acrfence/widgets/keyed_table.tcss" in names  # the table's look, read at import
    assert "acrfence/services/models/__init__.py" in names
