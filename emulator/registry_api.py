"""A registry's content, read-only: the distribution API (`/v2/...`) and ACR's own (`/acr/v1/...`).

From the OCI distribution spec and ACR's data-plane REST description (azure-rest-api-specs,
`specification/containerregistry/data-plane/Azure.ContainerRegistry/stable/2021-07-01`):

- `GET /v2/_catalog`, `GET /acr/v1/_catalog`: scope `registry:catalog:*`;
- `GET /v2/{repo}/tags/list`, `GET|HEAD /v2/{repo}/manifests/{ref}` and `/blobs/{digest}`:
  `repository:{repo}:pull`;
- `GET /acr/v1/{repo}`, `/acr/v1/{repo}/_tags[/{tag}]`, `/acr/v1/{repo}/_manifests[/{digest}]`:
  `repository:{repo}:metadata_read`.

Lists page with `n` and `last` and a `Link: <...>; rel="next"` header. Attribute updates and
deletes are in registry_writes.py; pushes are not served.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from aiohttp import web

from acrfence.emulator.registry_content import CREATED, DEFAULT_ATTRIBUTES, Image, Repository
from acrfence.emulator.registry_http import (
    COMMON_HEADERS,
    LOGIN_SERVER,
    REGISTRY_KEY,
    errors_response,
)

if TYPE_CHECKING:
    from acrfence.emulator.dataplane import DataPlane

_MANIFEST_ACCEPT_ALL = ("*/*", "application/*")


def _page(request: web.Request, names: list[str], path: str) -> tuple[list[str], dict]:
    """One page of sorted `names` after `last`, at most `n`, and the Link header to the next."""
    names = sorted(names)
    last = request.query.get("last")
    if last:
        names = [name for name in names if name > last]
    try:
        size = int(request.query.get("n", "0"))
    except ValueError:
        size = 0
    if size <= 0 or size >= len(names):
        return names, {}
    page = names[:size]
    query = {k: v for k, v in request.query.items() if k not in ("last", "n")}
    query.update(last=page[-1], n=str(size))
    return page, {"Link": f'<{path}?{urlencode(query)}>; rel="next"'}


def _manifest_attributes(repository: Repository, image: Image) -> dict:
    return {
        "digest": image.digest,
        "imageSize": image.size,
        "createdTime": CREATED,
        "lastUpdateTime": CREATED,
        "architecture": "amd64",
        "os": "linux",
        "mediaType": image.media_type,
        "tags": repository.tags_of(image.digest),
        "changeableAttributes": dict(
            repository.manifest_attributes.get(image.digest, DEFAULT_ATTRIBUTES)
        ),
    }


def _tag_attributes(repository: Repository, name: str) -> dict:
    digest = repository.tags[name]
    return {
        "name": name,
        "digest": digest,
        "createdTime": CREATED,
        "lastUpdateTime": CREATED,
        "signed": False,
        "changeableAttributes": dict(repository.tag_attributes.get(name, DEFAULT_ATTRIBUTES)),
    }


class RegistryApi:
    def __init__(self, plane: DataPlane) -> None:
        self.plane = plane

    def add_routes(self, router: web.UrlDispatcher) -> None:
        # Repository names hold slashes, which the ACR SDK sends encoded (%2F).
        repo = "{repository:[a-z0-9][a-zA-Z0-9._/%-]*}"
        router.add_get("/v2/_catalog", self.v2_catalog)
        router.add_get(f"/v2/{repo}/tags/list", self.v2_tags)
        router.add_get(f"/v2/{repo}/manifests/{{reference}}", self.v2_manifest)
        router.add_get(f"/v2/{repo}/blobs/{{digest}}", self.v2_blob)
        router.add_get("/acr/v1/_catalog", self.acr_catalog)
        router.add_get(f"/acr/v1/{repo}/_tags/{{tag}}", self.acr_tag)
        router.add_get(f"/acr/v1/{repo}/_tags", self.acr_tags)
        router.add_get(f"/acr/v1/{repo}/_manifests/{{digest}}", self.acr_manifest)
        router.add_get(f"/acr/v1/{repo}/_manifests", self.acr_manifests)
        router.add_get(f"/acr/v1/{repo}", self.acr_repository)

    # ---- helpers -----------------------------------------------------------------------------

    def json(self, body: dict, headers: dict | None = None) -> web.Response:
        return web.json_response(body, headers={**COMMON_HEADERS, **(headers or {})})

    def repository(
        self, request: web.Request, action: str
    ) -> tuple[Repository | None, web.Response | None]:
        """The repository the path names, once the token allows `action` on it."""
        name = request.match_info["repository"]
        refusal = self.plane.require(request, "repository", name, action)
        if refusal is not None:
            return None, refusal
        repository = self.plane.repositories(request).get(name)
        if repository is None:
            message = "repository name not known to registry"
            return None, errors_response(404, "NAME_UNKNOWN", message)
        return repository, None

    def _registry(self, request: web.Request) -> str:
        return request[LOGIN_SERVER]

    # ---- the distribution API ----------------------------------------------------------------

    async def v2_catalog(self, request: web.Request) -> web.Response:
        refusal = self.plane.require(request, "registry", "catalog", "*")
        if refusal is not None:
            return refusal
        names, link = _page(request, list(self.plane.repositories(request)), "/v2/_catalog")
        return self.json({"repositories": names}, link)

    async def v2_tags(self, request: web.Request) -> web.Response:
        repository, refusal = self.repository(request, "pull")
        if repository is None:
            return refusal
        path = f"/v2/{repository.name}/tags/list"
        tags, link = _page(request, list(repository.tags), path)
        return self.json({"name": repository.name, "tags": tags}, link)

    async def v2_manifest(self, request: web.Request) -> web.Response:
        repository, refusal = self.repository(request, "pull")
        if repository is None:
            return refusal
        reference = request.match_info["reference"]
        image = repository.resolve(reference)
        if image is None:
            return errors_response(
                404, "MANIFEST_UNKNOWN", f'manifest tagged by "{reference}" is not found'
            )
        accept = ",".join(request.headers.getall("Accept", []))
        accepted = [part.split(";")[0].strip() for part in accept.split(",") if part.strip()]
        readable = not accepted or image.media_type in accepted
        if not readable and not any(kind in _MANIFEST_ACCEPT_ALL for kind in accepted):
            # As the distribution registry does for a client that can't read the format.
            message = f"{image.media_type} found, but the Accept header does not include it"
            return errors_response(404, "MANIFEST_UNKNOWN", message)
        headers = {**COMMON_HEADERS, "Docker-Content-Digest": image.digest}
        return _bytes_response(request, image.manifest, image.media_type, headers)

    async def v2_blob(self, request: web.Request) -> web.Response:
        signed = self.plane.tokens.verify_path(
            request.path, request.query.get("se", ""), request.query.get("sig", "")
        )
        if signed:  # a redirect's own grant: no bearer token needed
            name = request.match_info["repository"]
            repository = self.plane.repositories(request).get(name)
            if repository is None:
                return errors_response(404, "NAME_UNKNOWN", "repository name not known")
        else:
            repository, refusal = self.repository(request, "pull")
            if repository is None:
                return refusal
        digest = request.match_info["digest"]
        data = repository.blob(digest)
        if data is None:
            return errors_response(404, "BLOB_UNKNOWN", "blob unknown to registry")
        data_host = self._data_endpoint(request)
        if data_host is not None and request.method == "GET":
            # ACR serves a registry's blobs from its data endpoint once it has one: the login
            # server answers 307 to a signed URL there, which the firewall guards as well.
            location = (
                f"https://{data_host}{request.path}?{self.plane.tokens.sign_path(request.path)}"
            )
            return web.Response(status=307, headers={**COMMON_HEADERS, "Location": location})
        headers = {**COMMON_HEADERS, "Docker-Content-Digest": digest, "Accept-Ranges": "bytes"}
        return _bytes_response(request, data, "application/octet-stream", headers, ranged=True)

    def _data_endpoint(self, request: web.Request) -> str | None:
        """The data endpoint host to send a login-server blob request to (its region's)."""
        host = (request.host or "").split(":")[0].lower()
        if host != request[LOGIN_SERVER].lower():
            return None
        registry = self.plane.tenant.get_registry(request[REGISTRY_KEY]) or {}
        props = registry.get("properties", {})
        hosts = props.get("dataEndpointHostNames") or []
        if not props.get("dataEndpointEnabled") or not hosts:
            return None
        region = f".{registry.get('location', '').lower()}.data."
        return next((h for h in hosts if region in h.lower()), hosts[0])

    # ---- ACR's own API ----------------------------------------------------------------------

    async def acr_catalog(self, request: web.Request) -> web.Response:
        refusal = self.plane.require(request, "registry", "catalog", "*")
        if refusal is not None:
            return refusal
        names, link = _page(request, list(self.plane.repositories(request)), "/acr/v1/_catalog")
        return self.json({"repositories": names}, link)

    def repository_body(self, request: web.Request, repository: Repository) -> dict:
        return {
            "registry": self._registry(request),
            "imageName": repository.name,
            "createdTime": CREATED,
            "lastUpdateTime": CREATED,
            "manifestCount": len(repository.images),
            "tagCount": len(repository.tags),
            "changeableAttributes": {**repository.attributes, "teleportEnabled": False},
        }

    def tag_body(self, request: web.Request, repository: Repository, tag: str) -> dict:
        return {
            "registry": self._registry(request),
            "imageName": repository.name,
            "tag": _tag_attributes(repository, tag),
        }

    def manifest_body(self, request: web.Request, repository: Repository, image: Image) -> dict:
        return {
            "registry": self._registry(request),
            "imageName": repository.name,
            "manifest": _manifest_attributes(repository, image),
        }

    async def acr_repository(self, request: web.Request) -> web.Response:
        repository, refusal = self.repository(request, "metadata_read")
        if repository is None:
            return refusal
        return self.json(self.repository_body(request, repository))

    async def acr_tags(self, request: web.Request) -> web.Response:
        repository, refusal = self.repository(request, "metadata_read")
        if repository is None:
            return refusal
        wanted = request.query.get("digest")
        names = [t for t, d in repository.tags.items() if wanted is None or d == wanted]
        page, link = _page(request, names, f"/acr/v1/{repository.name}/_tags")
        tags = [_tag_attributes(repository, name) for name in page]
        body = {"registry": self._registry(request), "imageName": repository.name, "tags": tags}
        return self.json(body, link)

    async def acr_tag(self, request: web.Request) -> web.Response:
        repository, refusal = self.repository(request, "metadata_read")
        if repository is None:
            return refusal
        tag = request.match_info["tag"]
        if tag not in repository.tags:
            return errors_response(404, "TAG_UNKNOWN", "the specified tag does not exist")
        return self.json(self.tag_body(request, repository, tag))

    async def acr_manifests(self, request: web.Request) -> web.Response:
        repository, refusal = self.repository(request, "metadata_read")
        if repository is None:
            return refusal
        page, link = _page(
            request, list(repository.images), f"/acr/v1/{repository.name}/_manifests"
        )
        manifests = [_manifest_attributes(repository, repository.images[d]) for d in page]
        body = {
            "registry": self._registry(request),
            "imageName": repository.name,
            "manifests": manifests,
        }
        return self.json(body, link)

    async def acr_manifest(self, request: web.Request) -> web.Response:
        repository, refusal = self.repository(request, "metadata_read")
        if repository is None:
            return refusal
        image = repository.images.get(request.match_info["digest"])
        if image is None:
            return errors_response(404, "MANIFEST_UNKNOWN", "manifest unknown")
        return self.json(self.manifest_body(request, repository, image))


def _bytes_response(
    request: web.Request, data: bytes, content_type: str, headers: dict, ranged: bool = False
) -> web.Response:
    """The bytes (or, for HEAD, only their length), honouring one `Range: bytes=a-b` if asked."""
    status = 200
    body = data
    range_header = request.headers.get("Range", "") if ranged else ""
    if range_header.startswith("bytes="):
        first, _, last = range_header[6:].partition("-")
        try:
            start = int(first or 0)
            end = min(int(last) if last else len(data) - 1, len(data) - 1)
        except ValueError:
            start, end = 0, len(data) - 1
        if start >= len(data) or start > end:
            return web.Response(
                status=416, headers={**headers, "Content-Range": f"bytes */{len(data)}"}
            )
        body = data[start : end + 1]
        headers = {**headers, "Content-Range": f"bytes {start}-{end}/{len(data)}"}
        status = 206
    response = web.Response(status=status, body=body, headers=headers)
    response.content_type = content_type
    return response
