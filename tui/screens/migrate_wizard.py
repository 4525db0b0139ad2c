"""The migration wizard (key ``m``): move a registry from service endpoint rules to a private
endpoint, on the plan API of services.plans.migrate (the same plan ``acrfence migrate``
builds), then the shared review → confirm → apply → verify steps.

Choices: the endpoint subnet (one; filtered by typing, each row with its prefix and free
addresses), the networks to link the DNS zone to (prefilled with the networks that pull
today: those of the subnets the rules name), the zone's resource group, and whether to disable
public access last. The plan, with its ``az`` commands, is shown before anything runs.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Checkbox, Input, Label, Select, SelectionList, Static

from acrfence.services.models import (
    RESERVED_ADDRESSES_PER_SUBNET,
    Plan,
    Registry,
    Subnet,
    VirtualNetwork,
    normalize_resource_id,
)
from acrfence.tui.actions import WizardContext
from acrfence.tui.screens.plan_wizard import PlanWizardScreen
from acrfence.tui.screens.wizard_widgets import (
    ListFilterInput,
    MarkedCheckbox,
    MarkedSelectionList,
    premium_registry_select,
)

if TYPE_CHECKING:
    from acrfence.services.plans.session import PlanSession

__all__ = ["MigrateWizardScreen"]


class MigrateWizardScreen(PlanWizardScreen):
    TITLE = "Migrate to a private endpoint"
    CSS_PATH = ["plan_wizard.tcss", "migrate_wizard.tcss"]
    CHOOSE_HINTS = {
        "registry": "Registry: enter opens the list, ↑↓ choose, enter picks",
        "subnet-filter": "Filter: part of the endpoint subnet's name or prefix",
        "pe-subnets": "Endpoint subnet: ↑↓ move · space picks [x] (one)",
        "link-vnets": "Networks to link: ↑↓ move · space toggles [x]",
        "zone-group": "Resource group of a new zone (blank: the registry's)",
        "disable-public": "Disable public access last: space toggles",
        "bypass": "Bypass once public access is off: enter, ↑↓ choose",
        "remove-endpoints": "Remove ACR endpoints no rule needs: space toggles",
    }

    def __init__(self, context: WizardContext, session: PlanSession | None = None) -> None:
        super().__init__(context, session)
        self.registry: Registry | None = context.registry
        # The chosen endpoint subnet: the one the user came from when it has no rule role.
        self.pe_subnet: Subnet | None = context.subnet
        self.linked: dict[str, str] = {}  # vnet key -> vnet ID
        self.pulling: frozenset[str] = frozenset()  # the rules' networks: always linked
        self._prefill_links()

    # ---- choose ------------------------------------------------------------------------------

    def compose_choose(self) -> ComposeResult:
        yield Static(
            "Zone and links first, then the endpoint; the rules go only once every network "
            "that pulls resolves to it.",
            classes="hint",
        )
        with Horizontal(classes="field"):
            yield Label("Registry")
            yield premium_registry_select(self.context.inventory.registries, self.registry)
        with Horizontal(classes="field"):
            yield Label("Endpoint in")
            yield ListFilterInput(
                "pe-subnets", id="subnet-filter", placeholder="type to filter subnets", compact=True
            )
        yield MarkedSelectionList(id="pe-subnets")
        yield Static("", id="pe-chosen", markup=False)
        yield Label("Link the DNS zone to (the networks that pull are ticked)")
        yield MarkedSelectionList(id="link-vnets")
        with Horizontal(classes="field"):
            yield Label("DNS zone in")
            yield Input(id="zone-group", placeholder="registry's resource group", compact=True)
        yield MarkedCheckbox("Disable public access last (verify the internet is refused)",
                             id="disable-public")  # fmt: skip
        with Horizontal(classes="field"):
            yield Label("Bypass")
            yield Select(
                [("keep as is", "keep"), ("azure-services", "azure-services"), ("none", "none")],
                id="bypass", value="keep", allow_blank=False, compact=True, classes="narrow",
            )  # fmt: skip
        yield MarkedCheckbox("Also remove service endpoints no rule needs", id="remove-endpoints")

    def on_mount(self) -> None:
        super().on_mount()
        if not self.context.read_only:  # refused: already dismissed
            self._fill_subnets()
            self._fill_vnets()
            start = "#subnet-filter" if self.registry and self.registry.is_premium else "#registry"
            self.query_one(start).focus()

    # ---- the endpoint subnet -----------------------------------------------------------------

    def _prefill_links(self) -> None:
        from acrfence.services.plans.migrate import pulling_networks

        self.linked = {}
        if self.registry is not None:
            for vnet_id in pulling_networks(self.registry):
                self.linked[normalize_resource_id(vnet_id)] = vnet_id
        self.pulling = frozenset(self.linked)

    def _free(self, subnet: Subnet) -> int | None:
        """Addresses the subnet can still hand out, as far as the inventory knows."""
        if not subnet.address_prefixes:
            return None
        try:
            size = ipaddress.ip_network(subnet.address_prefixes[0], strict=False).num_addresses
        except ValueError:
            return None
        used = sum(
            max(endpoint.address_count, 1)
            for endpoint in self.context.inventory.private_endpoints
            if endpoint.subnet_key == subnet.key
        )
        return max(0, size - RESERVED_ADDRESSES_PER_SUBNET - used)

    def _subnet_prompt(self, subnet: Subnet) -> str:
        notes = [", ".join(subnet.address_prefixes) or "no prefix"]
        free = self._free(subnet)
        if free is not None:
            notes.append(f"{free} free")
        if subnet.delegations:
            notes.append("delegated")
        if self.registry is not None and any(
            r.key == subnet.key for r in self.registry.rules.virtual_network_rules
        ):
            notes.append("has a rule")
        return f"{subnet.label}  ·  " + " · ".join(notes)

    def _subnet_order(self) -> list[Subnet]:
        """The registry's subscription first, subnets already holding endpoints, then name."""
        registry = self.registry

        def key(subnet: Subnet) -> tuple[bool, bool, bool, str]:
            chosen = self.pe_subnet is not None and subnet.key == self.pe_subnet.key
            same = registry is not None and (
                subnet.subscription_id.casefold() == registry.subscription_id.casefold()
            )
            return (not chosen, not same, not subnet.private_endpoint_ids, subnet.label.casefold())

        return sorted(self.context.inventory.subnets, key=key)

    def _fill_subnets(self) -> None:
        text = self.query_one("#subnet-filter", Input).value.strip().casefold()
        listing = self.query_one("#pe-subnets", MarkedSelectionList)
        listing.clear_options()
        chosen = self.pe_subnet.key if self.pe_subnet is not None else None
        listing.add_options(
            (self._subnet_prompt(s), s.id, s.key == chosen)
            for s in self._subnet_order()
            if not text or text in self._subnet_prompt(s).casefold()
        )
        if listing.option_count:
            listing.highlighted = 0
        self._show_pe_chosen(no_match=text if not listing.option_count else None)

    def _show_pe_chosen(self, no_match: str | None = None) -> None:
        missing = f"No subnet matches {no_match!r}. " if no_match else ""
        label = self.pe_subnet.label if self.pe_subnet is not None else "none"
        self.query_one("#pe-chosen", Static).update(f"{missing}Endpoint subnet: {label}")

    @on(Input.Changed, "#subnet-filter")
    def _filter_changed(self) -> None:
        self._fill_subnets()

    @on(Input.Submitted, "#subnet-filter")
    def _filter_submitted(self) -> None:
        self.query_one("#pe-subnets", MarkedSelectionList).focus()

    @on(SelectionList.SelectionToggled, "#pe-subnets")
    def _subnet_toggled(self, event: SelectionList.SelectionToggled) -> None:
        """One endpoint subnet: picking one unpicks the other."""
        listing = event.selection_list
        subnet_id = str(event.selection.value)
        if subnet_id in listing.selected:
            self.pe_subnet = self.context.inventory.subnet(subnet_id)
            with listing.prevent(SelectionList.SelectedChanged):
                for other in list(listing.selected):
                    if other != subnet_id:
                        listing.deselect(other)
            if self.pe_subnet is not None:
                # Hosts beside the endpoint resolve through the zone only when it is linked
                # to their network too (untick it if none pull from there).
                key = normalize_resource_id(self.pe_subnet.virtual_network_id)
                links = self.query_one("#link-vnets", MarkedSelectionList)
                for index in range(links.option_count):
                    value = str(links.get_option_at_index(index).value)
                    if normalize_resource_id(value) == key:
                        self.linked.setdefault(key, value)
                        links.select(value)
        else:
            self.pe_subnet = None
        self._show_pe_chosen()

    # ---- networks to link --------------------------------------------------------------------

    def _vnet_order(self) -> list[VirtualNetwork]:
        return sorted(
            self.context.inventory.virtual_networks,
            key=lambda v: (v.key not in self.linked, v.name.casefold(), v.key),
        )

    def _fill_vnets(self) -> None:
        listing = self.query_one("#link-vnets", MarkedSelectionList)
        listing.clear_options()
        known = {v.key for v in self.context.inventory.virtual_networks}
        options = [
            (
                f"{v.name}  ·  {'pulls (rule)' if v.key in self.pulling else v.resource_group}",
                v.id,
                v.key in self.linked,
            )
            for v in self._vnet_order()
        ]
        # A network the rules name but this identity can't read is still linked (by ID).
        options += [
            (f"{vnet_id.rsplit('/', 1)[-1]}  ·  not readable", vnet_id, True)
            for key, vnet_id in self.linked.items()
            if key not in known
        ]
        listing.add_options(options)
        if listing.option_count:
            listing.highlighted = 0

    @on(SelectionList.SelectionToggled, "#link-vnets")
    def _link_toggled(self, event: SelectionList.SelectionToggled) -> None:
        listing = event.selection_list
        vnet_id = str(event.selection.value)
        key = normalize_resource_id(vnet_id)
        if vnet_id in listing.selected:
            self.linked[key] = vnet_id
        elif key in self.pulling:
            # A network that pulls through a rule today must resolve to the endpoint before
            # its rule goes: the plan always links it.
            listing.select(vnet_id)
            self.app.notify("A network that pulls through a rule is always linked.")
        else:
            self.linked.pop(key, None)

    @on(Select.Changed, "#registry")
    def _registry_changed(self, event: Select.Changed) -> None:
        if event.value is Select.NULL:
            return
        self.registry = self.context.inventory.registry(str(event.value))
        self._prefill_links()
        self._fill_subnets()
        self._fill_vnets()

    # ---- plan --------------------------------------------------------------------------------

    async def build_plan(self, session: PlanSession) -> Plan:
        from acrfence.services.plans.inputs import (
            PlanInputError,
            check_bypass,
            check_resource_group,
            check_vnet_ids,
        )
        from acrfence.services.plans.migrate import MigrateRequest, pulling_networks

        registry_id = self.query_one("#registry", Select).value
        if registry_id is Select.NULL:
            raise PlanInputError("choose a registry")
        if self.pe_subnet is None:
            raise PlanInputError("choose the subnet the private endpoint goes in (space picks)")
        disable = self.query_one("#disable-public", Checkbox).value
        bypass_value = self.query_one("#bypass", Select).value
        bypass = check_bypass(None if bypass_value in ("keep", Select.NULL) else str(bypass_value))
        zone_group = check_resource_group(
            self.query_one("#zone-group", Input).value.strip() or None
        )
        registry = await session.resolve_registry(str(registry_id))
        self.registry = registry
        # The rules' networks are linked by the plan itself; the others are asked for.
        ruled = {normalize_resource_id(v) for v in pulling_networks(registry)}
        extra = [v for k, v in self.linked.items() if k not in ruled]
        request = MigrateRequest(
            registry_id=registry.id,
            pe_subnet_id=self.pe_subnet.id,
            link_vnet_ids=check_vnet_ids(extra),
            zone_resource_group=zone_group,
            disable_public_access=disable,
            bypass=bypass if disable else None,
            remove_service_endpoints=self.query_one("#remove-endpoints", Checkbox).value,
        )
        return await session.migration_plan(
            request, registry, client_ip=self.context.app.services.public_ip
        )
