"""OCSF 1.5 Detection Finding (class 2004): a JSON list of events, one per (check, resource).

The mapping: activity Create (type_uid 200401); severity_id from our severity; status_id New,
or Suppressed (3) for a MUTED finding; status_code carries our status (PASS, FAIL, UNKNOWN,
MANUAL, MUTED) and status_detail the check's message; finding_info.uid is the finding's
fingerprint (stable across scans); cloud.account is the AWS account (type_id 10); the resource
keeps its ARN and the evidence in `data` (its hash in `unmapped`); remediation.desc holds the
console steps and the CLI with the real names. What OCSF has no attribute for (check id, area,
objective, framework controls, mute) sits in `unmapped`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from awsaudit.model import Severity, Status
from awsaudit.report import json_array
from awsaudit.report.asff import resource_type
from awsaudit.report.remediation import filled

if TYPE_CHECKING:
    from awsaudit.model import Finding, Json
    from awsaudit.report.scan_result import ScanResult

OCSF_VERSION = "1.5.0"
CLASS_UID = 2004
ACTIVITY_CREATE = 1
SEVERITY_ID = {
    Severity.INFO: (1, "Informational"),
    Severity.LOW: (2, "Low"),
    Severity.MEDIUM: (3, "Medium"),
    Severity.HIGH: (4, "High"),
    Severity.CRITICAL: (5, "Critical"),
}
STATUS_NEW = (1, "New")
STATUS_SUPPRESSED = (3, "Suppressed")
AWS_ACCOUNT_TYPE_ID = 10


def epoch_ms(iso: str) -> int:
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        moment = dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


def _event(f: Finding, report: ScanResult, when: int) -> Json:
    severity_id, severity = SEVERITY_ID[f.severity]
    status_id, status = STATUS_SUPPRESSED if f.status is Status.MUTED else STATUS_NEW
    check = report.checks.get(f.check_id)
    parts = f.resource.split(":", 5)
    partition = parts[1] if len(parts) == 6 else "aws"
    event: Json = {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Detection Finding: Create",
        "time": when,
        "severity_id": severity_id,
        "severity": severity,
        "status_id": status_id,
        "status": status,
        "status_code": str(f.status),
        "status_detail": f.message,
        "message": f.message,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "awsaudit", "vendor_name": "awsaudit", "version": report.info.tool_version},
            "event_code": f.check_id,
            "profiles": ["cloud"],
        },
        "finding_info": {
            "uid": f.fingerprint,
            "title": f.title,
            "desc": check.rationale if check and check.rationale else f.title,
            "types": [f.area or "other"],
            "created_time": when,
        },
        "cloud": {
            "provider": "AWS",
            "account": {
                "uid": f.account,
                "name": f.account,
                "type": "AWS Account",
                "type_id": AWS_ACCOUNT_TYPE_ID,
            },
            **({"region": f.region} if f.region != "global" else {}),
        },
        "resources": [
            {
                "uid": f.resource,
                "name": f.resource.rsplit("/", 1)[-1].rsplit(":", 1)[-1],
                "type": resource_type(f.resource),
                "cloud_partition": partition,
                "region": f.region,
                "data": {"evidence": f.evidence},
            }
        ],
        "unmapped": {
            "check_id": f.check_id,
            "area": f.area,
            "objective": str(f.objective),
            "controls": {fw: list(ids) for fw, ids in f.controls.items()},
            "mute": f.mute,
            "evidence_hash": f.evidence_hash,
        },
    }
    if check is not None and f.status is not Status.PASS:
        fix = filled(check.remediation, f)
        desc = "\n".join([*fix.console, *([f"AWS CLI: {fix.cli}"] if fix.cli else [])])
        if desc:
            event["remediation"] = {"desc": desc}
    return event


def render(report: ScanResult) -> str:
    when = epoch_ms(report.info.evaluated_at)
    return json_array(_event(f, report, when) for f in report.findings)
