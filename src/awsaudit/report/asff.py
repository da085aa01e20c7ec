"""AWS Security Finding Format (ASFF): a JSON list of findings for Security Hub's BatchImportFindings.

Each finding is filed under the account's own custom-integration product
(`arn:<partition>:securityhub:<region>:<account>:product/<account>/default`), in its region;
account-wide ("global") findings go to the account's home region. Ids carry the finding's
fingerprint (check, account, region, resource), so a re-import updates the same finding. Status
mapping: PASS -> PASSED (workflow RESOLVED), FAIL -> FAILED, UNKNOWN -> NOT_AVAILABLE (could
not be checked), MANUAL -> WARNING, MUTED -> FAILED with workflow SUPPRESSED and the mute
reason as a note. Text fields are cut to Security Hub's documented limits. BatchImportFindings
takes 100 findings per call.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from awsaudit.model import Severity, Status
from awsaudit.report import json_array
from awsaudit.report.remediation import filled

if TYPE_CHECKING:
    from awsaudit.model import Finding, Json
    from awsaudit.report.scan_result import ScanResult

SCHEMA_VERSION = "2018-10-08"
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
FALLBACK_REGION = "us-east-1"
LABEL = {
    Severity.CRITICAL: "CRITICAL",
    Severity.HIGH: "HIGH",
    Severity.MEDIUM: "MEDIUM",
    Severity.LOW: "LOW",
    Severity.INFO: "INFORMATIONAL",
}
COMPLIANCE = {
    Status.PASS: "PASSED",
    Status.FAIL: "FAILED",
    Status.MUTED: "FAILED",
    Status.UNKNOWN: "NOT_AVAILABLE",
    Status.MANUAL: "WARNING",
}
WORKFLOW = {Status.PASS: "RESOLVED", Status.MUTED: "SUPPRESSED"}
RESOURCE_TYPES = {
    ("iam", "user"): "AwsIamUser",
    ("iam", "role"): "AwsIamRole",
    ("iam", "group"): "AwsIamGroup",
    ("iam", "policy"): "AwsIamPolicy",
    ("iam", "root"): "AwsAccount",
    ("ec2", "security-group"): "AwsEc2SecurityGroup",
    ("ec2", "vpc"): "AwsEc2Vpc",
    ("ec2", "subnet"): "AwsEc2Subnet",
    ("ec2", "instance"): "AwsEc2Instance",
    ("ec2", "network-acl"): "AwsEc2NetworkAcl",
    ("ec2", "volume"): "AwsEc2Volume",
    ("s3", ""): "AwsS3Bucket",
    ("s3", "account"): "AwsAccount",
    ("cloudtrail", "trail"): "AwsCloudTrailTrail",
    ("kms", "key"): "AwsKmsKey",
    ("rds", "db"): "AwsRdsDbInstance",
    ("rds", "cluster"): "AwsRdsDbCluster",
    ("sns", ""): "AwsSnsTopic",
}
"""(ARN service, resource type) -> ASFF resource type; anything else is "Other"."""
TYPES = "Software and Configuration Checks/AWS Security Best Practices"
CIS_TYPE = "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"


def resource_type(arn: str) -> str:
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return "Other"
    service, resource = parts[2], parts[5]
    cut = min((i for i in (resource.find("/"), resource.find(":")) if i >= 0), default=-1)
    kind = resource if resource in ("root", "account") else (resource[:cut] if cut >= 0 else "")
    return RESOURCE_TYPES.get((service, kind), "Other")


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def timestamp(iso: str) -> str:
    """RFC 3339 in UTC with a Z, as Security Hub shows its own findings."""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        moment = dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _region(f: Finding, report: ScanResult) -> str:
    if f.region and f.region != "global":
        return f.region
    return report.info.home_regions.get(f.account) or FALLBACK_REGION


def finding_id(f: Finding) -> str:
    """Security Hub's Id: the fingerprint, so a re-import updates the same finding."""
    return f"awsaudit/{f.account}/{f.check_id}/{f.fingerprint}"


def _finding(f: Finding, report: ScanResult, when: str) -> Json:
    region = _region(f, report)
    partition = f.resource.split(":", 2)[1] if f.resource.count(":") >= 2 else "aws"
    partition = partition if partition in PARTITIONS else "aws"
    check = report.checks.get(f.check_id)
    requirements = [f"{fw} {cid}" for fw, ids in sorted(f.controls.items()) for cid in ids][:32]
    product_fields = {
        "awsaudit/status": str(f.status),
        "awsaudit/area": f.area,
        "awsaudit/objective": str(f.objective),
        "awsaudit/fingerprint": f.fingerprint,
        "awsaudit/evidence_hash": f.evidence_hash,
        "awsaudit/evidence": cut(json.dumps(f.evidence, sort_keys=True, default=str), 2048),
    }
    document: Json = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(f),
        "ProductArn": f"arn:{partition}:securityhub:{region}:{f.account}:product/{f.account}/default",
        "ProductName": "awsaudit",
        "GeneratorId": f"awsaudit/{f.check_id}",
        "AwsAccountId": f.account,
        "Region": region,
        "Types": [TYPES, *([CIS_TYPE] if any(fw.startswith("cis") for fw in f.controls) else [])],
        "CreatedAt": when,
        "UpdatedAt": when,
        "Severity": {"Label": LABEL[f.severity], "Original": str(f.severity)},
        "Title": cut(f.title, 256),
        "Description": cut(f"{f.message}. {check.rationale if check else ''}".strip(), 1024),
        "Resources": [
            {"Type": resource_type(f.resource), "Id": f.resource, "Partition": partition, "Region": region}
        ],
        "Compliance": {
            "Status": COMPLIANCE[f.status],
            **({"RelatedRequirements": requirements} if requirements else {}),
        },
        "Workflow": {"Status": WORKFLOW.get(f.status, "NEW")},
        "RecordState": "ACTIVE",
        "ProductFields": product_fields,
    }
    if check is not None and f.status is not Status.PASS:
        fix = filled(check.remediation, f)
        text = fix.cli or " ".join(fix.console)
        if text:
            document["Remediation"] = {"Recommendation": {"Text": cut(text, 512)}}
    if f.status is Status.MUTED and f.mute:
        document["Note"] = {
            "Text": cut(
                f"Muted: {f.mute.get('reason', '')} (expires {f.mute.get('expires') or 'never'})", 512
            ),
            "UpdatedBy": cut(str(f.mute.get("owner") or "awsaudit mutelist"), 512),
            "UpdatedAt": when,
        }
    return document


def render(report: ScanResult) -> str:
    when = timestamp(report.info.evaluated_at)
    return json_array(_finding(f, report, when) for f in report.findings)
