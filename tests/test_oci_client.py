"""A real OCI client, oras-py (requests-based, docker's token protocol), against the emulator's
data plane from the internet and from a subnet: it logs in as `docker login` does after
`az acr login --expose-token` (the null GUID and an ACR refresh token, sent as Basic auth to the
realm), reads tags, fetches manifests and blobs, pulls anonymously where the registry allows it,
and meets ACR's 403 DENIED after a lockdown (read off its session: oras retries a refusal for
minutes before it raises)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import oras.provider
from registry_clients import ConnectToAdapter

from helpers import SUBNET_ID, dataplane_client, lock_down

SERVICE = "mycontainerregistry.azurecr.io"
NULL_USER = "00000000-0000-0000-0000-000000000000"


async def refresh_token(handle, vantage: str = "internet") -> str:
    """What `az acr login --name R --expose-token` hands out: an ACR refresh token."""
    async with dataplane_client(handle, vantage) as client:
        response = await client.post(
            f"https://{SERVICE}/oauth2/exchange",
            data={"grant_type": "access_token", "service": SERVICE, "access_token": handle.token},
        )
    return response.json()["refresh_token"]


def oras_client(handle, vantage: str = "internet", password: str | None = None):
    registry = oras.provider.Registry(SERVICE, tls_verify=handle.ca_cert)
    registry.session.mount("https://", ConnectToAdapter(handle, vantage))
    registry.session.verify = handle.ca_cert
    if password is not None:
        registry.auth.set_basic_auth(NULL_USER, password)
    return registry


async def test_oras_logs_in_and_pulls_from_an_open_registry(emulator, tmp_path) -> None:
    client = oras_client(emulator, password=await refresh_token(emulator))
    manifest = client.get_manifest(f"{SERVICE}/samples/nginx:1.27")
    tags = client.get_tags(f"{SERVICE}/samples/nginx")
    layer = manifest["layers"][0]
    path = client.download_blob(
        f"{SERVICE}/samples/nginx:1.27", layer["digest"], str(tmp_path / "l")
    )
    data = Path(path).read_bytes()  # noqa: ASYNC240 - a small file the client just wrote
    assert manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert tags == ["1.27"]
    assert "sha256:" + hashlib.sha256(data).hexdigest() == layer["digest"]


async def test_oras_from_the_subnet_after_a_lockdown_and_refused_from_the_internet(
    emulator,
) -> None:
    await lock_down(emulator)
    inside = oras_client(emulator, SUBNET_ID, password=await refresh_token(emulator, SUBNET_ID))
    manifest = inside.get_manifest(f"{SERVICE}/hello-world:latest")
    assert manifest["schemaVersion"] == 2

    # What oras sees from outside, read off its own session (oras itself retries a refusal
    # for minutes, sleeping 3**n seconds between tries, before it gives up).
    outside = oras_client(emulator, password="any")
    url = f"https://{SERVICE}/v2/hello-world/manifests/latest"
    refused = outside.session.get(url, verify=emulator.ca_cert)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "DENIED"


async def test_oras_pulls_anonymously_only_where_anonymous_pull_is_on(emulator) -> None:
    token_url = f"https://{SERVICE}/oauth2/token"
    refused = oras_client(emulator).session.get(token_url, verify=emulator.ca_cert)
    assert refused.status_code == 401
    registry_id = emulator.state.find_registry_by_host(SERVICE)["id"]
    emulator.state.update_registry(
        registry_id, lambda r: r["properties"].update(anonymousPullEnabled=True)
    )
    manifest = oras_client(emulator).get_manifest(f"{SERVICE}/hello-world:latest")
    assert manifest["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
