"""The IAM part of the demo account, collected for real: each IAM check sees what Acme got wrong and right."""

from __future__ import annotations

import time
from collections import defaultdict

import boto3
import pytest

from awsaudit.checks import evaluate, load_all
from awsaudit.checks._registry import REGISTRY
from awsaudit.checks.iam import access as iam_access
from awsaudit.checks.iam import credentials as iam_credentials
from awsaudit.checks.iam import root_and_users as iam_checks
from awsaudit.collect import ec2, iam, s3
from awsaudit.collect._call import Context
from awsaudit.demo import REGIONS
from awsaudit.demo import account as demo_account
from awsaudit.demo import iam as demo_iam
from awsaudit.demo import network as demo_network
from awsaudit.demo import s3 as demo_s3
from awsaudit.model import Json, Status
from tests.conftest import ACCOUNT

MODULES = {iam_checks.__name__, iam_credentials.__name__, iam_access.__name__}
ACCOUNT_LEVEL = {
    # Realistic for a small company that never looked: root MFA off (moto always reports 0) ...
    "iam_root_mfa_enabled": Status.FAIL,
    "iam_root_hardware_mfa": Status.FAIL,
    # ... no root access key ...
    "iam_root_no_access_keys": Status.PASS,
    # ... and root signed in nine days ago (the demo adds the <root_account> row moto lacks).
    "iam_root_not_used_recently": Status.FAIL,
    # A password policy of 8 characters without reuse prevention.
    "iam_password_policy_strong": Status.FAIL,
    "iam_password_policy_min_length": Status.FAIL,
    "iam_password_policy_reuse": Status.FAIL,
    "iam_support_role_exists": Status.PASS,
    "iam_cloudshell_full_access_restricted": Status.FAIL,
    # Okta is connected, yet five people still sign in as IAM users: for the auditor to judge.
    "iam_users_managed_centrally": Status.MANUAL,
    # The website bucket's policy lets anyone read.
    "iam_resource_policies_no_public_principal": Status.FAIL,
}
# moto lists every server certificate as expired in 2012, so only FAIL can show.
ONLY_FAIL = {"iam_server_certificate_not_expired"}


def _snapshot(ctx: Context) -> Json:
    home = REGIONS[0]
    account: Json = {
        "_arn": f"arn:aws:iam::{ACCOUNT}:root",
        "global": {"iam": iam.collect(ctx), "s3": s3.collect(ctx)},
        "regions": {home: {"ec2": ec2.collect(ctx.for_region(home))}},
    }
    return {"partition": "aws", "accounts": {ACCOUNT: account}}


@pytest.mark.usefixtures("managed_policies")
def test_demo_iam_gives_failures_and_passes(session: boto3.Session, ctx: Context) -> None:
    started = time.monotonic()
    demo_iam.build(session, REGIONS)
    assert time.monotonic() - started < 5
    demo_network.build(session, REGIONS[:1])  # the instances (CIS 2.16), in the home region only
    demo_s3.build(session, REGIONS)  # the bucket policies (CIS 2.21)
    demo_account.simulate(session)  # root's credential-report row, as AWS gives it

    snapshot = _snapshot(ctx)
    assert not [e for e in ctx.errors if e["code"] != "MissingRow"]
    root = snapshot["accounts"][ACCOUNT]["global"]["iam"]["account"]["RootCredentials"]
    assert (root["mfa_active"], root["access_key_1_active"]) == ("false", "false")
    checks = [c for c in REGISTRY.values() if c.func.__module__ in MODULES]
    assert len(checks) == 18
    statuses: dict[str, set[Status]] = defaultdict(set)
    by_resource: dict[tuple[str, str], Status] = {}
    for finding in evaluate(snapshot, checks):
        statuses[finding.check_id].add(finding.status)
        by_resource[(finding.check_id, finding.resource.rsplit("/", 1)[-1])] = finding.status

    for check in checks:
        if check.id in ACCOUNT_LEVEL:
            assert statuses[check.id] == {ACCOUNT_LEVEL[check.id]}, check.id
        elif check.id in ONLY_FAIL:
            assert statuses[check.id] == {Status.FAIL}, check.id
        else:
            assert statuses[check.id] == {Status.PASS, Status.FAIL}, (check.id, statuses[check.id])

    def failing(check_id: str) -> set[str]:
        return {name for (cid, name), s in by_resource.items() if cid == check_id and s is Status.FAIL}

    assert failing("iam_user_console_mfa") == {"bob.nguyen", "dave.okafor"}
    assert failing("iam_user_no_attached_policies") == {
        "carol.schmidt", "dave.okafor", "svc-terraform", "svc-ops-automation"}
    assert failing("iam_user_access_keys_rotated") == {"svc-terraform", "svc-datadog"}
    assert failing("iam_user_single_active_key") == {"svc-terraform"}
    # dave stopped signing in 120 days ago; svc-terraform's second key was never used.
    assert failing("iam_user_unused_credentials_disabled") == {"dave.okafor", "svc-terraform"}
    assert by_resource[("iam_user_unused_credentials_disabled", "erin.walsh")] is Status.PASS  # new joiner
    assert failing("ec2_instance_profile_attached") == {
        i["_arn"].rsplit("/", 1)[-1] for i in snapshot["accounts"][ACCOUNT]["regions"][REGIONS[0]]["ec2"][
            "instances"] if i["IamInstanceProfile"] is None}
    assert failing("iam_server_certificate_not_expired") == {"acme-legacy-api-2019"}

    data = snapshot["accounts"][ACCOUNT]["global"]["iam"]
    policies = {p["PolicyName"]: p for p in data["policies"]}
    full_admin = policies["acme-full-admin"]["PolicyVersionList"][0]["Document"]
    assert full_admin["Statement"][0] == {"Effect": "Allow", "Action": "*", "Resource": "*"}
    roles = {r["RoleName"]: r for r in data["roles"]}
    trust = roles["acme-ci-deploy"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"AWS": f"arn:aws:iam::{demo_iam.CI_ACCOUNT}:root"}
    assert [p["_arn"].rsplit("/", 1)[-1] for p in data["saml_providers"]] == ["AcmeOkta"]


@pytest.mark.usefixtures("managed_policies")
def test_demo_shows_the_iam_engine_findings(session: boto3.Session, ctx: Context) -> None:
    """Escalation, public trust and federated trust each FAIL on the resource built for them."""
    demo_iam.build(session, ("eu-west-1",))
    snap = {"accounts": {ACCOUNT: {"global": {"iam": iam.collect(ctx)}, "regions": {}, "errors": []}}}
    selected = [load_all()[c] for c in ("iam_user_no_privilege_escalation", "iam_role_no_public_trust",
                                    "iam_role_federated_trust_restricted")]
    failed = {(f.check_id, f.resource.rsplit("/", 1)[-1]) for f in evaluate(snap, selected)
              if f.status is Status.FAIL}
    assert ("iam_user_no_privilege_escalation", "svc-ops-automation") in failed
    assert ("iam_role_no_public_trust", "acme-partner-readonly") in failed
    assert ("iam_role_federated_trust_restricted", "acme-github-deploy") in failed
