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
    """Every module of one of the repository's folders, by its installed name."""
    path = ROOT / package
    names = [f"acrfence.{package}"]
    for info in pkgutil.walk_packages([str(path)], prefix=f"acrfence.{package}."):
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
    """The packages loaded: third-party ones by their top level, ours as services/tui/..."""
    tops = set()
    for name in loaded:
        parts = name.split(".")
        tops.add(parts[1] if parts[0] == "acrfence" and len(parts) > 1 else parts[0])
    return tops


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
        "from acrfence.tui.cli import build_parser\n"
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


def test_no_top_level_package_of_ours_is_importable() -> None:
    # Installed, the folders are acrfence.services, acrfence.tui...: a bare `services` or `tui`
    # belongs to somebody else (and must not resolve to ours from anywhere but the repo root).
    script = (
        "import importlib.util, json\n"
        "print(json.dumps([importlib.util.find_spec(n) is not None "
        "for n in ('services', 'tui', 'widgets', 'emulator')]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd="/", capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == [False, False, False, False]
