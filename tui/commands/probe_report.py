"""Probe results as a plain-text table or JSON, for the command line (no Textual here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from acrfence.services.models import ProbeExpectation, ProbeResult
from acrfence.services.probe.wording import (
    EXPECT_MET,
    Advice,
    expectation_status,
    path_line,
    verdict_words,
)

__all__ = ["result_to_json", "render_table"]


def result_to_json(
    result: ProbeResult, expectation: ProbeExpectation | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "registry": result.registry_name,
        "registry_id": result.registry_id,
        "login_server": result.login_server,
        "verdict": str(result.verdict),
        "decided_at": str(result.decided_at),
        "decided_host": result.decided_host,
        "detail": result.detail,
        "client_ip": result.client_ip,
        "explanation": result.explanation,
        "image": result.image,
        "elapsed_ms": round(result.elapsed_ms, 2),
        "hosts": [
            {
                "host": host.host,
                "role": host.role,
                "addresses": list(host.addresses),
                "verdict": str(host.verdict),
                "decided_at": str(host.decided_at),
                "client_ip": host.client_ip,
                "dns_chain": list(host.dns_chain),
                "path": str(host.path) if host.path else None,
                "stages": [
                    {
                        "stage": str(stage.stage),
                        "ok": stage.ok,
                        "elapsed_ms": stage.elapsed_ms,
                        "status": stage.status,
                        "detail": stage.detail,
                    }
                    for stage in host.stages
                ],
            }
            for host in result.hosts
        ],
    }
    data["path"] = str(result.path) if result.path else None
    data["verdict_words"] = verdict_words(result.verdict)
    data["rules_disagree"] = result.rules_disagree
    if expectation is not None:
        status = expectation_status(result, expectation)
        data["expected"] = str(expectation)
        data["matches"] = result.matches(expectation)
        data["expectation"] = status
        data["expectation_met"] = status == EXPECT_MET
    return data


def render_table(
    results: Sequence[ProbeResult],
    expectation: ProbeExpectation | None = None,
    advice: Mapping[str, Advice] | None = None,
) -> str:
    """One row per registry, then each registry's explanation indented below the table."""
    header = ["REGISTRY", "VERDICT", "AT", "CLIENT IP", "MS", "DETAIL"]
    if expectation is not None:
        header.insert(2, f"EXPECT {str(expectation).upper()}")
    rows = []
    for result in results:
        row = [
            result.registry_name,
            verdict_words(result.verdict),
            f"{result.decided_at}" + ("" if result.decided_host == result.login_server else "*"),
            result.client_ip or "-",
            f"{result.elapsed_ms:.0f}",
            result.detail,
        ]
        if expectation is not None:
            row.insert(2, expectation_status(result, expectation))
        rows.append(row)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, str(row[-1])]).rstrip())
    notes = [f"  {r.registry_name}: {r.explanation}" for r in results if r.explanation]
    notes += [f"  {r.registry_name}: {line}" for r in results if (line := path_line(r))]
    for name, item in (advice or {}).items():
        notes.append(f"  {name}: {'next: ' if item.offer else ''}{item.text}")
    if any(r.decided_host != r.login_server for r in results):
        notes.append("  * decided at a data endpoint host, not the login server")
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)
