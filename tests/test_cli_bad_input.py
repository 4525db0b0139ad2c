"""Bad input on the command line: exactly one line, exit status 2, nothing changed in the
tenant or the journal. Each input runs `acrfence` as a child process against the emulator."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fault_api import acrfence, tenant_snapshot

from acrfence.emulator.seeds import SUB_PRODUCTION
from helpers import DOCKER_SUBNET, MYREGISTRY, cli_env, journal_runs

REG = "mycontainerregistry"
LOCK = ("lockdown", REG, "--subnet", DOCKER_SUBNET)
RUN_ID = "20260101T000000-abcdef"
# A subnet ID with a newline right after the subscription GUID (`$` used to let it through).
NEWLINE_SUBNET = DOCKER_SUBNET.replace(SUB_PRODUCTION, SUB_PRODUCTION + "\n")

# (argv, a fragment the one line must contain)
MALFORMED: list[tuple[tuple[str, ...], str]] = [
    # choices, missing values and arguments, exclusive options, unknown flags
    ((*LOCK, "--public-access", "maybe"), "--public-access must be one of enabled, disabled"),
    ((*LOCK, "--bypass", "everything"), "--bypass must be one of azure-services, none"),
    ((*LOCK, "--public-access", "ENABLED"), "--public-access must be one of"),
    (("lockdown",), "REGISTRY is required"),
    (("lockdown", "--subnet", DOCKER_SUBNET), "REGISTRY is required"),
    (("restore", REG, "--open", "--run", RUN_ID), "--run can't be used with --open"),
    (("restore", REG, "--run", RUN_ID, "--open"), "--open can't be used with --run"),
    ((*LOCK, "--bogus"), "unknown option '--bogus' (see `acrfence lockdown --help`)"),
    ((*LOCK, "-q"), "unknown option '-q'"),
    (("lockdown", REG, "--subnet"), "--subnet needs a value"),
    (("lockdown", REG, "--p", "x"), "ambiguous option: --p could match"),
    ((*LOCK, "--ip"), "--ip needs a value"),
    ((*LOCK, "--yes=1"), "--yes takes no value"),
    (("lockdown", REG, "surplus", "--subnet", DOCKER_SUBNET), "unexpected argument 'surplus'"),
    (("restore",), "REGISTRY is required"),
    (("restore", REG, "--run"), "--run needs a value"),
    (("restore", REG, "--frobnicate"), "see `acrfence restore --help`"),
    (("resume",), "RUN_ID is required"),
    (("rollback",), "RUN_ID is required"),
    (("resume", RUN_ID, "--force"), "see `acrfence resume --help`"),
    (("rollback", RUN_ID, "--dry-run"), "see `acrfence rollback --help`"),
    (("journal", "extra"), "unexpected argument 'extra'"),
    (("journal", "--json=yes"), "--json takes no value"),
    (("journal", "--verbose"), "see `acrfence journal --help`"),
    (("lockdwn", REG), "must be one of inventory"),
    (("--bogus",), "see `acrfence --help`"),
    (("-x",), "unknown option '-x'"),
    (("--read-only", "frobnicate"), "must be one of inventory"),
    (("--rehearse", "tenant.json", "lockdown", REG), "--rehearse is for the dashboard"),
    (("--reset-demo", "journal"), "--reset-demo goes with --demo or --rehearse"),
    (("--reset-demo",), "--reset-demo goes with --demo or --rehearse"),
    # numbers: non-finite, negative, out of range, not numbers
    (("inventory", "--subscription", "not-a-guid"), "--subscription must be a subscription ID"),
    (("inventory", "--subscription", SUB_PRODUCTION + "\n"), "--subscription must be"),
    (("inventory", "--subscription"), "--subscription needs a value"),
    (("findings", "--subscription", "not-a-guid"), "--subscription must be a subscription ID"),
    (("report", "--output", "r.md", "--subscription", "x"), "--subscription must be a"),
    (("inventory", "--max-in-flight", "x"), "--max-in-flight must be a whole number"),
    (("inventory", "--max-in-flight", "0"), "--max-in-flight must be 1 or more"),
    (("inventory", "--max-in-flight", "-3"), "--max-in-flight must be 1 or more"),
    (("emulator", "--port", "70000"), "--port must be a port from 0 to 65535"),
    (("emulator", "--port", "-1"), "--port must be a port from 0 to 65535"),
    (("emulator", "--port", "http"), "--port must be a port number"),
    (("emulator", "--registry-port", "99999"), "--registry-port must be a port"),
    (("emulator", "--latency-ms", "-5"), "--latency-ms must be 0 or more"),
    (("emulator", "--latency-ms", "fast"), "--latency-ms must be a whole number"),
    (("probe",), "name at least one REGISTRY"),
    (("probe", REG, "--timeout", "nan"), "--timeout must be a finite number"),
    (("probe", REG, "--timeout", "inf"), "--timeout must be a finite number"),
    (("probe", REG, "--timeout", "-1"), "--timeout must be more than 0"),
    (("probe", REG, "--timeout", "0"), "--timeout must be more than 0"),
    (("probe", REG, "--timeout", "soon"), "--timeout must be a number"),
    (("probe", REG, "--expect", "denied", "--wait", "nan"), "--wait must be a finite number"),
    (("probe", REG, "--expect", "denied", "--wait", "-5"), "--wait must be 0 or more"),
    (("probe", REG, "--expect", "denied", "--wait", "inf"), "--wait must be a finite number"),
    (("probe", REG, "--expect", "denied", "--wait", "1e400"), "--wait must be a finite number"),
    (("probe", REG, "--expect", "maybe"), "--expect must be one of reachable, denied"),
    (("probe", REG, "--wait", "5"), "--wait needs --expect"),
    (("probe", REG, "--concurrency", "0"), "--concurrency >= 1"),
    (("probe", REG, "--concurrency", "many"), "--concurrency must be a whole number"),
    (("probe", "bad name!"), "is not a registry name"),
    (("probe", REG + "\n"), "is not a registry name"),
    (("probe", REG, "--source-address", "not-an-ip"), "--source-address"),
    (("probe", REG, "--source-address", "192.0.2.77"), "is not an address of this machine"),
    (("probe", REG, "--all"), "name REGISTRY or pass --all, not both"),
    (("probe", REG, "--public-ip", "999.1.1.1"), "--public-ip"),
    (("probe", REG, "--connect-to", "garbage"), "HOST1:PORT1:HOST2:PORT2"),
    (("probe", REG, "--from-subnet", "/subscriptions/x"), "--from-subnet"),
    (("probe", REG, "--token=yes"), "--token takes no value"),
    # values the commands check before touching Azure (or that Azure says don't exist)
    (("lockdown", REG, "--yes"), "give at least one --subnet"),
    (("lockdown", REG, "--subnet", "/subscriptions/x/subnets/y", "--yes"), "malformed subnet ID"),
    (("lockdown", REG, "--subnet", NEWLINE_SUBNET, "--yes"), "malformed subnet ID"),
    (("lockdown", REG, "--subnet", DOCKER_SUBNET + "\n/x", "--yes"), "malformed subnet ID"),
    ((*LOCK, "--ip", "300.1.2.3/24", "--yes"), "malformed IP range"),
    ((*LOCK, "--ip", "2001:db8::/32", "--yes"), "IPv4 only"),
    ((*LOCK, "--ip", "", "--yes"), "malformed IP range"),
    (("lockdown", "nosuchregistry", "--subnet", DOCKER_SUBNET, "--yes"), "no registry named"),
    (("lockdown", MYREGISTRY + "\n/x", "--subnet", DOCKER_SUBNET, "--yes"), "registry"),
    (("resume", "not-a-run", "--yes"), "not a run ID"),
    (("rollback", RUN_ID + "\n", "--yes"), "not a run ID"),
    (("rollback", RUN_ID, "--yes"), "no run"),
    (("restore", REG, "--run", "not-a-run", "--yes"), "not a run ID"),
]


@pytest.fixture
def env(emulator, tmp_path: Path) -> dict[str, str]:
    return cli_env(emulator, tmp_path)


def test_there_are_at_least_fifty_malformed_inputs() -> None:
    assert len(MALFORMED) >= 50
    assert len({argv for argv, _ in MALFORMED}) == len(MALFORMED)


def test_each_malformed_input_is_one_line_exit_2_and_changes_nothing(emulator, env, tmp_path):
    before = tenant_snapshot(emulator)
    # A few children at once keep the campaign short; each is judged on its own output.
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda case: acrfence(env, *case[0], timeout=60), MALFORMED))
    problems = []
    for (argv, fragment), result in zip(MALFORMED, results, strict=True):
        lines = (result.stdout + result.stderr).strip().splitlines()
        if result.returncode != 2 or len(lines) != 1 or fragment not in lines[0]:
            problems.append(f"{argv!r}: exit {result.returncode}, output {lines!r}")
        elif not lines[0].startswith("acrfence"):
            problems.append(f"{argv!r}: the line doesn't name the command: {lines[0]!r}")
    assert not problems, "\n".join(problems)
    assert tenant_snapshot(emulator) == before
    assert journal_runs(tmp_path) == []
