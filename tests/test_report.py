"""`acrfence report`: one self-contained page, opened in headless Chromium as a user would.

The report is written by the real command (a subprocess) from a JSON-seeded tenant and the
demo, both read from the emulator over HTTPS. Chromium (Debian's `chromium`) parses it
(--dump-dom) and takes a screenshot; tesseract, when installed, reads the screenshot's text
back, so the check is on what a person sees, not only on the markup.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from parity_tenant import PARITY_REGISTRIES, SUB, write_parity_seed

from acrfence.services.analysis.peers import PEER_CHECKS
from helpers import acrfence

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TESSERACT = shutil.which("tesseract")
# .ci/run installs both: there a missing browser fails the test instead of skipping it.
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="needs Debian's chromium (apt-get install -y chromium)",
)


@pytest.fixture
def parity(make_emulator, tmp_path):
    return make_emulator(seed=str(write_parity_seed(tmp_path)))


class _Text(HTMLParser):
    """The text a browser would show (no tags, no style sheet)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs) -> None:
        self._skip += tag in ("style", "script", "title")

    def handle_endtag(self, tag) -> None:
        self._skip -= tag in ("style", "script", "title")

    def handle_data(self, data) -> None:
        if not self._skip:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.parts))


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}", *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, timeout=180, check=True)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def write_report(handle, path: Path, *args: str) -> str:
    result = acrfence(handle, "report", "--output", str(path), *args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and f"wrote {path}" in result.stdout
    return path.read_text(encoding="utf-8")


def test_html_is_self_contained_with_every_section(parity, tmp_path) -> None:
    html = write_report(parity, tmp_path / "parity.html", "--profile", "all")
    # No script, no external asset: an auditor opens it anywhere, offline.
    assert "<script" not in html and "<link" not in html and "src=" not in html
    assert not re.search(r"url\(", html)
    text = _Text()
    text.feed(html)
    words = text.text
    for heading in (
        "Registries by effective access",
        "Findings by severity",
        "Findings by kind",
        "Registries: rules beside their subnets' endpoint status",
        "Peer-ID mapping",
    ):
        assert heading in words
    for name in PARITY_REGISTRIES:
        assert name in words
    for check in PEER_CHECKS:
        assert check.check_id in words
    assert "✗ endpoint missing: the rule does nothing" in words  # paritynoendpoint's rule
    assert "✓ endpoint enabled" in words  # paritypending's rule
    assert "Declared open on purpose (tag acrfence-open): paritypublic" in words
    assert "passes, yet no rule lets anyone in: nothing can pull" in words


@needs_chromium
def test_html_opens_in_headless_chromium_and_reads_back(parity, tmp_path) -> None:
    report = tmp_path / "parity.html"
    write_report(parity, report, "--profile", "azure-policy")
    dom = chromium(tmp_path, "--dump-dom", report.as_uri()).stdout.decode()
    text = _Text()
    text.feed(dom)
    words = text.text
    assert "acrfence report: tenant" in words
    assert "profile azure-policy" in words
    # The access summary: parityopen and the tagged paritypublic are open; paritypending
    # works through its subnet rule; parityprivate through its private endpoint; the rest
    # (paritylocked, paritynoendpoint, paritydark) let nobody in.
    assert "2 Open" in words and "1 Subnets only" in words
    assert "1 Private only" in words and "3 Locked out" in words
    assert "d0793b48-0edc-4296-a390-4c75d1bdfd71" in words

    shot = tmp_path / "report.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,1600", report.as_uri())
    width, height = png_size(shot.read_bytes())
    assert (width, height) == (1280, 1600)
    if TESSERACT is None and not os.environ.get("CI"):
        pytest.skip("tesseract not installed: the screenshot's text wasn't read back")
    ocr = subprocess.run(
        [TESSERACT, str(shot), "-"], capture_output=True, timeout=180, check=True
    ).stdout.decode()
    seen = re.sub(r"\s+", " ", ocr)
    for words in ("acrfence report: tenant", "Registries by effective access", "Locked out",
                  "Subnets only", "Private only", "Findings by kind"):  # fmt: skip
        assert words in seen, (words, seen[:400])


def test_markdown_and_subscription_scope(parity, tmp_path) -> None:
    markdown = write_report(parity, tmp_path / "parity.md", "--subscription", SUB)
    assert markdown.startswith("# acrfence report: subscription Parity\n")
    assert "| Open | 2 |" in markdown and "| Locked out | 3 |" in markdown
    assert "## Peer-ID mapping" in markdown
    assert "| paritylocked | Prowler | `containerregistry_network_access_restricted` | pass |" in (
        markdown
    )
    assert "registry-open" in markdown and "▲ warning" in markdown


def test_demo_report(emulator, tmp_path) -> None:
    html = write_report(emulator, tmp_path / "demo.html")
    text = _Text()
    text.feed(html)
    words = text.text
    assert "mycontainerregistry (open)" in words
    assert "contosoprivate (private only)" in words
    assert "contosolocked (locked out)" in words
    assert "contosodangling (subnets only)" in words
    assert "✗ subnet not found: the rule is dangling" in words
    assert emulator.token not in html


@pytest.mark.parametrize(
    ("output", "says"),
    [("report.txt", "name a .html or .md file"), ("missing/report.html", "doesn't exist")],
)
def test_bad_output_is_one_line_exit_2_and_writes_nothing(parity, tmp_path, output, says):
    target = tmp_path / output
    result = acrfence(parity, "report", "--output", str(target))
    assert result.returncode == 2 and says in result.stderr
    assert result.stderr.count("\n") == 1 and not target.exists()
