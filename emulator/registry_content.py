"""What the emulated registries hold: small, real images built deterministically in code.

Every image is a real OCI/Docker image: a gzipped tar layer holding one text file, a config
blob whose `rootfs.diff_ids` is the uncompressed layer's sha256, and a manifest naming both by
digest and size. Built byte-for-byte the same on every run (gzip and tar timestamps fixed), so
digests are stable and a client that checks them (the ACR SDK does, docker does) is satisfied.

A registry holds DEFAULT_REPOSITORIES unless its seed names its own: the tenant JSON's
`"repositories": {"<registry resource ID>": [{"name": "team/app", "tags": ["1.0", "latest"],
"mediaType": "oci"|"docker"}]}`. Each tag is built into its own image. What clients change
through the data plane is written back into these specs (so the state file keeps it):
`"untagged"` (tags deleted while their manifest stays), `"attributes"`, `"tagAttributes"` and
`"manifestAttributes"` (by the tag the image was built for) hold changed changeableAttributes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
_CONFIG_TYPES = {
    DOCKER_MANIFEST: "application/vnd.docker.container.image.v1+json",
    OCI_MANIFEST: "application/vnd.oci.image.config.v1+json",
}
_LAYER_TYPES = {
    DOCKER_MANIFEST: "application/vnd.docker.image.rootfs.diff.tar.gzip",
    OCI_MANIFEST: "application/vnd.oci.image.layer.v1.tar+gzip",
}
# A fixed moment for every timestamp (tar entries, image config, ACR's createdTime).
CREATED = "2026-01-15T09:30:00.0000000Z"
_EPOCH = 1768469400

DEFAULT_REPOSITORIES: tuple[dict, ...] = (
    {"name": "hello-world", "tags": ["latest"], "mediaType": "docker"},
    {"name": "samples/nginx", "tags": ["1.27"], "mediaType": "oci"},
)


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Image:
    """One manifest and what it references."""

    digest: str
    media_type: str
    manifest: bytes
    blobs: dict[str, bytes]  # config and layer, by digest
    size: int  # config + layers, ACR's imageSize


# ACR's changeableAttributes and their defaults.
DEFAULT_ATTRIBUTES = {
    "deleteEnabled": True,
    "writeEnabled": True,
    "readEnabled": True,
    "listEnabled": True,
}


@dataclass
class Repository:
    name: str
    tags: dict[str, str] = field(default_factory=dict)  # tag -> manifest digest
    images: dict[str, Image] = field(default_factory=dict)  # digest -> image
    # The seed tag each image was built for (its identity in the seed, tagged or not).
    source_tag: dict[str, str] = field(default_factory=dict)
    attributes: dict = field(default_factory=lambda: dict(DEFAULT_ATTRIBUTES))
    tag_attributes: dict[str, dict] = field(default_factory=dict)
    manifest_attributes: dict[str, dict] = field(default_factory=dict)  # by digest

    def resolve(self, reference: str) -> Image | None:
        """The image a tag or a digest names."""
        digest = reference if reference.startswith("sha256:") else self.tags.get(reference)
        return self.images.get(digest) if digest else None

    def blob(self, digest: str) -> bytes | None:
        for image in self.images.values():
            if digest in image.blobs:
                return image.blobs[digest]
            if digest == image.digest:
                return image.manifest
        return None

    def tags_of(self, digest: str) -> list[str]:
        return sorted(tag for tag, d in self.tags.items() if d == digest)


def _layer(text: str) -> tuple[bytes, bytes]:
    """(uncompressed tar, gzipped tar) holding /hello.txt; the same bytes on every run."""
    data = text.encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mtime, info.mode = len(data), _EPOCH, 0o644
        archive.addfile(info, io.BytesIO(data))
    tar = raw.getvalue()
    return tar, gzip.compress(tar, mtime=0)


def build_image(repository: str, tag: str, media_type: str = DOCKER_MANIFEST) -> Image:
    tar, layer = _layer(f"Hello from the acrfence emulator: {repository}:{tag}\n")
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": CREATED.replace(".0000000", ""),
            "config": {"Cmd": ["/bin/cat", "/hello.txt"]},
            "rootfs": {"type": "layers", "diff_ids": [sha256_digest(tar)]},
        },
        separators=(",", ":"),
    ).encode()
    body = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {
            "mediaType": _CONFIG_TYPES[media_type],
            "size": len(config),
            "digest": sha256_digest(config),
        },
        "layers": [
            {
                "mediaType": _LAYER_TYPES[media_type],
                "size": len(layer),
                "digest": sha256_digest(layer),
            }
        ],
    }
    manifest = json.dumps(body, indent=3).encode()
    return Image(
        digest=sha256_digest(manifest),
        media_type=media_type,
        manifest=manifest,
        blobs={sha256_digest(config): config, sha256_digest(layer): layer},
        size=len(config) + len(layer),
    )


def build_repositories(specs: list[dict] | tuple[dict, ...]) -> dict[str, Repository]:
    """Repositories by name from seed specs (see the module docstring); ValueError if malformed."""
    repositories: dict[str, Repository] = {}
    for spec in specs:
        name = spec.get("name") if isinstance(spec, dict) else None
        if not isinstance(name, str) or not name:
            raise ValueError(f"a repository needs a name: {spec!r}")
        kind = spec.get("mediaType", "docker")
        media_type = {"docker": DOCKER_MANIFEST, "oci": OCI_MANIFEST}.get(kind)
        if media_type is None:
            raise ValueError(f"repository {name}: mediaType must be docker or oci, not {kind!r}")
        repository = repositories.setdefault(name, Repository(name))
        tags = [str(t) for t in spec.get("tags", ["latest"])]
        for tag in [*tags, *(str(t) for t in spec.get("untagged") or [])]:
            image = build_image(name, tag, media_type)
            repository.images[image.digest] = image
            repository.source_tag[image.digest] = tag
            if tag in tags:
                repository.tags[tag] = image.digest
        repository.attributes.update(spec.get("attributes") or {})
        for tag, attributes in (spec.get("tagAttributes") or {}).items():
            repository.tag_attributes[tag] = {**DEFAULT_ATTRIBUTES, **attributes}
        by_tag = {tag: digest for digest, tag in repository.source_tag.items()}
        for tag, attributes in (spec.get("manifestAttributes") or {}).items():
            if tag in by_tag:
                repository.manifest_attributes[by_tag[tag]] = {**DEFAULT_ATTRIBUTES, **attributes}
    return repositories
