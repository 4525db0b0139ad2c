"""The restore wizard: undo a journaled run of the registry (back to exactly how it was), or
open the registry (remove chosen subnet rules, default Allow, optionally the endpoints no
remaining rule needs); then the shared review → confirm → apply → verify → probe steps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import Checkbox, Label, RadioButton, RadioSet, Select, SelectionList, Static

from acrfence.services.analysis.context import subnet_label
from acrfence.services.models import Plan, Registry, RunRecord, RunState, same_resource_id
from acrfence.services.models.resource_id import resource_group_of
from acrfence.tui.actions import WizardContext
from acrfence.tui.screens.plan_wizard import PlanWizardScreen
from acrfence.tui.screens.wizard_widgets import (
    MarkedCheckbox,
    MarkedRadioButton,
    MarkedSelectionList,
)

if TYPE_CHECKING:
    from acrfence.services.plans.executor import ProgressCallback
    from acrfence.services.plans.session import PlanSession

__all__ = ["RestoreWizardScreen"]

UNDO = "undo"
OPEN = "open"


class RestoreWizardScreen(PlanWizardScreen):
    TITLE = "Restore"

    def __init__(
        self, context: WizardContext, session: PlanSession | None = None, mode: str = UNDO
    ) -> None:
        super().__init__(context, session)
        self.registry: Registry | None = context.registry
        self.mode = mode
        self._source_run: str | None = None

    def _runs(self) -> list[RunRecord]:
        if self.registry is None:
            return []
        return [
            run
            for run in reversed(self.context.app.services.journal().runs())
            if same_resource_id(run.plan.registry_id, self.registry.id)
            and run.plan.kind == "lockdown"
            and run.state is not RunState.ROLLED_BACK
            and not run.rolled_back_by
        ]

    def compose_choose(self) -> ComposeResult:
        if self.registry is None:
            yield Static("Select a registry on the dashboard first.", classes="error")
            return
        yield Static(f"Restore {self.registry.name}", classes="hint")
        with RadioSet(id="mode"):
            yield MarkedRadioButton(
                "Undo a journaled lockdown", value=self.mode == UNDO, id="mode-undo"
            )
            yield MarkedRadioButton(
                "Open: remove subnet rules, default Allow",
                value=self.mode == OPEN,
                id="mode-open",
            )
        runs = self._runs()
        yield Label("Run to undo")
        yield Select(
            [(f"{r.id} ({r.state}) {len(r.plan.steps)} steps", r.id) for r in runs],
            id="run",
            value=runs[0].id if runs else Select.NULL,
            prompt="no journaled lockdown of this registry",
        )
        yield Label("Subnet rules to remove (open)")
        yield MarkedSelectionList(
            # vnet/subnet: a full ID is cut at 80 columns before the subnet's name.
            *[
                (self._rule_label(r.subnet_id), r.subnet_id, True)
                for r in self.registry.rules.virtual_network_rules
            ],
            id="rules",
        )
        yield MarkedCheckbox(
            "Also remove the endpoint from subnets no remaining rule needs",
            id="remove-endpoints",
        )

    def _rule_label(self, subnet_id: str) -> str:
        """vnet/subnet, with the resource group when two rules would read the same."""
        label = subnet_label(subnet_id, self.context.inventory.subnet(subnet_id))
        rules = self.registry.rules.virtual_network_rules if self.registry else ()
        twins = [r for r in rules if subnet_label(r.subnet_id) == subnet_label(subnet_id)]
        if len(twins) > 1:
            label += f"  (group {resource_group_of(subnet_id) or '?'})"
        return label

    async def build_plan(self, session: PlanSession) -> Plan:
        from acrfence.services.plans.inputs import PlanInputError
        from acrfence.services.plans.restore import build_open_plan

        if self.registry is None:
            raise PlanInputError("no registry selected")
        registry = await session.resolve_registry(self.registry.id)
        self.registry = registry
        if self.query_one("#mode-undo", RadioButton).value:
            run_id = self.query_one("#run", Select).value
            if run_id is Select.NULL:
                raise PlanInputError("there is no journaled lockdown of this registry to undo")
            self._source_run = str(run_id)
            return session.undo_plan(self._source_run, kind="restore")
        self._source_run = None
        chosen = self.query_one("#rules", SelectionList).selected
        remove_endpoints = self.query_one("#remove-endpoints", Checkbox).value
        subnets = {}
        if remove_endpoints:
            subnets = await session.read_subnets(tuple(chosen))
        return build_open_plan(
            registry,
            subnet_ids=chosen,
            remove_endpoints=remove_endpoints,
            subnets=subnets,
            inventory=await session.inventory() if remove_endpoints else None,
        )

    async def execute(
        self, session: PlanSession, plan: Plan, progress: ProgressCallback
    ) -> RunRecord:
        if self._source_run:
            # Through rollback, so the undone run is marked rolled-back and a retry resumes.
            return await session.rollback(self._source_run, progress, kind="restore")
        return await session.execute(plan, progress)

    def probe_target(self) -> tuple[Registry | None, str | None, bool]:
        # Opened again: this machine should get in once the change reaches the data plane.
        return self.registry, None, True
