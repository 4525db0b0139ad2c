"""The probe wizard: which registries, from where, with or without a token; stages tick live.

The screen is given what it works with (the inventory, the target's connect-to and CA bundle,
an optional token provider, the demo's subnet vantages); it never builds Azure clients. The
probe runs in one worker that posts a message per stage and per finished registry; handlers
update the table by row key. Actions on a verdict are messages the app routes: a lockdown
offer when a registry is open though its rules say it shouldn't be, and an IP rule offer for
the client IP a firewall refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Select,
    Static,
)
from textual.worker import Worker, WorkerState

from acrfence.services.models import Inventory, ProbeResult, Registry, Stage, StageResult
from acrfence.services.probe.options import ProbeOptions
from acrfence.services.probe.runner import ProbeEvent, ProbeRunner
from acrfence.services.probe.wording import path_line, probe_advice, verdict_words
from acrfence.tui.screens.probe_offers import offers_lockdown, open_lockdown
from acrfence.tui.screens.probe_setup import ProbeSetup, Vantage, address_rule, setup_from_services
from acrfence.tui.screens.wizard_widgets import (
    MarkedCheckbox,
    MarkedRadioButton,
    shadow_dashboard_keys,
)

if TYPE_CHECKING:
    from acrfence.tui.actions import WizardContext

__all__ = ["ProbeSetup", "ProbeWizardScreen", "Vantage", "setup_from_services"]

STAGE_COLUMNS = (Stage.DNS, Stage.TCP, Stage.TLS, Stage.CHALLENGE, Stage.TOKEN)
THIS_MACHINE = "here"
CONNECT_TO = "connect-to"


class ProbeWizardScreen(Screen[None]):
    """Choose, run, read, act."""

    CSS_PATH = "probe_wizard.tcss"
    BINDINGS = [
        Binding("ctrl+r", "run_probe", "Run", id="probe.run"),
        Binding("l", "offer_lockdown", "Lock down", id="probe.lockdown", show=False),
        Binding("i", "offer_ip_rule", "IP rule", id="probe.ip_rule", show=False),
        Binding("escape", "close", "Back", id="probe.close"),
        *shadow_dashboard_keys("l"),
    ]

    @dataclass
    class StageTicked(Message):
        event: ProbeEvent

    @dataclass
    class RegistryProbed(Message):
        result: ProbeResult

    @dataclass
    class LockdownRequested(Message):
        """The user took the offer to lock a registry down that its rules say should be closed."""

        registry_id: str

    @dataclass
    class IpRuleRequested(Message):
        """The user took the offer to allow the client IP the firewall refused."""

        registry_id: str
        client_ip: str
        source_address: str | None = None  # where the probe ran from (None: this machine)

    def __init__(
        self,
        inventory: Inventory,
        *,
        registries: Sequence[Registry] = (),
        setup: ProbeSetup | None = None,
        show_timings: bool = True,
        autostart: bool = False,
        context: WizardContext | None = None,
    ) -> None:
        super().__init__()
        self.inventory = inventory
        self.selected = tuple(registries)
        self.setup = setup or ProbeSetup()
        # Timings vary run to run; a snapshot test turns them off to stay deterministic.
        self.show_timings = show_timings
        # A quick probe (the dashboard key, the end of the lockdown wizard) runs at once.
        self.autostart = autostart and bool(self.selected)
        # Opened from the app: offers open the lockdown wizard; without it they only post.
        self.context = context
        self._source_address: str | None = None
        self._options_subnet: str | None = None
        self.results: dict[str, ProbeResult] = {}
        self._order: list[str] = []
        self._login: dict[str, str] = {}

    # ----- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="probe-choices"):
            with Vertical(classes="choice"):
                yield Label("Registries")
                with RadioSet(id="probe-scope"):
                    names = ", ".join(r.name for r in self.selected) or "none selected"
                    yield MarkedRadioButton(
                        f"Selected ({names})", value=bool(self.selected), id="scope-selected"
                    )
                    yield MarkedRadioButton("Matching the filter", id="scope-filter")
                    yield MarkedRadioButton(
                        f"All ({len(self.inventory.registries)})",
                        value=not self.selected,
                        id="scope-all",
                    )
                yield Input(placeholder="filter: part of a name", id="probe-filter")
            with Vertical(classes="choice"):
                yield Label("From")
                yield Select(
                    self._from_options(), value=THIS_MACHINE, allow_blank=False, id="probe-from"
                )
                yield Input(placeholder="connect to IP or IP:PORT", id="probe-address")
                yield MarkedCheckbox(
                    "Signed in (token, catalog)",  # fits its column at 80 wide
                    value=False,
                    disabled=self.setup.token_provider is None,
                    id="probe-token",
                )
                yield Button("Run probe", variant="primary", id="probe-run")
        yield DataTable(id="probe-results", cursor_type="row", zebra_stripes=True)
        yield Static("Choose registries and where from, then run the probe.", id="probe-explain")
        yield Footer()

    def _from_options(self) -> list[tuple[str, str]]:
        options = [("This machine", THIS_MACHINE), ("An address (--connect-to)", CONNECT_TO)]
        options += [(v.label, f"vantage:{i}") for i, v in enumerate(self.setup.vantages)]
        return options

    def on_mount(self) -> None:
        self.title = "Probe"
        self.sub_title = "who can reach a registry, and why"
        table = self.query_one("#probe-results", DataTable)
        table.add_column("Registry", key="registry")
        for stage in STAGE_COLUMNS:
            table.add_column(str(stage), key=str(stage))
        table.add_column("Verdict", key="verdict")
        table.add_column("Client IP", key="client_ip")
        self.query_one("#probe-address", Input).display = False
        if self.autostart:
            self.call_after_refresh(self.action_run_probe)

    @on(Select.Changed, "#probe-from")
    def _from_changed(self, event: Select.Changed) -> None:
        self.query_one("#probe-address", Input).display = event.value == CONNECT_TO

    @on(Input.Changed, "#probe-filter")
    def _filter_typed(self) -> None:
        self.query_one("#scope-filter", RadioButton).value = True

    # ----- choosing -----------------------------------------------------------------------

    def chosen_registries(self) -> list[Registry]:
        pressed = self.query_one("#probe-scope", RadioSet).pressed_button
        scope = pressed.id if pressed is not None else "scope-all"
        if scope == "scope-selected":
            return list(self.selected)
        if scope == "scope-filter":
            text = self.query_one("#probe-filter", Input).value.strip().casefold()
            return _by_name(r for r in self.inventory.registries if text in r.name.casefold())
        return _by_name(self.inventory.registries)

    def probe_options(self) -> ProbeOptions:
        """Options for the choices made; raises ValueError (one line) for a bad address."""
        setup = self.setup
        options = setup.options()
        where = str(self.query_one("#probe-from", Select).value)
        if where == CONNECT_TO:
            options = replace(
                options, connect_to=(address_rule(self._address()), *setup.connect_to)
            )
        elif where.startswith("vantage:"):
            vantage = setup.vantages[int(where.split(":", 1)[1])]
            options = replace(
                options, source_address=vantage.source_address, subnet_id=vantage.subnet_id
            )
        if self.query_one("#probe-token", Checkbox).value:
            options = replace(options, token_provider=setup.token_provider)
        return options

    def _address(self) -> str:
        return self.query_one("#probe-address", Input).value.strip()

    # ----- running ------------------------------------------------------------------------

    @on(Button.Pressed, "#probe-run")
    def action_run_probe(self) -> None:
        registries = self.chosen_registries()
        if not registries:
            self.notify("No registry matches: choose one, a filter, or all.", severity="warning")
            return
        try:
            options = self.probe_options()
        except ValueError as error:
            self.notify(str(error), title="Can't probe", severity="error", markup=False)
            return
        self._reset_table(registries)
        self._source_address = options.source_address
        self._options_subnet = options.subnet_id
        self.query_one("#probe-explain", Static).update(
            f"Probing {len(registries)} registr{'y' if len(registries) == 1 else 'ies'}..."
        )
        self.run_probe(registries, options)

    def _reset_table(self, registries: Sequence[Registry]) -> None:
        table = self.query_one("#probe-results", DataTable)
        table.clear()
        self.results.clear()
        self._order = [r.name for r in registries]
        self._login = {r.name: r.login_server for r in registries}
        for registry in registries:
            cells = [registry.name, *("·" for _ in STAGE_COLUMNS), "probing", ""]
            table.add_row(*cells, key=registry.name)

    @work(exclusive=True, group="probe", exit_on_error=False)
    async def run_probe(self, registries: list[Registry], options: ProbeOptions) -> None:
        runner = ProbeRunner(options, self.inventory)

        def tick(event: ProbeEvent) -> None:
            self.post_message(self.StageTicked(event))

        async for _index, result in runner.iter_probes(registries, tick):
            self.post_message(self.RegistryProbed(result))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.notify(
                f"{type(error).__name__}: {error}",
                title="Probe failed",
                severity="error",
                markup=False,
            )
        elif event.state is WorkerState.SUCCESS:
            self._show_explanation()
        elif event.state is WorkerState.CANCELLED:
            self.query_one("#probe-explain", Static).update("Probe cancelled.")

    @on(StageTicked)
    def _stage_ticked(self, message: StageTicked) -> None:
        event = message.event
        # Data endpoints tick too, but the table shows the login server's stages.
        if event.stage not in STAGE_COLUMNS or self._login.get(event.registry_name) != event.host:
            return
        table = self.query_one("#probe-results", DataTable)
        if event.registry_name in self._order:
            table.update_cell(
                event.registry_name, str(event.stage), self._cell(event.result), update_width=True
            )

    def _cell(self, result: StageResult | None) -> str:
        if result is None:
            return "…"
        mark = "✓" if result.ok else "✗"
        return f"{mark} {result.elapsed_ms:.0f}ms" if self.show_timings else mark

    @on(RegistryProbed)
    def _registry_probed(self, message: RegistryProbed) -> None:
        result = message.result
        self.results[result.registry_name] = result
        table = self.query_one("#probe-results", DataTable)
        if result.registry_name not in self._order:
            return
        login = result.hosts[0]
        ran = {stage.stage: stage for stage in login.stages}
        for stage in STAGE_COLUMNS:
            cell = self._cell(ran[stage]) if stage in ran else "-"
            table.update_cell(result.registry_name, str(stage), cell, update_width=True)
        table.update_cell(
            result.registry_name, "verdict", verdict_words(result.verdict), update_width=True
        )
        table.update_cell(
            result.registry_name, "client_ip", result.client_ip or "", update_width=True
        )
        self._show_explanation()

    # ----- reading and acting -------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#probe-results")
    def _row_highlighted(self) -> None:
        self._show_explanation()

    def current_result(self) -> ProbeResult | None:
        table = self.query_one("#probe-results", DataTable)
        if not self._order or table.cursor_row < 0 or table.cursor_row >= len(self._order):
            return None
        return self.results.get(self._order[table.cursor_row])

    def _show_explanation(self) -> None:
        result = self.current_result()
        panel = self.query_one("#probe-explain", Static)
        if result is None:
            return
        lines = [
            f"[b]{result.registry_name}[/b]: {verdict_words(result.verdict)} at "
            f"{result.decided_at} "
            f"({result.decided_host})",
            escape(result.detail),
        ]
        if result.explanation:
            lines.append(escape(result.explanation))
        if (path := path_line(result)) is not None:
            lines.append(escape(path))
        # The same advice as `acrfence probe`, following the journal's record of what the
        # operator intends (a lockdown still in force is never offered to be undone).
        advice = probe_advice(
            result, self._locked_down_by(result), from_subnet=self._options_subnet is not None
        )
        offers = []
        if advice is not None and advice.offer == "lockdown":
            offers.append("[b]l[/b] lock it down")
        elif advice is not None and advice.offer == "ip-rule":
            offers.append(f"[b]i[/b] {escape(advice.text)}")
        elif advice is not None:
            lines.append(escape(advice.text))
        if offers and self.context is not None and self.context.read_only:
            offers = []  # read-only: no change is offered (and the keys refuse)
        if offers:
            lines.append("Next: " + ";  ".join(offers))
        panel.update("\n".join(lines))

    def _locked_down_by(self, result: ProbeResult) -> str | None:
        """The journaled lockdown of this registry still in force, if any."""
        services = getattr(getattr(self.context, "app", None), "services", None)
        if services is None or result.registry_id is None:
            return None
        try:
            run = services.journal().latest_lockdown(result.registry_id)
        except Exception:  # an unreadable journal only makes the advice less specific
            return None
        return run.id if run else None

    def action_offer_lockdown(self) -> None:
        result = self.current_result()
        if result is None or not offers_lockdown(result) or result.registry_id is None:
            self.notify("Lock down is offered for a registry open against its rules.")
            return
        self.post_message(self.LockdownRequested(result.registry_id))

    def action_offer_ip_rule(self) -> None:
        result = self.current_result()
        if result is None or not result.client_ip or result.registry_id is None:
            self.notify("An IP rule is offered for a client IP the firewall denied.")
            return
        locked_down_by = self._locked_down_by(result)
        if locked_down_by:
            # Denied is what the operator's lockdown asked for: don't help undo it by reflex.
            self.notify(
                f"{result.registry_name} was locked down (run {locked_down_by}): being denied "
                "from here is the lockdown working. Add IP rules from the lockdown wizard (l)."
            )
            return
        self.post_message(
            self.IpRuleRequested(result.registry_id, result.client_ip, self._source_address)
        )

    # ----- the offers, taken: the lockdown wizard, on the same plan → confirm → verify path ---

    @on(LockdownRequested)
    def _lockdown_requested(self, message: LockdownRequested) -> None:
        self._open_lockdown(message, message.registry_id)

    @on(IpRuleRequested)
    def _ip_rule_requested(self, message: IpRuleRequested) -> None:
        # A /32 for the refused address, no subnet change; the probe at the end runs from where
        # this one was refused and must now get in.
        self._open_lockdown(
            message,
            message.registry_id,
            ip_ranges=(f"{message.client_ip}/32",),
            probe_from=message.source_address,
        )

    def _open_lockdown(self, message: Message, registry_id: str, **preset: object) -> None:
        if self.context is None:
            return  # not opened from the app: the message goes on to whoever hosts the screen
        message.stop()
        open_lockdown(self.context, registry_id, **preset)

    def action_close(self) -> None:
        self.workers.cancel_group(self, "probe")
        self.dismiss()

    def action_ignore_key(self) -> None:
        """A dashboard key pressed on the probe wizard: nothing to do here."""


def _by_name(registries: Iterable[Registry]) -> list[Registry]:
    # Inventory order depends on which subscription answered first; names read better.
    return sorted(registries, key=lambda r: (r.name.casefold(), r.id.casefold()))


def probe_wizard(context: WizardContext) -> ProbeWizardScreen:
    """The probe wizard for the dashboard's selection, set up from the app's services."""
    selected = (context.registry,) if context.registry is not None else ()
    return ProbeWizardScreen(
        context.inventory,
        registries=selected,
        setup=setup_from_services(context.app.services),
        context=context,
    )
