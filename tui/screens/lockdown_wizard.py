"""The lockdown wizard: choose the registry's subnets (and optional IP ranges and settings),
then the shared review → confirm → apply → verify → probe steps."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, Label, Select, SelectionList, Static

from services.models import Plan, Registry
from tui.actions import WizardContext, register_wizard
from tui.screens.plan_wizard import PlanWizardScreen

__all__ = ["LockdownWizardScreen"]


class LockdownWizardScreen(PlanWizardScreen):
    TITLE = "Lock down"

    def __init__(self, context: WizardContext, session: Any = None) -> None:
        super().__init__(context, session)
        self.registry: Registry | None = context.registry

    def compose_choose(self) -> ComposeResult:
        inventory = self.context.inventory
        yield Static(
            "Lock a registry down to subnets (service endpoint route — a preview Azure no longer "
            "develops; private endpoints are the supported alternative).",
            classes="hint",
        )
        premium = [r for r in inventory.registries if r.is_premium]
        yield Label("Registry")
        yield Select(
            [(r.name, r.id) for r in premium],
            id="registry",
            value=self.registry.id if self.registry and self.registry.is_premium else Select.BLANK,
            prompt="choose a Premium registry",
        )
        yield Label("Subnets whose hosts must keep pulling")
        selected = self.context.subnet.key if self.context.subnet else None
        yield SelectionList[str](
            *[(s.label, s.id, s.key == selected) for s in inventory.subnets],
            id="subnets",
        )
        yield Label("Also allow IP ranges (comma-separated, optional)")
        yield Input(id="ips", placeholder="203.0.113.0/24, 198.51.100.7")
        yield Label("Public network access")
        yield Select(
            [("keep as is", "keep"), ("enabled", "enabled"), ("disabled", "disabled")],
            id="public",
            value="keep",
            allow_blank=False,
        )
        yield Label("Trusted-services bypass")
        yield Select(
            [("keep as is", "keep"), ("azure-services", "azure-services"), ("none", "none")],
            id="bypass",
            value="keep",
            allow_blank=False,
        )

    def _choice(self, selector: str) -> str | None:
        value = self.query_one(selector, Select).value
        return None if value in ("keep", Select.BLANK) else str(value)

    async def build_plan(self, session: Any) -> Plan:
        from services.plans.inputs import (
            PlanInputError,
            check_bypass,
            check_ip_ranges,
            check_public_access,
            check_subnet_ids,
        )
        from services.plans.lockdown import LockdownRequest

        registry_id = self.query_one("#registry", Select).value
        if registry_id is Select.BLANK:
            raise PlanInputError("choose a registry")
        subnet_ids = check_subnet_ids(self.query_one("#subnets", SelectionList).selected)
        if not subnet_ids:
            raise PlanInputError("choose at least one subnet")
        ips = [v for v in self.query_one("#ips", Input).value.replace(" ", "").split(",") if v]
        request = LockdownRequest(
            str(registry_id),
            subnet_ids,
            check_ip_ranges(ips),
            check_public_access(self._choice("#public")),
            check_bypass(self._choice("#bypass")),
        )
        registry = await session.resolve_registry(str(registry_id))
        self.registry = registry
        self._subnet_ids = subnet_ids
        extras = getattr(self.context.app.services, "extras", None) or {}
        return await session.lockdown_plan(request, registry, client_ip=extras.get("public_ip"))

    def probe_target(self) -> tuple[Registry | None, str | None, bool]:
        """From a chosen subnet when this machine can stand in for it (the demo's vantages):
        expect to get in; otherwise from here, expecting the firewall to refuse."""
        if self.registry is None:
            return None, None, False
        extras = getattr(self.context.app.services, "extras", None) or {}
        vantages = {str(k).casefold(): v for k, v in (extras.get("vantages") or {}).items()}
        for subnet_id in getattr(self, "_subnet_ids", ()):
            address = vantages.get(subnet_id.casefold())
            if address:
                return self.registry, address, True
        return self.registry, None, False


register_wizard("lockdown", lambda context: LockdownWizardScreen(context))
