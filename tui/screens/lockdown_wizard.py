"""The lockdown wizard: choose the registry's subnets (and optional IP ranges and settings),
then the shared review → confirm → apply → verify → probe steps.

The subnet list is filtered by typing (the demo tenant has 100+ subnets) and sorted so the
registry's own subscription comes first; each row shows its prefix and whether the ACR endpoint
is already on. What is chosen is kept here, so filtering never drops a choice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label, Select, SelectionList, Static

from acrfence.services.analysis.context import subnet_label
from acrfence.services.models import Plan, Registry, Subnet, normalize_resource_id, same_resource_id
from acrfence.services.plans.checks import any_rule_admits
from acrfence.tui.actions import WizardContext
from acrfence.tui.screens.plan_wizard import PlanWizardScreen, ProbeTarget
from acrfence.tui.screens.probe_setup import setup_from_services
from acrfence.tui.screens.wizard_widgets import (
    ListFilterInput,
    MarkedSelectionList,
    premium_registry_select,
)

if TYPE_CHECKING:
    from acrfence.services.plans.session import PlanSession

__all__ = ["LockdownWizardScreen"]

CHOSEN_SHOWN = 3


class LockdownWizardScreen(PlanWizardScreen):
    TITLE = "Lock down"
    CHOOSE_HINTS = {
        "registry": "Registry: enter opens the list, ↑↓ choose, enter picks",
        "subnet-filter": "Filter: type part of a subnet's name or prefix",
        "subnets": "Subnets: ↑↓ move · space toggles [x]",
        "ips": "IP ranges: comma-separated CIDRs or IPs (optional)",
        "public": "Public access: enter opens, ↑↓ choose",
        "bypass": "Trusted services: enter opens, ↑↓ choose",
        "tasks-bypass": "ACR Tasks through the firewall: enter opens, ↑↓ choose",
    }

    def __init__(
        self,
        context: WizardContext,
        session: PlanSession | None = None,
        *,
        ip_ranges: tuple[str, ...] = (),
        probe_from: str | None = None,
    ) -> None:
        super().__init__(context, session)
        self.registry: Registry | None = context.registry
        self.preset_ips = ip_ranges
        # Where a probe should get in once the plan's IP rule is in place (the probe wizard's
        # vantage whose client IP was refused); None: this machine.
        self.probe_from = probe_from
        self.chosen: dict[str, Subnet] = {}
        if context.subnet is not None and not ip_ranges:
            self.chosen[context.subnet.key] = context.subnet
        self._subnet_ids: tuple[str, ...] = ()
        self._ip_ranges: tuple[str, ...] = ()

    # ---- choose ------------------------------------------------------------------------------

    def compose_choose(self) -> ComposeResult:
        yield Static(
            "ACR service endpoints are a preview (not in the stable API); Microsoft recommends "
            "private endpoints.",
            classes="hint",
        )
        yield Static("", id="unfinished", classes="error", markup=False)
        with Horizontal(classes="field"):
            yield Label("Registry")
            yield premium_registry_select(self.context.inventory.registries, self.registry)
        with Horizontal(classes="field"):
            yield Label("Subnets")
            yield ListFilterInput(
                "subnets", id="subnet-filter", placeholder="type to filter subnets", compact=True
            )
        yield MarkedSelectionList(id="subnets")
        yield Static("", id="chosen", markup=False)
        with Horizontal(classes="field"):
            yield Label("Also allow IP")
            yield Input(
                ", ".join(self.preset_ips),
                id="ips",
                placeholder="203.0.113.0/24, 198.51.100.7 (optional)",
                compact=True,
            )
        with Horizontal(classes="field"):
            yield Label("Public access")
            yield Select(
                [("keep as is", "keep"), ("enabled", "enabled"), ("disabled", "disabled")],
                id="public", value="keep", allow_blank=False, compact=True, classes="narrow",
            )  # fmt: skip
            yield Label("Bypass")
            yield Select(
                [("keep as is", "keep"), ("azure-services", "azure-services"), ("none", "none")],
                id="bypass", value="keep", allow_blank=False, compact=True, classes="narrow",
            )  # fmt: skip
        with Horizontal(classes="field"):
            # networkRuleBypassAllowedForTasks: off by default, and tasks then get 403.
            yield Label("ACR Tasks")
            yield Select(
                [("keep as is", "keep"), ("allow", "allow"), ("deny", "deny")],
                id="tasks-bypass", value="keep", allow_blank=False, compact=True,
                classes="narrow",
            )  # fmt: skip

    def on_mount(self) -> None:
        super().on_mount()
        if not self.context.read_only:  # refused: already dismissed
            self._fill_subnets()
            self._show_unfinished()
            start = "#subnet-filter" if self.registry and self.registry.is_premium else "#registry"
            self.query_one("#ips" if self.preset_ips else start).focus()

    def subnet_order(self) -> list[Subnet]:
        """The registry's own subscription (and region) first, then by name."""
        registry = self.registry
        locations = {v.key: v.location for v in self.context.inventory.virtual_networks}

        def key(subnet: Subnet) -> tuple:
            if registry is None:
                return (subnet.label.casefold(),)
            ruled = any(r.key == subnet.key for r in registry.rules.virtual_network_rules)
            return (
                subnet.key not in self.chosen and not ruled,
                subnet.subscription_id.casefold() != registry.subscription_id.casefold(),
                locations.get(normalize_resource_id(subnet.virtual_network_id))
                != registry.location,
                subnet.label.casefold(),
            )

        return sorted(self.context.inventory.subnets, key=key)

    def _prompt(self, subnet: Subnet) -> str:
        registry = self.registry
        ruled = registry is not None and any(
            r.key == subnet.key for r in registry.rules.virtual_network_rules
        )
        notes = [", ".join(subnet.address_prefixes) or "no prefix"]
        notes.append("endpoint on" if subnet.has_acr_endpoint else "endpoint off")
        if ruled:
            notes.append("has a rule")
        return f"{subnet.label}  ·  " + " · ".join(notes)

    def _fill_subnets(self) -> None:
        text = self.query_one("#subnet-filter", Input).value.strip().casefold()
        listing = self.query_one("#subnets", MarkedSelectionList)
        listing.clear_options()
        listing.add_options(
            (self._prompt(s), s.id, s.key in self.chosen)
            for s in self.subnet_order()
            if not text or text in self._prompt(s).casefold()
        )
        if listing.option_count:
            listing.highlighted = 0  # so space toggles at once, and the › shows where
        self._show_chosen(no_match=text if not listing.option_count else None)

    def _show_chosen(self, no_match: str | None = None) -> None:
        labels = [s.label for s in self.chosen.values()]
        more = f" +{len(labels) - CHOSEN_SHOWN} more" if len(labels) > CHOSEN_SHOWN else ""
        shown = ", ".join(labels[:CHOSEN_SHOWN]) or "none"
        # An empty list says why, instead of looking like a tenant without subnets.
        missing = f"No subnet matches {no_match!r}. " if no_match else ""
        self.query_one("#chosen", Static).update(f"{missing}Chosen ({len(labels)}): {shown}{more}")

    @on(Input.Changed, "#subnet-filter")
    def _filter_changed(self) -> None:
        self._fill_subnets()

    @on(Input.Submitted, "#subnet-filter")
    def _filter_submitted(self) -> None:
        self.query_one("#subnets", MarkedSelectionList).focus()

    @on(SelectionList.SelectionToggled, "#subnets")
    def _toggled(self, event: SelectionList.SelectionToggled) -> None:
        subnet_id = str(event.selection.value)
        key = normalize_resource_id(subnet_id)
        if subnet_id in event.selection_list.selected:
            subnet = self.context.inventory.subnet(subnet_id)
            if subnet is not None:
                self.chosen[key] = subnet
        else:
            self.chosen.pop(key, None)
        self._show_chosen()

    @on(Select.Changed, "#registry")
    def _registry_changed(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL:
            self.registry = self.context.inventory.registry(str(event.value))
            self._fill_subnets()
            self._show_unfinished()

    def _show_unfinished(self) -> None:
        """Say so before planning when the registry has a run left halfway: a new lockdown
        plans from the current, half-changed state, and the old run stays to be finished."""
        notice = self.query_one("#unfinished", Static)
        runs = []
        if self.registry is not None:
            try:
                journal = self.context.app.services.journal()
                runs = [r for r in journal.unfinished()
                        if same_resource_id(r.plan.registry_id, self.registry.id)]  # fmt: skip
            except OSError:
                runs = []
        notice.display = bool(runs)
        if runs:
            ids = ", ".join(r.id for r in runs)
            notice.update(
                f"⚠ {self.registry.name} has an unfinished {runs[-1].plan.kind} (run {ids}): "
                "resume or roll it back first (Esc, then R for the runs view); a new plan "
                "starts from the half-changed state."
            )

    # ---- plan --------------------------------------------------------------------------------

    def _choice(self, selector: str) -> str | None:
        value = self.query_one(selector, Select).value
        return None if value in ("keep", Select.NULL) else str(value)

    async def build_plan(self, session: PlanSession) -> Plan:
        from acrfence.services.plans.inputs import (
            PlanInputError,
            check_bypass,
            check_ip_ranges,
            check_public_access,
            check_subnet_ids,
            check_tasks_bypass,
        )
        from acrfence.services.plans.lockdown import LockdownRequest

        registry_id = self.query_one("#registry", Select).value
        if registry_id is Select.NULL:
            raise PlanInputError("choose a registry")
        subnet_ids = check_subnet_ids(s.id for s in self.chosen.values())
        ips = [v for v in self.query_one("#ips", Input).value.replace(" ", "").split(",") if v]
        ip_ranges = check_ip_ranges(ips)
        if not subnet_ids and not ip_ranges:
            raise PlanInputError("choose at least one subnet (space toggles) or an IP range")
        request = LockdownRequest(
            str(registry_id),
            subnet_ids,
            ip_ranges,
            check_public_access(self._choice("#public")),
            check_bypass(self._choice("#bypass")),
            check_tasks_bypass(self._choice("#tasks-bypass")),
        )
        registry = await session.resolve_registry(str(registry_id))
        self.registry = registry
        self._subnet_ids = subnet_ids
        self._ip_ranges = ip_ranges
        return await session.lockdown_plan(request, registry, client_ip=self._public_ip())

    def _public_ip(self) -> str | None:
        return self.context.app.services.public_ip

    # ---- probe at the end --------------------------------------------------------------------

    def probe_targets(self) -> list[ProbeTarget]:
        """From this machine (refused, unless an IP rule now covers it) and from every chosen
        subnet this machine can stand in for (the demo's vantages), which must get in."""
        if self.registry is None:
            return []
        # The registry keeps the IP rules it had; the lockdown adds the chosen ranges.
        ranges = [*(r.value for r in self.registry.rules.ip_rules), *self._ip_ranges]
        public_ip = self._public_ip()
        here_allowed = public_ip is not None and any_rule_admits(public_ip, ranges)
        targets = [ProbeTarget(self.registry, None, here_allowed, "this machine")]
        if self.probe_from:
            targets.append(ProbeTarget(self.registry, self.probe_from, True, f"{self.probe_from}"))
        setup = setup_from_services(self.context.app.services)
        for subnet_id in self._subnet_ids:
            vantage = setup.vantage_for(subnet_id)
            if vantage is not None and vantage.source_address:
                address = vantage.source_address
                where = f"{subnet_label(subnet_id)} ({address})"
                targets.append(ProbeTarget(self.registry, address, True, where))
        return targets
