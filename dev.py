#!/usr/bin/env python3
"""Set up a virtual environment and run acrfence's demo or its tests.

Needs only Python 3.11+: `python3 dev.py demo` or `python3 dev.py test [pytest args]`.
The venv lives in .venv next to this file and is reused; it is refreshed when
pyproject.toml changes. `test` also installs the pinned Azure CLI, once, into its
own cached venv (see ensure_azure_cli) for the tests that run the real `az`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".acrfence-installed"

# The Azure CLI the az tests run. It is pinned (the tests trace what this version sends)
# and lives in its own venv outside the repository, shared by every clone and reused:
# installing it takes a minute or two, and its dependencies must not mix with ours.
AZURE_CLI_VERSION = "2.91.0"
AZURE_CLI_VENV = Path(
    os.environ.get("ACRFENCE_AZ_VENV")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "acrfence-az"
    / AZURE_CLI_VERSION
)


def _pyproject_digest() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


# The folders that install as acrfence.<name> (pyproject's package-dir).
PACKAGES = ("services", "tui", "widgets", "emulator")
TYPING_TREE = ROOT / ".typing"


def ensure_typing_tree() -> None:
    """.typing/acrfence/<package> -> ../../<package>: the installed names, on disk.

    The folders install under the acrfence name through setuptools' package-dir mapping, which
    Python resolves with an import hook; mypy reads files and follows no hooks, so it finds
    ``acrfence.services`` through these links instead ([tool.mypy] mypy_path).
    """
    home = TYPING_TREE / "acrfence"
    home.mkdir(parents=True, exist_ok=True)
    for name in PACKAGES:
        link = home / name
        if not link.is_symlink():
            link.symlink_to(Path("..", "..", name))


def ensure_venv() -> None:
    ensure_typing_tree()
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit("acrfence needs Python 3.11 or newer")
    if not (BIN / "python").exists():
        print("creating .venv ...", file=sys.stderr)
        venv.create(VENV, with_pip=True)
    digest = _pyproject_digest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    print("installing acrfence and its test tools into .venv ...", file=sys.stderr)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(digest)


def ensure_azure_cli() -> Path:
    """Install azure-cli==AZURE_CLI_VERSION into AZURE_CLI_VENV unless it is there; return az."""
    bin_dir = AZURE_CLI_VENV / ("Scripts" if os.name == "nt" else "bin")
    stamp = AZURE_CLI_VENV / ".acrfence-az-installed"
    if stamp.exists() and stamp.read_text() == AZURE_CLI_VERSION:
        return bin_dir / "az"
    print(f"installing Azure CLI {AZURE_CLI_VERSION} into {AZURE_CLI_VENV} ...", file=sys.stderr)
    venv.create(AZURE_CLI_VENV, with_pip=True, clear=True)
    # -qq: pip's per-index warnings for ~150 packages would bury the test output.
    pip = [str(bin_dir / "python"), "-m", "pip", "install", "-qq", "--disable-pip-version-check"]
    subprocess.run([*pip, f"azure-cli=={AZURE_CLI_VERSION}"], check=True)
    stamp.write_text(AZURE_CLI_VERSION)
    return bin_dir / "az"


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "setup", "az"}:
        print("usage: python3 dev.py demo | test [pytest args] | setup | az", file=sys.stderr)
        return 2
    ensure_venv()
    command, rest = argv[0], argv[1:]
    if command == "setup":
        return 0
    if command == "az":  # print where the pinned Azure CLI is, installing it if missing
        print(ensure_azure_cli())
        return 0
    if command == "demo":
        return subprocess.call([str(BIN / "acrfence"), "--demo", *rest])
    # The az tests find the CLI through ACRFENCE_AZ (and skip, saying so, without it).
    env = dict(os.environ)
    try:
        env["ACRFENCE_AZ"] = str(ensure_azure_cli())
    except (OSError, subprocess.CalledProcessError) as exc:
        # Offline, say: the rest of the suite still runs (.ci/run installs az up front and
        # fails there instead).
        print(f"could not install the Azure CLI ({exc}); its tests will skip", file=sys.stderr)
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *rest], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
