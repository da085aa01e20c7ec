"""Our own JSON findings format: versioned, one object per (check, resource).

The shape is described by the JSON Schema shipped beside it (schemas/findings.schema.json).
format_version changes only on incompatible changes; consumers ignore keys they do not know.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from awsaudit.report import Report

FORMAT = "awsaudit-findings"
FORMAT_VERSION = 2
"""2: fingerprint and evidence_hash per finding; check metadata, accounts and tags stored with the scan."""


def schema() -> Any:
    """The JSON Schema of findings.json (draft 2020-12), as shipped in the package."""
    text = resources.files("awsaudit.report").joinpath("schemas/findings.schema.json").read_text("utf-8")
    return json.loads(text)


def render(report: Report) -> str:
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "scan": report.info.to_json(),
        "totals": {str(status): n for status, n in sorted(report.totals.items())},
        "coverage": [row.to_json() for row in report.coverage],
        "frameworks": [fw.to_json() for fw in report.frameworks],
        "mutelist": report.mutes.to_json() if report.mutes is not None else None,
        "findings": [f.to_json() for f in report.findings],
    }
    return json.dumps(document, indent=2, default=str) + "\n"
