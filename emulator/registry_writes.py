"""Changes a client may make to a registry's content through ACR's API: attribute updates and
deletes (from ACR's data-plane REST description, 2021-07-01). Pushes are not served.

- `PATCH /acr/v1/{repo}`, `/_tags/{tag}`, `/_manifests/{digest}`: merge `changeableAttributes`
  (scope `metadata_write`), answer the updated entity;
- `DELETE /acr/v1/{repo}` (202 with what went), `DELETE /acr/v1/{repo}/_tags/{tag}` (202; the
  manifest stays, untagged), `DELETE /v2/{repo}/manifests/{digest}` (202; its tags go with it):
  scope `delete`.

A change rewrites the registry's repository specs in the tenant (registry_content.py), so the
state file keeps it and every later read sees it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web

from acrfence.emulator.registry_content import DEFAULT_ATTRIBUTES
from acrfence.emulator.registry_http import COMMON_HEADERS, errors_response

if TYPE_CHECKING:
    from acrfence.emulator.dataplane import DataPlane
    from acrfence.emulator.registry_api import RegistryApi

_CHANGEABLE = (*DEFAULT_ATTRIBUTES, "teleportEnabled")


def _spec(specs: list[dict], name: str) -> dict:
    return next(spec for spec in specs if spec.get("name") == name)


class RegistryWrites:
    def __init__(self, plane: DataPlane, reads: RegistryApi) -> None:
        self.plane = plane
        self.reads = reads

    def add_routes(self, router: web.UrlDispatcher) -> None:
        repo = "{repository:[a-z0-9][a-zA-Z0-9._/%-]*}"
        router.add_patch(f"/acr/v1/{repo}/_tags/{{tag}}", self.patch_tag)
        router.add_delete(f"/acr/v1/{repo}/_tags/{{tag}}", self.delete_tag)
        router.add_patch(f"/acr/v1/{repo}/_manifests/{{digest}}", self.patch_manifest)
        router.add_patch(f"/acr/v1/{repo}", self.patch_repository)
        router.add_delete(f"/acr/v1/{repo}", self.delete_repository)
        router.add_delete(f"/v2/{repo}/manifests/{{reference}}", self.delete_manifest)

    async def _attributes(self, request: web.Request) -> dict | web.Response:
        """The changeable attributes a PATCH sends, or a 400 for a body ACR would refuse."""
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict) or any(
            key not in _CHANGEABLE or not isinstance(value, bool) for key, value in body.items()
        ):
            message = f"the body must be an object of booleans among {', '.join(_CHANGEABLE)}"
            return errors_response(400, "UNSUPPORTED", message)
        return body

    def _change(self, request: web.Request, change: Callable[[list[dict]], None]) -> None:
        self.plane.change_repositories(request, change)

    def _accepted(self, body: dict | None = None) -> web.Response:
        if body is None:
            return web.Response(status=202, headers=COMMON_HEADERS)
        return web.json_response(body, status=202, headers=COMMON_HEADERS)

    # ---- attribute updates -------------------------------------------------------------------

    async def patch_repository(self, request: web.Request) -> web.Response:
        repository, refusal = self.reads.repository(request, "metadata_write")
        if repository is None:
            return refusal
        attributes = await self._attributes(request)
        if isinstance(attributes, web.Response):
            return attributes
        attributes.pop("teleportEnabled", None)  # a Premium feature the emulator doesn't model
        self._change(
            request,
            lambda specs: (
                _spec(specs, repository.name).setdefault("attributes", {}).update(attributes)
            ),
        )
        updated = self.plane.repositories(request)[repository.name]
        return self.reads.json(self.reads.repository_body(request, updated))

    async def patch_tag(self, request: web.Request) -> web.Response:
        repository, refusal = self.reads.repository(request, "metadata_write")
        if repository is None:
            return refusal
        tag = request.match_info["tag"]
        if tag not in repository.tags:
            return errors_response(404, "TAG_UNKNOWN", "the specified tag does not exist")
        attributes = await self._attributes(request)
        if isinstance(attributes, web.Response):
            return attributes
        attributes.pop("teleportEnabled", None)

        def change(specs: list[dict]) -> None:
            _spec(specs, repository.name).setdefault("tagAttributes", {}).setdefault(
                tag, {}
            ).update(attributes)

        self._change(request, change)
        updated = self.plane.repositories(request)[repository.name]
        return self.reads.json(self.reads.tag_body(request, updated, tag))

    async def patch_manifest(self, request: web.Request) -> web.Response:
        repository, refusal = self.reads.repository(request, "metadata_write")
        if repository is None:
            return refusal
        digest = request.match_info["digest"]
        if digest not in repository.images:
            return errors_response(404, "MANIFEST_UNKNOWN", "manifest unknown")
        attributes = await self._attributes(request)
        if isinstance(attributes, web.Response):
            return attributes
        attributes.pop("teleportEnabled", None)
        source = repository.source_tag[digest]

        def change(specs: list[dict]) -> None:
            _spec(specs, repository.name).setdefault("manifestAttributes", {}).setdefault(
                source, {}
            ).update(attributes)

        self._change(request, change)
        updated = self.plane.repositories(request)[repository.name]
        return self.reads.json(self.reads.manifest_body(request, updated, updated.images[digest]))

    # ---- deletes -----------------------------------------------------------------------------

    async def delete_repository(self, request: web.Request) -> web.Response:
        repository, refusal = self.reads.repository(request, "delete")
        if repository is None:
            return refusal
        self._change(request, lambda specs: specs.remove(_spec(specs, repository.name)))
        return self._accepted(
            {"manifestsDeleted": sorted(repository.images), "tagsDeleted": sorted(repository.tags)}
        )

    async def delete_tag(self, request: web.Request) -> web.Response:
        repository, refusal = self.reads.repository(request, "delete")
        if repository is None:
            return refusal
        tag = request.match_info["tag"]
        if tag not in repository.tags:
            return errors_response(404, "TAG_UNKNOWN", "the specified tag does not exist")
        source = repository.source_tag[repository.tags[tag]]

        def change(specs: list[dict]) -> None:
            spec = _spec(specs, repository.name)
            spec["tags"] = [t for t in spec.get("tags", ["latest"]) if t != tag]
            spec.setdefault("untagged", []).append(source)  # the manifest stays
            (spec.get("tagAttributes") or {}).pop(tag, None)

        self._change(request, change)
        return self._accepted()

    async def delete_manifest(self, request: web.Request) -> web.Response:
        repository, refusal = self.reads.repository(request, "delete")
        if repository is None:
            return refusal
        digest = request.match_info["reference"]
        if not digest.startswith("sha256:"):
            return errors_response(400, "UNSUPPORTED", "delete a manifest by its digest")
        if digest not in repository.images:
            return errors_response(404, "MANIFEST_UNKNOWN", "manifest unknown")
        source = repository.source_tag[digest]
        gone = {tag for tag, d in repository.tags.items() if d == digest}

        def change(specs: list[dict]) -> None:
            spec = _spec(specs, repository.name)
            spec["tags"] = [t for t in spec.get("tags", ["latest"]) if t not in gone]
            spec["untagged"] = [t for t in spec.get("untagged") or [] if t != source]
            (spec.get("manifestAttributes") or {}).pop(source, None)
            for tag in gone:
                (spec.get("tagAttributes") or {}).pop(tag, None)

        self._change(request, change)
        return self._accepted()
