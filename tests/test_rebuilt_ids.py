"""Registries and subnets keep their resource ID only when their other fields don't spell it
(services/models/rebuilt_fields.py); read back, it is exactly the ID they were made with,
whatever its casing. Findings hold the models they name, and read as their IDs."""

from __future__ import annotations

import copy
import pickle
from dataclasses import replace

import pytest

from acrfence.services.analysis.findings import find_findings
from acrfence.services.models import Finding, Severity
from acrfence.services.models.inventory import Inventory, Registry, Subnet, VirtualNetwork
from acrfence.services.models.peers import PeerOutcome, PeerVerdict

SUB = "6f1e2c43-8a7b-4d0e-9c15-2b3a4d5e6f70"
CANONICAL_SUBNET = (
    f"/subscriptions/{SUB}/resourceGroups/Net-RG/providers/Microsoft.Network"
    "/virtualNetworks/Hub-VNet/subnets/AKS-Nodes"
)
CANONICAL_REGISTRY = (
    f"/subscriptions/{SUB}/resourceGroups/Acr-RG/providers/Microsoft.ContainerRegistry"
    "/registries/ContosoAcr"
)


def subnet(resource_id: str, name: str = "AKS-Nodes", vnet: str = "Hub-VNet") -> Subnet:
    return Subnet(
        id=resource_id,
        name=name,
        virtual_network_name=vnet,
        resource_group="Net-RG",
        subscription_id=SUB,
        etag='W/"1"',
    )


def registry(resource_id: str, name: str = "ContosoAcr") -> Registry:
    return Registry(
        id=resource_id,
        name=name,
        resource_group="Acr-RG",
        subscription_id=SUB,
        location="westus",
        sku="Premium",
        login_server="contosoacr.azurecr.io",
    )


SUBNET_IDS = [
    CANONICAL_SUBNET,
    CANONICAL_SUBNET.lower(),  # Azure sometimes answers in lower case
    CANONICAL_SUBNET.upper(),
    CANONICAL_SUBNET.replace("resourceGroups", "resourcegroups"),
    CANONICAL_SUBNET.replace("Microsoft.Network", "microsoft.network"),
    CANONICAL_SUBNET + "/",
    " " + CANONICAL_SUBNET,
    CANONICAL_SUBNET.replace("subnets/AKS-Nodes", "subnets/aks-nodes"),  # name field differs
    "not-an-id",
]


@pytest.mark.parametrize("resource_id", SUBNET_IDS)
def test_a_subnet_id_reads_back_exactly(resource_id: str) -> None:
    made = subnet(resource_id)
    assert made.id == resource_id
    assert made.key == resource_id.strip().rstrip("/").casefold()
    assert made.virtual_network_id == resource_id.rsplit("/subnets/", 1)[0]
    assert replace(made, etag='W/"2"').id == resource_id
    assert copy.copy(made).id == resource_id
    assert pickle.loads(pickle.dumps(made)).id == resource_id
    assert made == subnet(resource_id) and hash(made) == hash(subnet(resource_id))
    assert resource_id in repr(made)


@pytest.mark.parametrize(
    "resource_id",
    [
        CANONICAL_REGISTRY,
        CANONICAL_REGISTRY.lower(),
        CANONICAL_REGISTRY.replace("Microsoft.ContainerRegistry", "microsoft.containerregistry"),
        CANONICAL_REGISTRY.replace("registries/ContosoAcr", "registries/contosoacr"),
        CANONICAL_REGISTRY + "/",
    ],
)
def test_a_registry_id_reads_back_exactly(resource_id: str) -> None:
    made = registry(resource_id)
    assert made.id == resource_id
    assert made.key == resource_id.rstrip("/").casefold()
    assert replace(made, sku="Standard").id == resource_id
    assert pickle.loads(pickle.dumps(made)).id == resource_id
    assert made == registry(resource_id)


