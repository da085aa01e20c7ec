"""The IAM part of the demo account, collected for real: each IAM check sees what Acme got wrong and right."""

from __future__ import annotations

import time
from collections import defaultdict

import boto3
import pytest

from awsaudit.checks import evaluate
from awsaudit.checks import iam as iam_checks
from awsaudit.checks._registry import REGISTRY
from awsaudit.collect import iam
from awsaudit.collect._call import Context
from awsaudit.demo import REGIONS
from awsaudit.demo import iam as demo_iam
from awsaudit.model import Status
from tests.conftest import ACCOUNT

ACCOUNT_LEVEL = {
    # Realistic for a small company that never looked: root MFA off (moto always reports 0) ...
    "iam_root_mfa_enabled": Status.FAIL,
    # ... no root access key (from the account summary: moto's credential report has no root row) ...
    "iam_root_no_access_keys": Status.PASS,
    # ... and a password policy of 8 characters without reuse prevention.
    "iam_password_policy_strong": Status.FAIL,
    "iam_password_policy_min_length": Status.FAIL,
    "iam_password_policy_reuse": Status.FAIL,
}


@pytest.mark.usefixtures("managed_policies")
def test_demo_iam_gives_failures_and_passes(session: boto3.Session, ctx: Context) -> None:
    started = time.monotonic()
    demo_iam.build(session, REGIONS)
    assert time.monotonic() - started < 5

    data = iam.collect(ctx)
    assert not [e for e in ctx.errors if e["code"] != "MissingRow"]
    snapshot = {"partition": "aws", "accounts": {ACCOUNT: {"global": {"iam": data}, "regions": {}}}}
    checks = [c for c in REGISTRY.values() if c.func.__module__ == iam_checks.__name__]
    statuses: dict[str, set[Status]] = defaultdict(set)
    by_resource: dict[tuple[str, str], Status] = {}
    for finding in evaluate(snapshot, checks):
        statuses[finding.check_id].add(finding.status)
        by_resource[(finding.check_id, finding.resource.rsplit("/", 1)[-1])] = finding.status

    for check in checks:
        if check.over == "iam.account":
            assert statuses[check.id] == {ACCOUNT_LEVEL[check.id]}, check.id
        else:
            assert {Status.PASS, Status.FAIL} <= statuses[check.id], check.id
            assert Status.UNKNOWN not in statuses[check.id], check.id

    assert by_resource[("iam_user_console_mfa", "bob.nguyen")] is Status.FAIL
    assert by_resource[("iam_user_console_mfa", "dave.okafor")] is Status.FAIL
    assert by_resource[("iam_user_console_mfa", "alice.martin")] is Status.PASS
    assert by_resource[("iam_user_console_mfa", "svc-terraform")] is Status.PASS
    failing = {name for (cid, name), s in by_resource.items()
               if cid == "iam_user_no_attached_policies" and s is Status.FAIL}
    assert failing == {"carol.schmidt", "dave.okafor", "svc-terraform"}

    policies = {p["PolicyName"]: p for p in data["policies"]}
    full_admin = policies["acme-full-admin"]["PolicyVersionList"][0]["Document"]
    assert full_admin["Statement"][0] == {"Effect": "Allow", "Action": "*", "Resource": "*"}
    roles = {r["RoleName"]: r for r in data["roles"]}
    trust = roles["acme-ci-deploy"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"AWS": f"arn:aws:iam::{demo_iam.CI_ACCOUNT}:root"}
