"""A small audited account whose names and tags are hostile, and the ScanResult of it (with a mutelist).

Shared by the format tests and the browser test: every output must show these names as text.
"""

from __future__ import annotations

from typing import Any

from awsaudit.checks import evaluate
from awsaudit.model import Finding, Objective, Severity, Status
from awsaudit.report import ScanResult, scan_result
from awsaudit.report.mutelist import parse

ACCOUNT = "111122223333"
REGION = "eu-west-1"
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>window.__pwned=1</script>"
FORMULA = '=HYPERLINK("http://evil.example","x")'
MARKDOWN = "| **x** [click](http://evil.example) `tick`"
XML = "]]></failure><injected/>"
HOSTILE = (IMG, SCRIPT, FORMULA, MARKDOWN, XML, "{{7*7}} \x00\x1b[31m")
SAFE_BUCKET = "acme-open-website"

OPEN_BLOCK = {
    "BlockPublicAcls": False,
    "BlockPublicPolicy": False,
    "IgnorePublicAcls": False,
    "RestrictPublicBuckets": False,
}
ALL_USERS = {
    "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
    "Permission": "READ",
}


def bucket(name: str, tags: dict[str, str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "Name": name,
        "_arn": f"arn:aws:s3:::{name}",
        "_region": REGION,
        "Acl": {"Grants": [ALL_USERS]},
        "Policy": None,
        "PublicAccessBlock": OPEN_BLOCK,
        "Encryption": None,
        "Logging": None,
        "Versioning": {},
        "OwnershipControls": None,
        "PolicyStatus": {"IsPublic": True},
    }
    if tags is not None:
        data["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    return data


def security_group(group_id: str, name: str, port: int) -> dict[str, Any]:
    return {
        "GroupId": group_id,
        "GroupName": name,
        "Description": name,
        "VpcId": "vpc-1",
        "OwnerId": ACCOUNT,
        "IpPermissions": [
            {
                "IpProtocol": "tcp",
                "FromPort": port,
                "ToPort": port,
                "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": name}],
                "Ipv6Ranges": [],
                "PrefixListIds": [],
                "UserIdGroupPairs": [],
            }
        ],
        "IpPermissionsEgress": [],
        "Tags": [{"Key": "Name", "Value": name}],
        "_arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{group_id}",
    }


def hostile_snapshot() -> dict[str, Any]:
    buckets = [bucket(name, {"owner": name}) for name in HOSTILE[:5]]
    buckets.append(bucket(SAFE_BUCKET, {"environment": "sandbox"}))
    groups = [security_group(f"sg-0{i}", name, 22) for i, name in enumerate(HOSTILE)]
    groups.append(security_group("sg-0db", "acme-billing-db", 3306))
    return {
        "kind": "awsaudit-snapshot",
        "schema_version": 1,
        "tool_version": "0.1.0",
        "collected_at": "2026-05-01T08:00:00+00:00",
        "partition": "aws",
        "accounts": {
            ACCOUNT: {
                "account_id": ACCOUNT,
                "_arn": f"arn:aws:iam::{ACCOUNT}:root",
                "home_region": REGION,
                "regions_scanned": [REGION],
                "regions_disabled": [],
                "global": {
                    "s3": {
                        "buckets": buckets,
                        "account": {"PublicAccessBlock": None, "_arn": f"arn:aws:s3::{ACCOUNT}:account"},
                    }
                },
                "regions": {
                    REGION: {"ec2": {"security_groups": groups, "_errors": {"vpcs": "AccessDenied"}}}
                },
                "errors": [
                    {
                        "service": "ec2",
                        "region": REGION,
                        "operation": "DescribeVpcs",
                        "resource": ACCOUNT,
                        "code": "AccessDenied",
                        "message": IMG,
                    }
                ],
            }
        },
    }


MUTELIST = f"""
mutes:
  - check: s3_bucket_no_public_read
    tags: {{environment: sandbox}}
    reason: "Public website bucket {IMG}"
    owner: web-team@acme.example
    expires: 2099-12-31
  - check: ec2_sg_no_public_ssh
    resource: "regex:arn:aws:ec2:.*:security-group/sg-00"
    reason: Expired exception
    expires: 2020-01-01
  - check: nothing_matches_*
    reason: Stale entry
"""

EXTRA = [
    Finding(
        "iam_support_role_exists",
        "A support role exists for AWS Support",
        Status.MANUAL,
        Severity.LOW,
        Objective.AVAILABILITY,
        f"Review who handles incidents {IMG}",
        ACCOUNT,
        "global",
        f"arn:aws:iam::{ACCOUNT}:root",
        evidence={"note": SCRIPT},
        area="iam",
        controls={"baseline": ("IAM-1",)},
    )
]


def build_report() -> ScanResult:
    snap = hostile_snapshot()
    findings = evaluate(snap) + EXTRA
    return scan_result(snap, findings, "test", "2026-05-01T09:00:00+00:00", parse(MUTELIST, "mutes.yaml"))
