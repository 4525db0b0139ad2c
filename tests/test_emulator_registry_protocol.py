"""The data plane as docker-style and OCI clients speak it, over real HTTPS with httpx: the token
grants (exchange, refresh, password, GET with Basic, anonymous), JWT access tokens enforced per
scope, manifests and blobs with their digests, Link paging, and the network decision first."""

from __future__ import annotations

import base64
import hashlib
import json

from acrfence.emulator.registry_content import DOCKER_MANIFEST, OCI_MANIFEST
from acrfence.emulator.seeds import SeedError, build_tenant
from helpers import dataplane_client, lock_down

LOGIN = "https://mycontainerregistry.azurecr.io"
SERVICE = "mycontainerregistry.azurecr.io"
NULL_USER = "00000000-0000-0000-0000-000000000000"


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def _refresh(client, handle) -> str:
    response = await client.post(
        f"{LOGIN}/oauth2/exchange",
        data={"grant_type": "access_token", "service": SERVICE, "access_token": handle.token},
    )
    assert response.status_code == 200
    return response.json()["refresh_token"]


async def _access(client, refresh: str, *scopes: str) -> str:
    response = await client.post(
        f"{LOGIN}/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "service": SERVICE,
            "scope": list(scopes),
            "refresh_token": refresh,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def test_tokens_are_jwts_and_access_is_enforced_per_scope(emulator) -> None:
    async with dataplane_client(emulator) as client:
        refresh = await _refresh(client, emulator)
        pull = await _access(client, refresh, "repository:hello-world:pull")
        own = await client.get(f"{LOGIN}/v2/hello-world/manifests/latest", headers=_bearer(pull))
        other = await client.get(f"{LOGIN}/v2/samples/nginx/manifests/1.27", headers=_bearer(pull))
        catalog = await client.get(f"{LOGIN}/v2/_catalog", headers=_bearer(pull))
        metadata = await client.get(f"{LOGIN}/acr/v1/hello-world/_tags", headers=_bearer(pull))
        forged = await client.get(
            f"{LOGIN}/v2/hello-world/manifests/latest", headers=_bearer(pull[:-4] + "AAAA")
        )
    assert _claims(refresh)["aud"] == SERVICE and _claims(refresh)["exp"] > 0
    assert _claims(pull)["access"] == [
        {"type": "repository", "name": "hello-world", "actions": ["pull"]}
    ]
    assert own.status_code == 200
    assert other.status_code == 401
    assert other.headers["www-authenticate"] == (
        f'Bearer realm="https://{SERVICE}/oauth2/token",service="{SERVICE}",'
        'scope="repository:samples/nginx:pull",error="insufficient_scope"'
    )
    assert catalog.status_code == 401
    assert 'scope="registry:catalog:*"' in catalog.headers["www-authenticate"]
    assert catalog.json()["errors"][0]["detail"] == [
        {"Type": "registry", "Name": "catalog", "Action": "*"}
    ]
    assert 'scope="repository:hello-world:metadata_read"' in metadata.headers["www-authenticate"]
    assert forged.status_code == 401
    assert 'error="invalid_token"' in forged.headers["www-authenticate"]


async def test_docker_style_login_and_pull(emulator) -> None:
    """docker: GET /v2/ (401), GET /oauth2/token with Basic credentials (the refresh token az
    hands out, with the null GUID as username), HEAD then GET the manifest, GET the blobs."""
    async with dataplane_client(emulator) as client:
        challenge = await client.get(f"{LOGIN}/v2/")
        refresh = await _refresh(client, emulator)
        basic = base64.b64encode(f"{NULL_USER}:{refresh}".encode()).decode()
        token = await client.get(
            f"{LOGIN}/oauth2/token",
            params={"service": SERVICE, "scope": "repository:samples/nginx:pull"},
            headers={"Authorization": f"Basic {basic}"},
        )
        access = token.json()["access_token"]
        accept = {"Accept": f"{OCI_MANIFEST}, {DOCKER_MANIFEST}", **_bearer(access)}
        head = await client.head(f"{LOGIN}/v2/samples/nginx/manifests/1.27", headers=accept)
        manifest = await client.get(f"{LOGIN}/v2/samples/nginx/manifests/1.27", headers=accept)
        digest = head.headers["docker-content-digest"]
        by_digest = await client.get(f"{LOGIN}/v2/samples/nginx/manifests/{digest}", headers=accept)
        blobs = {}
        for descriptor in [manifest.json()["config"], *manifest.json()["layers"]]:
            blob = await client.get(
                f"{LOGIN}/v2/samples/nginx/blobs/{descriptor['digest']}", headers=_bearer(access)
            )
            blobs[descriptor["digest"]] = (descriptor["size"], blob.content)
        ranged = await client.get(
            f"{LOGIN}/v2/samples/nginx/blobs/{manifest.json()['config']['digest']}",
            headers={"Range": "bytes=0-9", **_bearer(access)},
        )
        docker_only = await client.get(
            f"{LOGIN}/v2/samples/nginx/manifests/1.27",
            headers={"Accept": DOCKER_MANIFEST, **_bearer(access)},
        )
        wrong = await client.get(
            f"{LOGIN}/oauth2/token",
            params={"service": SERVICE, "scope": "repository:samples/nginx:pull"},
            headers={"Authorization": "Basic " + base64.b64encode(b"user:nope").decode()},
        )
    assert challenge.status_code == 401
    assert token.status_code == 200
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(manifest.content)
    assert head.headers["content-type"] == OCI_MANIFEST
    assert digest == "sha256:" + hashlib.sha256(manifest.content).hexdigest()
    assert by_digest.content == manifest.content
    for digest_of_blob, (size, content) in blobs.items():
        assert digest_of_blob == "sha256:" + hashlib.sha256(content).hexdigest()
        assert len(content) == size
    assert ranged.status_code == 206
    assert ranged.headers["content-range"].startswith("bytes 0-9/")
    assert docker_only.status_code == 404
    assert docker_only.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"
    assert wrong.status_code == 401


async def test_password_grant_and_the_scopes_az_asks_for(emulator) -> None:
    async with dataplane_client(emulator) as client:
        refresh = await _refresh(client, emulator)
        password = await client.post(
            f"{LOGIN}/oauth2/token",
            data={
                "grant_type": "password",
                "service": SERVICE,
                "scope": "registry:catalog:*",
                "username": NULL_USER,
                "password": refresh,
            },
        )
        az_scope = await _access(client, refresh, "registry:None:*")
        # az acr repository show-tags asks for metadataRead, then reads /acr/v1/R/_tags.
        az_tags = await _access(client, refresh, "repository:hello-world:metadataRead")
        tags = await client.get(f"{LOGIN}/acr/v1/hello-world/_tags", headers=_bearer(az_tags))
        catalog = await client.get(
            f"{LOGIN}/acr/v1/_catalog", headers=_bearer(password.json()["access_token"])
        )
        again = await client.post(
            f"{LOGIN}/oauth2/exchange",
            data={"grant_type": "refresh_token", "service": SERVICE, "refresh_token": refresh},
        )
    assert password.status_code == 200
    assert catalog.json() == {"repositories": ["hello-world", "samples/nginx"]}
    assert _claims(az_scope)["access"] == [{"type": "registry", "name": "None", "actions": ["*"]}]
    assert again.status_code == 200 and again.json()["refresh_token"].count(".") == 2
    assert [t["name"] for t in tags.json()["tags"]] == ["latest"]


async def test_catalog_and_tags_page_with_link_headers(emulator) -> None:
    async with dataplane_client(emulator) as client:
        refresh = await _refresh(client, emulator)
        access = await _access(client, refresh, "registry:catalog:*", "repository:hello-world:pull")
        first = await client.get(f"{LOGIN}/v2/_catalog", params={"n": 1}, headers=_bearer(access))
        link = first.headers["link"]
        second = await client.get(LOGIN + link[1 : link.index(">")], headers=_bearer(access))
        tags = await client.get(f"{LOGIN}/v2/hello-world/tags/list", headers=_bearer(access))
    assert first.json() == {"repositories": ["hello-world"]}
    assert link == '</v2/_catalog?last=hello-world&n=1>; rel="next"'
    assert second.json() == {"repositories": ["samples/nginx"]}
    assert "link" not in second.headers
    assert tags.json() == {"name": "hello-world", "tags": ["latest"]}


async def test_anonymous_pull_only_where_enabled(emulator) -> None:
    scope = {"service": SERVICE, "scope": "repository:hello-world:pull registry:catalog:*"}
    async with dataplane_client(emulator) as client:
        refused = await client.get(f"{LOGIN}/oauth2/token", params=scope)
        registry = emulator.state.find_registry_by_host(SERVICE)["id"]
        emulator.state.update_registry(
            registry, lambda r: r["properties"].update(anonymousPullEnabled=True)
        )
        granted = await client.get(f"{LOGIN}/oauth2/token", params=scope)
    assert refused.status_code == 401
    assert _claims(granted.json()["access_token"])["access"] == [
        {"type": "repository", "name": "hello-world", "actions": ["pull"]}
    ]


async def test_the_network_decision_comes_before_every_route(emulator) -> None:
    await lock_down(emulator)
    async with dataplane_client(emulator) as client:
        answers = [
            await client.post(f"{LOGIN}/oauth2/exchange", data={"access_token": emulator.token}),
            await client.post(f"{LOGIN}/oauth2/token", data={"grant_type": "password"}),
            await client.get(f"{LOGIN}/oauth2/token"),
            await client.get(f"{LOGIN}/acr/v1/_catalog"),
            await client.get(f"{LOGIN}/acr/v1/hello-world/_tags/latest"),
            await client.get(f"{LOGIN}/v2/samples/nginx/blobs/sha256:00"),
            await client.get(f"{LOGIN}/no/such/route"),
        ]
    for answer in answers:
        assert answer.status_code == 403
        assert answer.json()["errors"][0]["code"] == "DENIED"
        assert "203.0.113.10" in answer.json()["errors"][0]["message"]


async def test_a_seed_file_names_each_registrys_repositories(tmp_path, make_emulator) -> None:
    from acrfence.emulator.tenant_json import tenant_to_json

    document = tenant_to_json(build_tenant("demo"))
    registry = build_tenant("demo").find_registry_by_host(SERVICE)["id"]
    specs = [{"name": "team/app", "tags": ["1.0", "2.0"]}]
    document["repositories"] = {registry: specs}
    path = tmp_path / "tenant.json"
    path.write_text(json.dumps(document))
    assert tenant_to_json(build_tenant(str(path)))["repositories"] == {registry.lower(): specs}
    handle = make_emulator(seed=str(path))
    async with dataplane_client(handle) as client:
        refresh = await _refresh(client, handle)
        access = await _access(client, refresh, "registry:catalog:*", "repository:team/app:pull")
        catalog = await client.get(f"{LOGIN}/v2/_catalog", headers=_bearer(access))
        tags = await client.get(f"{LOGIN}/v2/team/app/tags/list", headers=_bearer(access))
    assert catalog.json() == {"repositories": ["team/app"]}
    assert tags.json() == {"name": "team/app", "tags": ["1.0", "2.0"]}

    document["repositories"] = {registry: [{"name": "x", "mediaType": "helm"}]}
    path.write_text(json.dumps(document))
    try:
        build_tenant(str(path))
    except SeedError as error:
        assert "mediaType must be docker or oci" in str(error)
    else:
        raise AssertionError("a bad repository spec was accepted")


async def test_writes_need_their_scopes_and_a_well_formed_body(emulator) -> None:
    async with dataplane_client(emulator) as client:
        refresh = await _refresh(client, emulator)
        read = await _access(client, refresh, "repository:hello-world:metadata_read,pull")
        write = await _access(client, refresh, "repository:hello-world:metadataWrite,delete")
        url = f"{LOGIN}/acr/v1/hello-world/_tags/latest"
        patch_refused = await client.patch(url, json={"writeEnabled": False}, headers=_bearer(read))
        delete_refused = await client.delete(url, headers=_bearer(read))
        bad_body = await client.patch(url, json={"writeEnabled": "no"}, headers=_bearer(write))
        by_tag = await client.delete(
            f"{LOGIN}/v2/hello-world/manifests/latest", headers=_bearer(write)
        )
        deleted = await client.delete(url, headers=_bearer(write))
        gone = await client.get(f"{LOGIN}/v2/hello-world/manifests/latest", headers=_bearer(read))
    assert patch_refused.status_code == delete_refused.status_code == 401
    assert (
        'scope="repository:hello-world:metadata_write"' in patch_refused.headers["www-authenticate"]
    )
    assert 'scope="repository:hello-world:delete"' in delete_refused.headers["www-authenticate"]
    assert bad_body.status_code == 400
    assert by_tag.status_code == 400  # manifests are deleted by digest
    assert deleted.status_code == 202
    assert gone.status_code == 404 and gone.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"


async def test_blobs_of_a_registry_with_data_endpoints_redirect_there(emulator) -> None:
    login = "https://platformacr.azurecr.io"
    ci = next(v for v in emulator.info["vantages"] if v.endswith("/platform-vnet/subnets/ci"))
    async with dataplane_client(emulator, ci) as client:
        refresh = (
            await client.post(
                f"{login}/oauth2/exchange",
                data={"grant_type": "access_token", "access_token": emulator.token},
            )
        ).json()["refresh_token"]
        access = (
            await client.post(
                f"{login}/oauth2/token",
                data={
                    "grant_type": "refresh_token",
                    "scope": "repository:hello-world:pull",
                    "refresh_token": refresh,
                },
            )
        ).json()["access_token"]
        manifest = await client.get(
            f"{login}/v2/hello-world/manifests/latest", headers=_bearer(access)
        )
        digest = manifest.json()["layers"][0]["digest"]
        redirect = await client.get(
            f"{login}/v2/hello-world/blobs/{digest}", headers=_bearer(access)
        )
        location = redirect.headers["location"]
        followed = await client.get(location)  # no credentials: the URL carries its grant
        tampered = await client.get(location[:-3] + "AAA")
    async with dataplane_client(emulator) as client:
        outside = await client.get(location)
    assert redirect.status_code == 307
    assert location.startswith(
        f"https://platformacr.eastus.data.azurecr.io/v2/hello-world/blobs/{digest}?"
    )
    assert followed.status_code == 200
    assert "sha256:" + hashlib.sha256(followed.content).hexdigest() == digest
    assert tampered.status_code == 401
    assert outside.status_code == 403  # the data endpoint is behind the same firewall
