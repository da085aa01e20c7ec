"""The HTML report's "Internet exposure" section, fed by the findings' reachability evidence."""

from __future__ import annotations

import dataclasses

from awsaudit.model import Finding, Objective, Severity, Status
from awsaudit.report.exposure import exposure_rows
from awsaudit.report.html import render
from awsaudit.report.scan_result import ScanResult

HOSTILE = "<img src=x onerror=alert(1)>"


def _finding(state: str, severity: Severity, resource: str) -> Finding:
    verdict = {"interface": "eni-1", "resource": resource, "address": "54.1.2.3", "protocol": "tcp",
               "port": 22, "family": "IPv4", "reachable": state == "reachable",
               "path": [{"hop": "address", "id": "eni-1", "detail": "public IPv4 54.1.2.3"},
                        {"hop": "internet gateway", "id": "igw-1", "detail": "attached"},
                        {"hop": "route table", "id": "rtb-1", "detail": "0.0.0.0/0 -> igw-1"}],
               "blocked_by": None if state == "reachable" else
               {"hop": "route table", "id": "rtb-2", "detail": "no route to an internet gateway"}}
    return Finding("ec2_sg_no_public_ssh", "SSH", Status.FAIL, severity, Objective.CONFIDENTIALITY, "open",
                   "123456789012", "eu-west-1",
                   f"arn:aws:ec2:eu-west-1:123456789012:security-group/sg-{state}",
                   evidence={"GroupName": f"g-{state}", "reachability": {state: [verdict]}}, area="network")


def test_rows_come_from_the_evidence_reachable_first() -> None:
    rows = exposure_rows([_finding("blocked", Severity.MEDIUM, "db-1"),
                          _finding("reachable", Severity.CRITICAL, "bastion-1")])
    assert [(r["state"], r["resource"], r["severity"]) for r in rows] == [
        ("reachable", "bastion-1", "critical"), ("blocked", "db-1", "medium")]
    assert rows[0]["path"] == "igw-1 -> rtb-1"
    assert rows[1]["path"] == "route table rtb-2: no route to an internet gateway"


def test_section_is_rendered_escaped_and_only_when_there_is_something(report: ScanResult) -> None:
    assert 'id="exposure"' not in render(dataclasses.replace(report, findings=[]))
    html = render(dataclasses.replace(report, findings=[_finding("reachable", Severity.CRITICAL, HOSTILE)]))
    assert '<section id="exposure">' in html
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
