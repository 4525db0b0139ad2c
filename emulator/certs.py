"""A throwaway CA (trustme) and the certificates the two listeners present.

One CA per process, its PEM written once to a temp file; leaf certificates are cached by the
names they cover, so starting many emulators in one test run stays fast.
"""

from __future__ import annotations

import atexit
import shutil
import ssl
import tempfile
import threading
from pathlib import Path

import trustme

_lock = threading.Lock()
_ca: trustme.CA | None = None
_ca_path: Path | None = None
_leaves: dict[tuple[str, ...], trustme.LeafCert] = {}


def certificate_authority() -> tuple[trustme.CA, Path]:
    """The process-wide CA and the path of its PEM file."""
    global _ca, _ca_path
    with _lock:
        if _ca is None:
            _ca = trustme.CA(organization_name="acrfence emulator CA")
            directory = Path(tempfile.mkdtemp(prefix="acrfence-emulator-ca-"))
            atexit.register(shutil.rmtree, directory, True)
            _ca_path = directory / "ca.pem"
            _ca.cert_pem.write_to_path(str(_ca_path))
        assert _ca_path is not None
        return _ca, _ca_path


def server_context(*names: str) -> ssl.SSLContext:
    """A server TLS context whose certificate is valid for exactly `names`."""
    ca, _ = certificate_authority()
    key = tuple(sorted(set(names)))
    with _lock:
        leaf = _leaves.get(key)
        if leaf is None:
            leaf = _leaves[key] = ca.issue_cert(*key)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    return context


def registry_names(regions: set[str]) -> list[str]:
    """Login servers (*.azurecr.io) and data endpoints (*.<region>.data.azurecr.io)."""
    return ["*.azurecr.io", *(f"*.{region}.data.azurecr.io" for region in sorted(regions))]
