"""What `docker pull` does first, as a probe stage: fetch an image's manifest with a pull token.

"Reachable" then means "can pull": the firewall let us in, the identity's token was exchanged
for a `repository:R:pull` access token, and the manifest came back with a digest that matches
its bytes. A missing repository or tag is its own verdict (`not-found`): the network and the
credentials were fine, the image isn't there.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import httpx

from acrfence.services.models import Verdict

__all__ = ["ImageReference", "ImageReferenceError", "MANIFEST_ACCEPT", "manifest_outcome"]

# The OCI distribution spec's grammar for repository names, tags and (sha256) digests.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")

# What docker and the ACR SDK accept: single images and multi-platform indexes, OCI and Docker.
MANIFEST_ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    )
)


class ImageReferenceError(ValueError):
    """REPO:TAG or REPO@sha256:DIGEST that doesn't parse."""


@dataclass(frozen=True)
class ImageReference:
    repository: str
    reference: str  # a tag or a digest

    @classmethod
    def parse(cls, text: str) -> ImageReference:
        """`repo[:tag]` (tag defaults to latest, as docker does) or `repo@sha256:...`."""
        if "@" in text:
            repository, _, reference = text.partition("@")
            if not _DIGEST.match(reference):
                raise ImageReferenceError(f"{reference!r} is not a sha256 digest")
        else:
            repository, colon, reference = text.rpartition(":")
            if not colon or "/" in reference:
                repository, reference = text, "latest"
            if not _TAG.match(reference):
                raise ImageReferenceError(f"{reference!r} is not a tag")
        if not _REPOSITORY.match(repository):
            raise ImageReferenceError(
                f"{repository!r} is not a repository name (lower-case letters, digits, . _ - /)"
            )
        return cls(repository, reference)

    @property
    def scope(self) -> str:
        return f"repository:{self.repository}:pull"

    @property
    def path(self) -> str:
        return f"/v2/{self.repository}/manifests/{self.reference}"

    def __str__(self) -> str:
        separator = "@" if self.reference.startswith("sha256:") else ":"
        return f"{self.repository}{separator}{self.reference}"


@dataclass(frozen=True)
class ManifestCheck:
    ok: bool
    verdict: Verdict
    detail: str


def manifest_outcome(image: ImageReference, response: httpx.Response) -> ManifestCheck | None:
    """The manifest stage's result; None when the answer is a refusal the caller interprets."""
    status = response.status_code
    if status == 404:
        code = _first_error_code(response) or "not found"
        return ManifestCheck(False, Verdict.NOT_FOUND, f"HTTP 404 {code}: no image {image} here")
    if status != 200:
        return None
    body = response.content
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    announced = response.headers.get("docker-content-digest")
    if (announced and announced != digest) or (
        image.reference.startswith("sha256:") and image.reference != digest
    ):
        detail = f"HTTP 200 but the manifest's bytes don't match its digest ({announced})"
        return ManifestCheck(False, Verdict.UNEXPECTED_STATUS, detail)
    media_type = response.headers.get("content-type", "").split(";")[0] or "unknown type"
    return ManifestCheck(
        True,
        Verdict.REACHABLE,
        f"HTTP 200: pulled the manifest of {image} ({digest[:19]}…, {media_type})",
    )


def _first_error_code(response: httpx.Response) -> str:
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return ""
    return str(errors[0].get("code", "")) if errors and isinstance(errors[0], dict) else ""
