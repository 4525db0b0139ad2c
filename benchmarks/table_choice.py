"""Which table holds a 50,000-registry tenant: textual-fastdatatable or our line-API KeyedTable.

Each candidate runs in its own process (so memory is its own) inside a headless 120x40 app,
fed the same rows (50,000 registry rows of 8 columns, 100,000 subnet rows of 5) in batches of
1,000 as a streaming inventory delivers them. Printed per candidate and table: time to load all
rows, the longest single blocking step while loading (one batch added plus the redraw it
causes), the RSS the loaded table added, the cost of a cursor move and a page down above the
harness's own per-key cost (a key press on an empty app), filter time and sort time.

The choice: KeyedTable. A run on the shared 2-core development machine (load average near 5,
so every figure is inflated alike; ms and MB):

    harness: 45.0 ms a key press on an empty app, 66.7 ms a move in a bare 300-row DataTable
    candidate          rows   load  worst  median  call  RSS   move  page  filter  sort
    KeyedTable       50,000   3514    166      65    39  +31   18.2  18.8    148    200
    fastdatatable    50,000   7267    424     127    14  +25   33.5 159.7    361    153
    KeyedTable      100,000   6963    240      57    70  +51   19.9  23.0    382    585
    fastdatatable   100,000  18867    677     169   156  +26   36.6 157.3    421    161

(worst/median: one batch of 1,000 added and drawn; call: the add_rows call alone; move/page:
above the empty app's key press; fastdatatable also costs 27 MB of RSS importing pyarrow.)

Why: while rows stream in, fastdatatable re-measures every column of every row after each
batch, so its stall grows with the table (424 ms at 50,000 rows, 677 at 100,000); KeyedTable's
batch costs O(batch · log rows) plus a redraw of the lines on screen. A page down costs
fastdatatable 160 ms above the harness against KeyedTable's 19, and a cursor move in
KeyedTable at 50,000 rows costs less than one in Textual's own DataTable at 300. KeyedTable has
row keys (the app finds rows by resource ID; fastdatatable only by position), changes a row in
place where fastdatatable rewrites a whole column from Python, and filters without building a
new table. Arrow sorts faster (one pass in C: 153 ms against 200, 161 against 585) and holds
rows in less memory (25 MB against 31 at 50,000 rows, though pyarrow's import brings that to 52),
but a sort is a key press the user asked for, not a stall while data streams in, and pyarrow
(170 MB installed) is a dependency the app would carry for this alone.

Run: ``.venv/bin/python benchmarks/table_choice.py`` (fastdatatable is measured when
``textual-fastdatatable`` is installed: ``.venv/bin/pip install textual-fastdatatable``).
"""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import time
from pathlib import Path

BATCH = 1000
MOVES = 60
REGISTRY_COLUMNS = ("name", "findings", "sku", "default", "public", "vnet", "ip", "group")
SUBNET_COLUMNS = ("vnet", "subnet", "prefix", "acr", "other")


def registry_rows(count: int, start: int = 0, end: int | None = None) -> list:
    rows = []
    for i in range(start, count if end is None else end):
        name = f"reg{(i * 7919) % count:05d}"
        key = f"/subscriptions/s{i % 1000:04d}/resourcegroups/rg/registries/{name}"
        deny = i % 3 == 0
        cells = (
            name,
            "✓ ok" if i % 4 else "▲ 1 warn",
            "Premium" if i % 5 else "Basic",
            "■ Deny" if deny else "□ Allow",
            "on",
            str(i % 4),
            str(i % 7),
            f"acr-rg-{i % 1000}",
        )
        rows.append((key, cells))
    return rows


def subnet_rows(count: int, start: int = 0, end: int | None = None) -> list:
    rows = []
    for i in range(start, count if end is None else end):
        vnet, subnet = f"vnet{i // 10:05d}", f"snet{i % 10}"
        key = f"/subscriptions/s{i % 1000:04d}/virtualnetworks/{vnet}/subnets/{subnet}"
        acr = "✓ enabled" if i % 2 else "✗ none"
        cells = (vnet, subnet, f"10.{i % 250}.{i % 10}.0/24", acr, "-")
        rows.append((key, cells))
    return rows


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def key_cost(pilot, key: str, times: int) -> float:
    started = time.perf_counter()
    for _ in range(times):
        await pilot.press(key)
    return 1000 * (time.perf_counter() - started) / times


