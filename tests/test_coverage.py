"""Coverage rows: collected, partial and failed, and the UNKNOWN findings each gap caused."""

from __future__ import annotations

from awsaudit.checks import evaluate
from awsaudit.report.coverage import coverage


def test_states_and_unknown_counts() -> None:
    snap = {"partition": "aws", "accounts": {"111122223333": {
        "global": {"s3": {"_errors": {"*": "CollectorError: boom"}}},
        "regions": {
            "eu-west-1": {"ec2": {"security_groups": [], "vpcs": []}},
            "us-east-1": {"ec2": {"vpcs": [], "_errors": {"security_groups": "AccessDenied"}}},
        },
        "errors": [{"service": "ec2", "region": "us-east-1", "operation": "DescribeSecurityGroups",
                    "resource": "111122223333", "code": "AccessDenied", "message": ""}],
    }}}
    findings = evaluate(snap)
    rows = {(r.service, r.region): r for r in coverage(snap, findings)}
    assert rows[("ec2", "eu-west-1")].state == "collected"
    denied = rows[("ec2", "us-east-1")]
    assert (denied.state, denied.errors, denied.codes) == ("partial", 1, ("AccessDenied",))
    assert denied.unknown_findings >= 4  # every security-group check in that region
    assert rows[("s3", "global")].state == "failed"
    assert rows[("s3", "global")].unknown_findings >= 1
