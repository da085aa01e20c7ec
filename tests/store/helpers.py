"""Scan records for store tests, built from real Findings (no AWS)."""

from __future__ import annotations

from awsaudit.model import Finding, Objective, Severity, Status
from awsaudit.report.scan_result import ScanResult, scan_result

ACCOUNT = "123456789012"


def finding(check: str, status: Status, resource: str = "arn:aws:s3:::b", evidence: object = None,
            account: str = ACCOUNT) -> Finding:
    return Finding(check_id=check, title=check.replace("_", " "), status=status, severity=Severity.HIGH,
                   objective=Objective.CONFIDENTIALITY, message=f"{check} is {status}", account=account,
                   region="global", resource=resource, evidence=evidence, area="s3")


def scan(findings: list[Finding], collected_at: str = "2026-05-01T08:00:00+00:00",
         accounts: tuple[str, ...] = (ACCOUNT,)) -> ScanResult:
    snap = {"tool_version": "test", "collected_at": collected_at,
            "accounts": {a: {"account_id": a, "home_region": "eu-west-1"} for a in accounts}}
    return scan_result(snap, findings, "test", collected_at)