async def baseline() -> tuple[float, float]:
    """ms per key press on an empty app (what Pilot itself costs), and per cursor move in a
    bare 300-row Textual DataTable (benchmarks/dashboard.py's baseline: the repaint too)."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    async with App().run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        empty = await key_cost(pilot, "down", MOVES)

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row")

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("a", "b")
            table.add_rows((str(i), "x") for i in range(300))
            table.focus()

    async with Bare().run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        bare = await key_cost(pilot, "down", MOVES)
    return empty, bare


async def measure(candidate: str, kind: str, count: int) -> dict[str, float]:
    from textual.app import App, ComposeResult

    make = registry_rows if kind == "registries" else subnet_rows
    labels = REGISTRY_COLUMNS if kind == "registries" else SUBNET_COLUMNS
    before_import = rss_mb()
    if candidate == "fastdatatable":
        import pyarrow  # noqa: F401
        import textual_fastdatatable  # noqa: F401
    import_mb = rss_mb() - before_import
    needle = make(count, count - 1)[0][1][0]  # a row far past the old 1,000-row cap

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            if candidate == "fastdatatable":
                from textual_fastdatatable import DataTable

                yield DataTable(column_labels=list(labels), cursor_type="row", id="table")
            else:
                from acrfence.widgets.registry_table import RegistryTable
                from acrfence.widgets.subnet_table import SubnetTable

                yield (RegistryTable if kind == "registries" else SubnetTable)(id="table")

    figures: dict[str, float] = {"import_mb": import_mb}
    async with Host().run_test(size=(120, 40)) as pilot:
        table = pilot.app.query_one("#table")
        table.focus()
        await pilot.pause()
        gc.collect()
        before = rss_mb()
        steps: list[float] = []
        calls: list[float] = []
        started = time.perf_counter()
        for start in range(0, count, BATCH):
            # Made as the inventory delivers them: what stays is what the table keeps.
            batch = make(count, start, start + BATCH)
            step = time.perf_counter()
            if candidate == "fastdatatable":
                table.add_rows([cells for _, cells in batch])
            else:
                table.add_rows(batch)
            calls.append(time.perf_counter() - step)
            await pilot.pause()  # the redraw the batch causes
            steps.append(time.perf_counter() - step)
        figures["load_ms"] = 1000 * (time.perf_counter() - started)
        steps.sort()
        figures["worst_step_ms"] = 1000 * steps[-1]
        figures["median_step_ms"] = 1000 * steps[len(steps) // 2]
        figures["worst_call_ms"] = 1000 * max(calls)
        del batch
        rows_shown = table.row_count
        gc.collect()
        figures["rss_mb"] = rss_mb() - before
        figures["rows"] = rows_shown
        figures["move_ms"] = await key_cost(pilot, "down", MOVES)
        figures["page_ms"] = await key_cost(pilot, "pagedown", MOVES // 3)
        await pilot.press("end")
        figures["end_row"] = table.cursor_row

        started = time.perf_counter()
        if candidate == "fastdatatable":
            # No filter of its own: Arrow selects the matching rows and a new table shows them
            # (as harlequin shows a new result set).
            import pyarrow.compute as pc
            from textual_fastdatatable import ArrowBackend, DataTable

            data = table.backend.data
            masks = [
                pc.match_substring(column, needle, ignore_case=True) for column in data.columns
            ]
            mask = masks[0]
            for more in masks[1:]:
                mask = pc.or_(mask, more)
            filtered = DataTable(backend=ArrowBackend(data.filter(mask)), cursor_type="row")
            await table.remove()
            await pilot.app.mount(filtered)
            matching = filtered.row_count
            await pilot.pause()
            figures["filter_ms"] = 1000 * (time.perf_counter() - started)
            await filtered.remove()
            await pilot.app.mount(table)
            await pilot.pause()
        else:
            table.set_filter(needle)
            await pilot.pause()
            matching = table.row_count
            figures["filter_ms"] = 1000 * (time.perf_counter() - started)
            table.set_filter("")
            await pilot.pause()
        figures["filter_matches"] = matching

        started = time.perf_counter()
        if candidate == "fastdatatable":
            table.sort([(table.backend.columns[-1], "descending")])
        else:
            table.sort_by(table.COLUMNS[-1][0], descending=True)
        await pilot.pause()
        figures["sort_ms"] = 1000 * (time.perf_counter() - started)
    return figures


def child(candidate: str, kind: str, count: int) -> None:
    print(json.dumps(asyncio.run(measure(candidate, kind, count))))


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return 0
    try:
        import textual_fastdatatable  # noqa: F401

        candidates = ["KeyedTable", "fastdatatable"]
    except ImportError:
        print("textual-fastdatatable is not installed: measuring KeyedTable alone")
        candidates = ["KeyedTable"]
    base, bare = asyncio.run(baseline())
    print(
        f"harness baseline: {base:.1f} ms per key press on an empty app "
        f"({bare:.1f} ms per move in a bare 300-row DataTable); 120x40; batches of {BATCH}"
    )
    print(
        f"{'candidate':<15} {'rows':>8} {'load ms':>8} {'worst':>6} {'median':>6} {'call':>5} "
        f"{'RSS MB':>7} {'move':>5} {'page':>5} {'filter':>7} {'sort':>6}"
    )
    summary = {}
    for kind, count in (("registries", 50_000), ("subnets", 100_000)):
        for candidate in candidates:
            run = subprocess.run(
                [sys.executable, __file__, "--child", candidate, kind, str(count)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            f = json.loads(run.stdout.strip().splitlines()[-1])
            assert f["end_row"] == count - 1 and f["rows"] == count, f
            print(
                f"{candidate:<15} {count:>8,} {f['load_ms']:>8.0f} {f['worst_step_ms']:>6.0f} "
                f"{f['median_step_ms']:>6.0f} {f['worst_call_ms']:>5.0f} {f['rss_mb']:>+7.0f} "
                f"{f['move_ms'] - base:>5.1f} {f['page_ms'] - base:>5.1f} "
                f"{f['filter_ms']:>7.0f} {f['sort_ms']:>6.0f}"
                + (f"  (+{f['import_mb']:.0f} MB importing pyarrow)" if f["import_mb"] > 1 else "")
            )
            summary[(candidate, kind)] = f
    own = summary[("KeyedTable", "registries")]
    print(
        "worst/median: one batch added and drawn; call: the longest add_rows alone; "
        "move/page: ms above the empty app's key press"
    )
    print(
        f"summary: rows_big={own['rows']:.0f} worst_step_ms={own['worst_step_ms']:.0f} "
        f"move_above_baseline_ms={own['move_ms'] - base:.1f} "
        f"page_above_baseline_ms={own['page_ms'] - base:.1f} table_rss_mb={own['rss_mb']:.0f} "
        f"pilot_baseline_ms={base:.1f} datatable_move_ms={bare:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
