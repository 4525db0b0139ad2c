"""`acrfence report --output FILE.html|FILE.md`: one self-contained page people can hand on.

    acrfence report --output acr.html                          # the whole tenant
    acrfence report --output prod.md --subscription SUB_ID     # one subscription, as Markdown

The format follows the file's extension. Exit codes: 0 written; 2 bad input (one line,
nothing read or written); 3 Azure refused or couldn't be reached (one line).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from acrfence.tui.commands._audit import (
    BadInput,
    add_profile_option,
    load_profile,
    read_inventory,
    scope_of,
)
from acrfence.tui.commands.exit_codes import Exit

HELP = "write an HTML or Markdown report: access summary, findings, rules, auditor IDs"

_FORMATS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output", required=True, metavar="FILE", help="FILE.html or FILE.md (by extension)"
    )
    add_profile_option(parser)


def _check_output(text: str) -> tuple[Path, str]:
    path = Path(text)
    kind = _FORMATS.get(path.suffix.casefold())
    if kind is None:
        raise BadInput(f"--output {text!r}: name a .html or .md file")
    if not path.parent.is_dir():
        raise BadInput(f"--output {text!r}: directory {str(path.parent)!r} doesn't exist")
    return path, kind


def run(args: argparse.Namespace) -> int:
    from acrfence.services.report import build_report
    from acrfence.services.report.html import render_html
    from acrfence.services.report.markdown import render_markdown

    try:
        path, kind = _check_output(args.output)
        profile = load_profile(args)
        inventory = read_inventory(args, "report")
        if inventory is None:
            return Exit.AZURE_REFUSED
    except BadInput as error:
        print(f"acrfence report: {error}", file=sys.stderr)
        return Exit.BAD_INPUT
    data = build_report(inventory, profile, scope=scope_of(inventory, args.subscription))
    text = render_html(data) if kind == "html" else render_markdown(data)
    # Written whole to a temporary file then renamed, so a reader never sees half a report.
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        print(f"acrfence report: can't write {path}: {error.strerror or error}", file=sys.stderr)
        return Exit.BAD_INPUT
    counts = data.severity_counts()
    summary = ", ".join(f"{n} {severity}" for severity, n in counts.items())
    print(f"wrote {path} ({len(data.registries)} registries; {summary})")
    return Exit.OK
