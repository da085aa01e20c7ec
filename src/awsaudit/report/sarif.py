"""SARIF 2.1.0: a rule per check, a result per (check, resource), for SARIF viewers and pipelines.

Results have no files to point at, so each carries a logical location (the resource ARN).
Statuses map onto SARIF's result kinds: FAIL -> fail (level by severity), PASS -> pass,
UNKNOWN -> open ("could not determine"), MANUAL -> review ("needs a human"), MUTED -> fail
with an accepted external suppression carrying the mute reason. SARIF requires level "none"
for every kind but fail.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from awsaudit.model import Severity, Status

if TYPE_CHECKING:
    from awsaudit.model import Finding, Json
    from awsaudit.report.scan_result import CheckMeta, ScanResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
KIND = {
    Status.FAIL: "fail",
    Status.MUTED: "fail",
    Status.PASS: "pass",
    Status.UNKNOWN: "open",
    Status.MANUAL: "review",
}
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
"""GitHub's code-scanning scale (0-10) for the rule's `security-severity` property."""


def _rule(check: CheckMeta) -> Json:
    remediation = check.remediation
    help_text = "\n".join(
        [check.rationale, "", *(f"- {step}" for step in remediation.console)]
        + ([f"\nAWS CLI:\n{remediation.cli}"] if remediation.cli else [])
        + ([f"\nTerraform:\n{remediation.terraform}"] if remediation.terraform else [])
    ).strip()
    return {
        "id": check.id,
        "name": "".join(part.title() for part in check.id.split("_")),
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": check.rationale or check.title},
        "help": {"text": help_text or check.title},
        "defaultConfiguration": {"level": LEVEL[check.severity]},
        "properties": {
            "tags": ["security", check.area, str(check.objective)],
            "security-severity": SECURITY_SEVERITY[check.severity],
            "precision": "high",
        },
    }


def _result(f: Finding, index: int) -> Json:
    kind = KIND[f.status]
    result: dict[str, Any] = {
        "ruleId": f.check_id,
        "ruleIndex": index,
        "kind": kind,
        "level": LEVEL[f.severity] if kind == "fail" else "none",
        "message": {"text": f"{f.message} ({f.resource})"},
        "locations": [
            {
                "logicalLocations": [
                    {
                        "fullyQualifiedName": f.resource,
                        "name": f.resource.rsplit("/", 1)[-1],
                        "kind": "resource",
                    }
                ]
            }
        ],
        "partialFingerprints": {"awsauditFinding/v2": f.fingerprint},
        "properties": {
            "status": str(f.status),
            "severity": str(f.severity),
            "account": f.account,
            "region": f.region,
            "controls": {fw: list(ids) for fw, ids in f.controls.items()},
            "evidence": f.evidence,
            "evidence_hash": f.evidence_hash,
        },
    }
    if f.status is Status.MUTED:
        mute = f.mute or {}
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": str(mute.get("reason", ""))}
        ]
    return result


def render(report: ScanResult) -> str:
    used = sorted({f.check_id for f in report.findings} & report.checks.keys())
    index = {check_id: i for i, check_id in enumerate(used)}
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "awsaudit",
                        "version": report.info.tool_version,
                        "rules": [_rule(report.checks[c]) for c in used],
                    }
                },
                "invocations": [{"executionSuccessful": True, "endTimeUtc": report.info.evaluated_at}],
                "results": [_result(f, index[f.check_id]) for f in report.findings if f.check_id in index],
                "properties": {"scan": report.info.to_json()},
            }
        ],
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, default=str) + "\n"
