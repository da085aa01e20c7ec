"""Our own JSON findings format: versioned, one object per (check, resource)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from awsaudit.model import Finding, Json
from awsaudit.report.coverage import coverage

if TYPE_CHECKING:
    from awsaudit.report import ScanInfo

FORMAT_VERSION = 1


def render(info: ScanInfo, findings: list[Finding], snap: Json | None = None) -> str:
    from awsaudit.report import status_counts  # noqa: PLC0415 - avoids an import cycle

    counts = status_counts(findings)
    document = {
        "format": "awsaudit-findings",
        "format_version": FORMAT_VERSION,
        "scan": info.to_json(),
        "totals": {str(status): counts.get(status, 0) for status in sorted(counts)},
        "coverage": [row.to_json() for row in coverage(snap, findings)] if snap is not None else [],
        "findings": [f.to_json() for f in findings],
    }
    return json.dumps(document, indent=2, sort_keys=False, default=str) + "\n"
