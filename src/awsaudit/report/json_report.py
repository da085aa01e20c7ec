"""Our own JSON findings format: versioned, one object per (check, resource).

The shape is described by the JSON Schema shipped beside it (schemas/findings.schema.json).
format_version changes only on incompatible changes; consumers ignore keys they do not know.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from awsaudit.errors import InputError
from awsaudit.untrusted import limits

if TYPE_CHECKING:
    from awsaudit.report.scan_result import ScanResult

FORMAT = "awsaudit-findings"
FORMAT_VERSION = 2
"""2: fingerprint and evidence_hash per finding; check metadata, accounts and tags stored with the scan."""


def schema() -> Any:
    """The JSON Schema of findings.json (draft 2020-12), as shipped in the package."""
    text = resources.files("awsaudit.report").joinpath("schemas/findings.schema.json").read_text("utf-8")
    return json.loads(text)


def render(report: ScanResult) -> str:
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "scan": report.info.to_json(),
        "totals": {str(status): n for status, n in sorted(report.totals.items())},
        "coverage": [row.to_json() for row in report.coverage],
        "frameworks": [fw.to_json() for fw in report.frameworks],
        "mutelist": report.mutes.to_json() if report.mutes is not None else None,
        "checks": [meta.to_json() for _, meta in sorted(report.checks.items())],
        "framework_definitions": report.framework_definitions,
        "accounts": [account.to_json() for account in report.accounts],
        "findings": [f.to_json() for f in report.findings],
    }
    if report.left_out:  # an Organization scan's accounts without findings, and why
        document["accounts_not_assessed"] = [a.to_json() for a in report.left_out]
    if report.history is not None:  # only with a history store, so re-rendering keeps the section
        document["history"] = report.history
    return json.dumps(document, indent=2, default=str) + "\n"


def load(path: Path) -> ScanResult:
    """The scan record of a findings.json, for re-rendering; an unusable file is an InputError (exit 2).

    Version 1 files are refused: they hold no check metadata, and rendering them with the
    installed release's titles and remediation would misreport the old scan.
    """
    from awsaudit.report.scan_result import from_json  # noqa: PLC0415

    try:
        document = limits.loads(limits.read_bytes(path, "findings.json", limits.record_limit()))
    except (OSError, ValueError) as exc:  # UnicodeDecodeError, JSONDecodeError, NestingTooDeepError
        raise InputError(f"{path}: cannot read findings: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InputError(f"{path}: not an awsaudit findings.json (no \"format\": \"{FORMAT}\")")
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise InputError(
            f"{path}: findings format_version {version!r}; this release re-renders version "
            f"{FORMAT_VERSION} (re-run `awsaudit audit` on the scan's snapshot.json.gz instead)"
        )
    try:
        return from_json(document)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: malformed findings.json: {type(exc).__name__}: {exc}") from None
