"""Policy profiles: which checks apply, for a team held to one auditor or another.

acrfence's own findings (a rule that does nothing, a lock-out, a limit) apply in every profile:
they say the registry doesn't do what its settings claim. A profile chooses the posture
findings (``services.analysis.posture``) on top, the ones the policy tools ask for. A team can
write its own profile as a TOML file:

```toml
extends = "azure-policy"             # a built-in profile to start from (default: "default")
enable = ["data-endpoint-disabled"]  # posture findings to add
disable = ["no-private-link"]        # any finding code to leave out
```

A registry that is open on purpose is declared on the registry itself, with the tag
``acrfence-open=<reason>`` (see ``posture.OPEN_TAG``), so every profile and the dashboard agree.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acrfence.services.analysis.posture import POSTURE_CODES
from acrfence.services.models import Finding

__all__ = ["DEFAULT_PROFILE", "PROFILES", "Profile", "ProfileError", "load_profile"]


_POSTURE = frozenset(POSTURE_CODES)


class ProfileError(ValueError):
    """A profile name or file that can't be used; the message is one line for the user."""


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    posture: frozenset[str]  # posture finding codes that apply
    disabled: frozenset[str] = frozenset()  # any codes left out (custom profiles)

    def applies(self, code: str) -> bool:
        if code in self.disabled:
            return False
        return code not in _POSTURE or code in self.posture

    def select(self, findings: Iterable[Finding]) -> list[Finding]:
        return [finding for finding in findings if self.applies(finding.code)]


def _profile(name: str, description: str, *codes: str) -> Profile:
    return Profile(name, description, frozenset(codes))


PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        _profile(
            "default",
            "acrfence's own findings; an open registry is a warning",
            "registry-open",
        ),
        _profile(
            "azure-policy",
            "plus what Azure Policy's built-ins ask: public access disabled, private link, "
            "private DNS, a service endpoint rule",
            "registry-open", "public-access-enabled", "no-private-link",
            "private-dns-unchecked", "no-vnet-rule",
        ),
        _profile(
            "psrule",
            "PSRule for Azure's Azure.ACR.Firewall: no open registry",
            "registry-open",
        ),
        _profile(
            "prowler",
            "plus Prowler's public access, private link and default Deny checks",
            "registry-open", "public-access-enabled", "no-private-link", "no-vnet-rule",
        ),
        _profile(
            "checkov",
            "plus Checkov's public networking and dedicated data endpoint checks",
            "registry-open", "public-access-enabled", "data-endpoint-disabled",
        ),
        _profile(
            "cloudsploit",
            "plus CloudSploit's public access and private endpoint checks",
            "registry-open", "public-access-enabled", "no-private-link",
        ),
        _profile("all", "every check acrfence maps, from every tool", *POSTURE_CODES),
    )
}  # fmt: skip

DEFAULT_PROFILE = PROFILES["default"]


def load_profile(name_or_path: str | None) -> Profile:
    """A built-in profile by name, or a TOML profile file; ProfileError says what is wrong."""
    if not name_or_path:
        return DEFAULT_PROFILE
    if name_or_path in PROFILES:
        return PROFILES[name_or_path]
    path = Path(name_or_path)
    if not path.suffix:
        names = ", ".join(PROFILES)
        raise ProfileError(f"unknown profile {name_or_path!r}: use one of {names}, or a .toml file")
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ProfileError(f"can't read profile {path}: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ProfileError(f"profile {path} is not valid TOML: {error}") from None
    return _from_document(document, path)


def _from_document(document: dict[str, Any], path: Path) -> Profile:
    unknown = set(document) - {"extends", "enable", "disable", "description"}
    if unknown:
        raise ProfileError(f"profile {path}: unknown key {sorted(unknown)[0]!r}")
    base_name = document.get("extends", "default")
    if base_name not in PROFILES:
        raise ProfileError(f"profile {path}: extends unknown profile {base_name!r}")
    base = PROFILES[base_name]
    enable = _codes(document, "enable", path)
    disable = _codes(document, "disable", path)
    from acrfence.services.analysis.findings import FINDING_CODES  # imports this module

    unknown_codes = sorted(disable - set(FINDING_CODES) - set(POSTURE_CODES))
    if unknown_codes:
        raise ProfileError(f"profile {path}: unknown finding code {unknown_codes[0]!r}")
    not_posture = sorted(enable - set(POSTURE_CODES))
    if not_posture:
        raise ProfileError(
            f"profile {path}: {not_posture[0]!r} can't be enabled: only posture findings "
            f"can ({', '.join(POSTURE_CODES)})"
        )
    return Profile(
        name=path.stem,
        description=str(document.get("description") or f"{base.name}, adjusted by {path.name}"),
        posture=(base.posture | enable) - disable,
        disabled=base.disabled | disable,
    )


def _codes(document: dict[str, Any], key: str, path: Path) -> frozenset[str]:
    value = document.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ProfileError(f"profile {path}: {key} must be a list of finding codes")
    return frozenset(value)