def test_only_an_id_the_fields_spell_is_dropped_and_rebuilt() -> None:
    # Rebuilt per read (a new string each time) when the fields spell it; kept as given
    # (the same string each time) otherwise.
    assert subnet(CANONICAL_SUBNET).id is not subnet(CANONICAL_SUBNET).id
    assert registry(CANONICAL_REGISTRY).id is not registry(CANONICAL_REGISTRY).id
    other = CANONICAL_SUBNET.lower()
    made = subnet(other)
    assert made.id is made.id
    # A subnet named otherwise in its JSON than in its ID keeps the ID.
    renamed = subnet(CANONICAL_SUBNET, name="aks-nodes")
    assert renamed.id == CANONICAL_SUBNET and renamed.name == "aks-nodes"


def test_findings_name_the_models_they_hold_as_ids() -> None:
    held = registry(CANONICAL_REGISTRY)
    held_subnet = subnet(CANONICAL_SUBNET)
    about = Finding.about("code", Severity.INFO, "title", "detail", registry=held)
    given = Finding("code", Severity.INFO, "title", "detail", registry_id=CANONICAL_REGISTRY)
    assert about.registry_id == CANONICAL_REGISTRY and about.subnet_id is None
    assert about == given and hash(about) == hash(given)
    on_subnet = Finding.about("code", Severity.INFO, "t", "d", subnet=held_subnet)
    assert on_subnet.subnet_id == CANONICAL_SUBNET and on_subnet.registry_id is None
    verdict = PeerVerdict("tool", "check", PeerOutcome.PASS, "why")
    with_peers = about.with_peers((verdict,))
    assert with_peers.registry_id == CANONICAL_REGISTRY and with_peers.peers == (verdict,)
    assert replace(about, title="other").registry_id == CANONICAL_REGISTRY


def test_analysis_findings_carry_the_ids_as_given() -> None:
    lower = CANONICAL_REGISTRY.lower()
    open_registry = replace(registry(lower), sku="Standard")
    vnet = VirtualNetwork(
        id=CANONICAL_SUBNET.rsplit("/subnets/", 1)[0],
        name="Hub-VNet",
        resource_group="Net-RG",
        subscription_id=SUB,
        location="westus",
        subnets=(subnet(CANONICAL_SUBNET),),
    )
    inventory = Inventory(registries=(open_registry,), virtual_networks=(vnet,))
    findings = find_findings(inventory)
    assert {f.registry_id for f in findings if f.registry_id} == {lower}


@pytest.mark.parametrize(
    "login_server",
    ["contosoacr.azurecr.io", "ContosoAcr.azurecr.io", "contosoacr.azurecr.us", "", "x.example"],
)
def test_a_login_server_reads_back_exactly(login_server: str) -> None:
    made = replace(registry(CANONICAL_REGISTRY), login_server=login_server)
    assert made.login_server == login_server
    assert pickle.loads(pickle.dumps(made)).login_server == login_server


def test_a_finding_keeps_its_title_without_the_name_it_starts_with() -> None:
    held = registry(CANONICAL_REGISTRY)
    held_subnet = subnet(CANONICAL_SUBNET)
    title = "ContosoAcr: open to the internet"
    about = Finding.about("registry-open", Severity.WARNING, title, "detail", registry=held)
    on_subnet = Finding.about(
        "subnet-endpoint-unused",
        Severity.INFO,
        "Hub-VNet/AKS-Nodes: unused",
        "d",
        subnet=held_subnet,
    )
    other = Finding.about("x", Severity.INFO, "ContosoAcrX: not its name", "d", registry=held)
    for finding, whole in (
        (about, title),
        (on_subnet, "Hub-VNet/AKS-Nodes: unused"),
        (other, "ContosoAcrX: not its name"),
    ):
        assert finding.title == whole
        assert pickle.loads(pickle.dumps(finding)).title == whole
        assert copy.deepcopy(finding) == finding and copy.copy(finding).title == whole
        assert replace(finding, severity=Severity.ERROR).title == whole
        assert finding.with_peers(()).title == whole
        assert whole in repr(finding)
    assert about == Finding("registry-open", Severity.WARNING, title, "detail", CANONICAL_REGISTRY)
