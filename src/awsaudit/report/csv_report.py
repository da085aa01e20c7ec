"""CSV: one row per finding, for spreadsheets.

UTF-8 with a byte-order mark so Excel detects the encoding; RFC 4180 quoting (newlines inside
cells are kept, quoted). A cell from the account that begins with `=`, `+`, `-`, `@`, tab or
carriage return is prefixed with `'`, so a resource named `=HYPERLINK(...)` stays text in a
spreadsheet instead of becoming a formula (CSV injection). Control and bidi characters are shown
as their escapes (untrusted.text.visible), and a cell longer than MAX_CELL characters is cut with
a marker (spreadsheets cut cells at 32,767 characters; findings.json keeps the whole value).
remediation_cli (with the real names) is filled for every finding but PASS.
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

from awsaudit.model import Status
from awsaudit.report.remediation import filled
from awsaudit.untrusted.text import visible

if TYPE_CHECKING:
    from awsaudit.model import Finding
    from awsaudit.report.scan_result import ScanResult

COLUMNS = (
    "status",
    "severity",
    "check_id",
    "title",
    "area",
    "objective",
    "account",
    "region",
    "resource",
    "message",
    "controls",
    "mute_reason",
    "mute_owner",
    "mute_expires",
    "evidence",
    "remediation_cli",
    "fingerprint",
    "evidence_hash",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL = 32_000
"""Below Excel's and LibreOffice's 32,767-character cell limit, with room for the marker."""


def safe_cell(value: str) -> str:
    value = visible(value, keep_newlines=True)
    if len(value) > MAX_CELL:
        marker = f" … [cut: {len(value):,} characters in all; the whole value is in findings.json]"
        value = value[: MAX_CELL - len(marker)] + marker
    return "'" + value if value.startswith(FORMULA_START) else value


def row(finding: Finding, report: ScanResult) -> list[str]:
    check = report.checks.get(finding.check_id)
    mute = finding.mute or {}
    cells = [
        str(finding.status),
        str(finding.severity),
        finding.check_id,
        finding.title,
        finding.area,
        str(finding.objective),
        finding.account,
        finding.region,
        finding.resource,
        finding.message,
        "; ".join(f"{fw} {', '.join(ids)}" for fw, ids in sorted(finding.controls.items())),
        str(mute.get("reason") or ""),
        str(mute.get("owner") or ""),
        str(mute.get("expires") or ""),
        "" if finding.evidence is None else json.dumps(finding.evidence, sort_keys=True, default=str),
        filled(check.remediation, finding).cli if check and finding.status is not Status.PASS else "",
        finding.fingerprint,
        finding.evidence_hash,
    ]
    return [safe_cell(cell) for cell in cells]


def render(report: ScanResult) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for finding in report.findings:
        writer.writerow(row(finding, report))
    return buffer.getvalue()
