"""The architecture's arrows, checked: services/ and emulator/ never load Textual, widgets never
load the tui, the emulator stands on the REST contract alone, and the command line starts
without the heavy imports. (import-linter's contracts in pyproject.toml say the same
statically; `.ci/run` runs both.)"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _modules(package: str) -> list[str]:
    path = ROOT / package
    names = [package]
    for info in pkgutil.walk_packages([str(path)], prefix=f"{package}."):
        names.append(info.name)
    return names


def _loaded_after_importing(modules: list[str]) -> set[str]:
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout))


def _top_levels(loaded: set[str]) -> set[str]:
    return {name.split(".")[0] for name in loaded}


def test_services_never_load_textual() -> None:
    loaded = _top_levels(_loaded_after_importing(_modules("services")))
    assert "textual" not in loaded
    assert not {"tui", "widgets"} & loaded


def test_widgets_never_load_the_tui() -> None:
    # Widgets render models and post messages; the app and its screens sit above them.
    loaded = _top_levels(_loaded_after_importing(_modules("widgets")))
    assert "tui" not in loaded


def test_emulator_imports_nothing_of_the_app() -> None:
    loaded = _top_levels(_loaded_after_importing(_modules("emulator")))
    assert not {"services", "tui", "widgets", "textual"} & loaded


def test_command_line_parser_starts_without_textual_or_the_sdk() -> None:
    script = (
        "import json, sys\n"
        "from tui.cli import build_parser\n"
        "build_parser()\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = _top_levels(set(json.loads(out.stdout)))
    assert "textual" not in loaded
    assert "azure" not in loaded
    assert "aiohttp" not in loaded
