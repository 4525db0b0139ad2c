"""Layout at 80x24 (issue 8): nothing is cut or wrapped back to column 1 — the plan, the
steps of a change, the restore wizard's rules and the resume prompt. Pilot on the emulator."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Button, DataTable, Input, SelectionList

from acrfence.services.models import Plan, RunRecord, RunState, Step, StepKind, StepRecord
from acrfence.services.models.resource_id import id_segment
from acrfence.tui.actions import WizardContext
from acrfence.tui.screens.lockdown_wizard import LockdownWizardScreen
from acrfence.tui.screens.restore_wizard import OPEN, RestoreWizardScreen
from acrfence.tui.screens.resume_prompt import RESUME, ResumePromptScreen
from helpers import DOCKER_SUBNET, MYREGISTRY, static_text, until, wizard_app

SIZE = (80, 24)


def shown_lines(widget) -> list[str]:
    return [widget.render_line(y).text for y in range(widget.size.height)]


async def test_the_plan_wraps_under_each_line_start(emulator, tmp_path, monkeypatch):
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: not app.data.loading and app.data.inventory.registries)
        inventory = app.data.inventory
        registry, subnet = inventory.registry(MYREGISTRY), inventory.subnet(DOCKER_SUBNET)
        screen = LockdownWizardScreen(WizardContext(app, inventory, registry, subnet, False))
        app.push_screen(screen)
        await pilot.pause()
        screen.query_one("#make-plan", Button).press()
        await until(pilot, lambda: screen.plan is not None)
        await pilot.pause()
        plain = static_text(screen, "#plan-text")
        starts = [line for line in plain.splitlines() if line and not line[0].isspace()]
        lines = [line.rstrip() for line in shown_lines(screen.query_one("#plan-text"))]
        # A wrapped line continues indented; only a line of the plan starts at column 1.
        for line in lines:
            if line and not line[0].isspace():
                assert any(start.startswith(line) for start in starts), line
        # The subnet rule reads as vnet/subnet (the az command beside it keeps the full ID).
        assert any(line.strip() == "+ myDockerVMVNET/myDockerVMSubnet" for line in lines)
        # The registry's ID reads as its group and subscription, not three lines cut mid-word.
        assert any(line.strip().startswith("in myResourceGroup, subscription ") for line in lines)
        header = [line for line in lines if line.strip()][:3]
        assert not any("/providers/" in line for line in header), header

        # Apply: every step's title shows whole (wrapped, not cut at the edge).
        screen.query_one("#confirm", Input).value = "mycontainerregistry"
        await pilot.pause()
        screen.query_one("#apply", Button).press()
        await until(pilot, lambda: "Applied" in static_text(screen, "#outcome"))
        await pilot.pause()
        shown = " ".join(" ".join(shown_lines(screen.query_one("#steps"))).split())
        for step in screen.plan.steps:
            for word in step.title.split():
                assert word in shown, (word, step.title)


async def test_the_restore_wizard_names_each_rule_by_its_subnet(emulator, tmp_path, monkeypatch):
    app = wizard_app(emulator, tmp_path, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: not app.data.loading and app.data.inventory.registries)
        inventory = app.data.inventory
        registry = next(r for r in inventory.registries if r.name == "contosodangling")
        context = WizardContext(app, inventory, registry, None, False)
        screen = RestoreWizardScreen(context, mode=OPEN)
        app.push_screen(screen)
        await pilot.pause()
        rules = screen.query_one("#rules", SelectionList)
        shown = "\n".join(shown_lines(rules))
        for rule in registry.rules.virtual_network_rules:
            vnet = id_segment(rule.subnet_id, "virtualNetworks")
            assert f"{vnet}/{id_segment(rule.subnet_id, 'subnets')}" in shown, shown
        # The values stay the full IDs: the plan is built from them.
        assert sorted(rules.selected) == sorted(
            r.subnet_id for r in registry.rules.virtual_network_rules
        )


async def test_the_resume_prompt_shows_every_column_at_80_columns():
    step = Step(1, StepKind.WRITE_RULES, MYREGISTRY, "write the rule set")
    plan = Plan("lockdown", MYREGISTRY, "mycontainerregistry", steps=(step,))
    run = RunRecord("20261202T144512-a1b2c3", plan, RunState.ROLLED_BACK, (StepRecord(index=1),))

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(ResumePromptScreen([run]))

    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#runs", DataTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert "rolled back" in "\n".join(shown_lines(table))


async def test_enter_on_an_interrupted_run_goes_to_resume():
    step = Step(1, StepKind.WRITE_RULES, MYREGISTRY, "write the rule set")
    plan = Plan("lockdown", MYREGISTRY, "mycontainerregistry", steps=(step,))
    run = RunRecord("20261202T144512-a1b2c3", plan, RunState.FAILED, (StepRecord(index=1),))
    chosen: list[object] = []

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(ResumePromptScreen([run]), chosen.append)

    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # on the run: did nothing
        assert app.focused is app.screen.query_one("#resume")
        await pilot.press("enter")
        await pilot.pause()
    assert chosen == [(RESUME, run)]
