"""Hostile text from the audited account: inert in every text output, exact in JSON.

Before, ESC/OSC/C1 sequences and bidi overrides in names reached the terminal, summary.txt,
CSV, Markdown and HTML raw (screen cleared, text spoofed), and CSV cells reached 279 KB.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from awsaudit.cli import VisibleFormatter, main
from awsaudit.report.csv_report import MAX_CELL
from awsaudit.untrusted.text import visible

FIXTURE = Path(__file__).parents[1] / "fixtures" / "snapshot-schema1.json.gz"
HOSTILE = (
    "evil\x1b[2J\x1b]8;;https://evil.example/\x07link\x1b]8;;\x07\x9b31m"
    "\u202egnp.exe\u2066x\u2069<script>alert(1)</script>[link=https://evil.example]x[/link]\r\nFAKE LINE"
)
FORMULA = '=HYPERLINK("https://evil.example","click")'
LONG = "x" * 300_000
RAW_CONTROLS = ("\x1b", "\x9b", "\x07", "\u202e", "\u2066", "\u2069", "\r")


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    account = next(iter(document["accounts"].values()))
    buckets = account["global"]["s3"]["buckets"]
    for bucket, name in zip(buckets, (HOSTILE, FORMULA, LONG), strict=False):
        bucket["Name"] = name
        bucket["_arn"] = f"arn:aws:s3:::{name}" if name != FORMULA else name
    assert len(buckets) >= 3
    # An error code and a gap reason the snapshot names: shown in the terminal's UNKNOWN table.
    buckets[0].pop("Acl", None)
    buckets[0].setdefault("_errors", {})["Acl"] = HOSTILE
    account["errors"].append(
        {
            "service": "s3",
            "region": "global",
            "operation": "GetBucketAcl",
            "code": HOSTILE,
            "message": HOSTILE,
        }
    )
    path = tmp_path_factory.mktemp("hostile") / "snap.json.gz"
    path.write_bytes(gzip.compress(json.dumps(document).encode()))
    out = path.parent / "out"
    result = CliRunner().invoke(
        main, ["audit", str(path), "-o", str(out), "--no-history", "--output-formats", "all"]
    )
    assert result.exit_code == 0, result.output[-3000:]
    return out, result.output


def test_the_terminal_gets_no_control_characters(audited: tuple[Path, str]) -> None:
    _, output = audited
    assert "evil" in output  # the finding is shown ...
    assert not [c for c in RAW_CONTROLS if c in output]  # ... inert
    assert "\\x1b" in output  # as escapes, nothing lost


@pytest.mark.parametrize("name", ["summary.txt", "report.md", "findings.csv", "report.html", "junit.xml"])
def test_text_outputs_get_no_control_characters(audited: tuple[Path, str], name: str) -> None:
    out, _ = audited
    text = (out / name).read_text(encoding="utf-8")
    assert "evil" in text
    found = [repr(c) for c in RAW_CONTROLS if c in text.replace("\r\n", "\n")]
    assert not found, f"{name} holds {found}"


def test_html_escapes_markup(audited: tuple[Path, str]) -> None:
    out, _ = audited
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html


def test_csv_neutralises_formulas_and_cuts_long_cells(audited: tuple[Path, str]) -> None:
    out, _ = audited
    rows = list(csv.reader(io.StringIO((out / "findings.csv").read_text(encoding="utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert any(c.startswith("'=HYPERLINK(") for c in cells)
    assert max(len(c) for c in cells) <= MAX_CELL
    assert any("characters in all; the whole value is in findings.json" in c for c in cells)


def test_json_keeps_the_exact_values(audited: tuple[Path, str]) -> None:
    out, _ = audited
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))["findings"]
    resources = {f["resource"] for f in findings}
    assert f"arn:aws:s3:::{HOSTILE}" in resources and f"arn:aws:s3:::{LONG}" in resources


def test_log_lines_are_visible_too() -> None:
    record = logging.LogRecord("awsaudit", logging.ERROR, __file__, 1, "check raised: %s", (HOSTILE,), None)
    line = VisibleFormatter("%(message)s").format(record)
    assert not [c for c in RAW_CONTROLS if c in line]


def test_visible_escapes_and_keeps_plain_text() -> None:
    assert visible("plain ümlaut ✓ 中文") == "plain ümlaut ✓ 中文"
    assert visible("a\x1b[2Jb\u202ec\nd\te") == "a\\x1b[2Jb\\u202ec\\nd\te"
    assert visible("two\nlines\r", keep_newlines=True) == "two\nlines\\r"


def test_drift_tables_are_inert() -> None:
    """`awsaudit diff` and the demo's drift print resource ARNs and types from the account."""
    from rich.console import Console  # noqa: PLC0415

    from awsaudit.cli.drift import print_drift  # noqa: PLC0415

    row = {"severity": "high", "check_id": "s3_bucket_no_public_read", "resource": HOSTILE,
           "status": "FAIL", "before": None, "message": HOSTILE}
    drift = {"account": "123456789012", "baseline": {"scan": 1, "collected_at": "2026-01-01"},
             "findings": {"new": [row], "resolved": [], "status_changed": [], "still_open": []},
             "resources": {"added": [{"type": "AWS::S3::Bucket", "arn": HOSTILE}], "removed": [],
                           "changed": [{"type": "AWS::S3::Bucket", "arn": HOSTILE, "changes": [
                               {"change": "changed", "path": "Policy", "before": HOSTILE, "after": "x"}]}]}}
    console = Console(record=True, width=400, force_terminal=False)
    print_drift(console, [drift], "Since the last audit")
    text = console.export_text()
    assert "evil" in text and "[link=https://evil.example]" in text  # shown, as text
    assert not any(c in text for c in RAW_CONTROLS)
