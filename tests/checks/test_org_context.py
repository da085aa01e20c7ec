"""The organization context (checks/_org_context.py) and the SCPs and RCPs it feeds into each
member account's IAM analyses: built from the management shard, never applied to the management
account, unknown when a policy or its targets could not be read."""

from __future__ import annotations

import json
from pathlib import Path

from awsaudit import snapshot as snapshot_io
from awsaudit.checks import evaluate
from awsaudit.checks.iam.privileges import iam_user_no_privilege_escalation, iam_user_not_admin
from awsaudit.cli.audit import evaluate_shards
from awsaudit.model import Finding, Status
from awsaudit.settings import DEFAULTS
from tests.checks.orgs import (
    ADMIN_ARN,
    BOTH_TYPES,
    DENY_IAM,
    FULL_EVERYWHERE,
    MGMT,
    PROD,
    RCP,
    RCP_FULL,
    SECURITY,
    context,
    doc,
    iam,
    member_shard,
    org_snapshot,
    organization,
    policy,
    snapshot,
    user,
    view,
)

ADMIN = user("admin", attached=(ADMIN_ARN,))
KEYS = user("keys", inline=doc({"Effect": "Allow", "Action": ["iam:CreateAccessKey", "s3:GetObject"],
                                "Resource": "*"}))
DENY_IAM_SCP = policy("DenyIAM", "ou-prod", content=DENY_IAM)


def prod(*users: object) -> dict[str, object]:
    return member_shard(PROD, iam=iam(PROD, *users))  # type: ignore[arg-type]


def admin_outcome(snap: dict[str, object], account: str = PROD) -> object:
    account_view = view(snap, account)  # type: ignore[arg-type]
    users = account_view.doc["global"]["iam"]["users"]
    return iam_user_not_admin.evaluate(users[0], account_view)


# --- the context ------------------------------------------------------------------------------------


def test_context_indexes_accounts_paths_and_shards() -> None:
    snap = org_snapshot(prod(ADMIN))
    found = context(snap)
    assert found.management_id == MGMT
    assert found.accounts[PROD].path == "Root/Workloads/Prod/acme-prod"
    assert found.accounts[PROD].chain == (PROD, "ou-prod", "ou-work", "r-root")
    assert found.scanned == frozenset({MGMT, PROD})
    assert [m.id for m in found.members()] == [SECURITY, PROD, "333333333333"]  # by path


def test_no_management_shard_gives_no_context_and_unknown() -> None:
    snap = snapshot(prod(ADMIN))
    from awsaudit.checks._org_context import context_of  # noqa: PLC0415

    assert context_of(snap) is None
    outcome = admin_outcome(snap)
    assert outcome.status is Status.FAIL  # type: ignore[attr-defined]
    assert "management account is not in the snapshot" in str(outcome.evidence["guardrails"])  # type: ignore[attr-defined]


def test_organization_trails_and_aggregators_are_kept_from_their_owner() -> None:
    trail = {"Name": "org", "TrailARN": f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/org",
             "IsOrganizationTrail": True, "IsMultiRegionTrail": True, "Status": {"IsLogging": True}}
    aggregator = {"ConfigurationAggregatorName": "org",
                  "OrganizationAggregationSource": {"AllAwsRegions": True,
                                                    "RoleArn": "arn:aws:iam::x:role/c"}}
    management = org_snapshot()["accounts"][MGMT]
    management["regions"] = {"us-east-1": {"cloudtrail": {"trails": [trail]}}}
    shadow = dict(trail, Status=None)
    member = member_shard(SECURITY, regions={"us-east-1": {"cloudtrail": {"trails": [shadow]},
                                                            "config": {"region": {
                                                                "ConfigurationAggregators": [aggregator]}}}})
    found = context(snapshot(management, member))
    assert [(t.account, t.item["Status"]) for t in found.trails] == [(MGMT, {"IsLogging": True})]
    assert [(a.account, a.region) for a in found.aggregators] == [(SECURITY, "us-east-1")]
    assert found.organization_trails()[0].item["Name"] == "org"


# --- SCPs and RCPs in the IAM analyses --------------------------------------------------------------


def test_scp_denying_iam_means_the_member_admin_is_not_full_admin() -> None:
    snap = org_snapshot(prod(ADMIN), policies=[FULL_EVERYWHERE, DENY_IAM_SCP])
    outcome = admin_outcome(snap)
    assert outcome.status is Status.PASS  # type: ignore[attr-defined]
    assert "SCP DenyIAM (p-DenyIAM) on Root/Workloads/Prod" in outcome.message  # type: ignore[attr-defined]
    assert outcome.evidence["guardrails"] == {  # type: ignore[attr-defined]
        "applied": ["SCP DenyIAM (p-DenyIAM) on Root/Workloads/Prod"]}


def test_without_the_guardrail_the_member_admin_fails() -> None:
    snap = org_snapshot(prod(ADMIN), policies=[FULL_EVERYWHERE])
    outcome = admin_outcome(snap)
    assert outcome.status is Status.FAIL  # type: ignore[attr-defined]
    assert outcome.evidence["guardrails"] == {"applied": "full access only"}  # type: ignore[attr-defined]


def test_scps_never_apply_to_the_management_account() -> None:
    everywhere = policy("DenyIAM", "r-root", MGMT, content=DENY_IAM)
    management = org_snapshot(policies=[FULL_EVERYWHERE, everywhere])["accounts"][MGMT]
    management["global"]["iam"] = iam(MGMT, ADMIN)
    snap = snapshot(management, prod(ADMIN))
    assert admin_outcome(snap, MGMT).status is Status.FAIL  # type: ignore[attr-defined]
    assert admin_outcome(snap, PROD).status is Status.PASS  # type: ignore[attr-defined]


def test_unreadable_scp_is_named_and_evaluated_as_none() -> None:
    unread = policy("Unread", "ou-prod", content=None)
    snap = org_snapshot(prod(ADMIN), policies=[FULL_EVERYWHERE, DENY_IAM_SCP, unread])
    outcome = admin_outcome(snap)
    assert outcome.status is Status.FAIL  # type: ignore[attr-defined]
    assert outcome.evidence["guardrails"] == {"not known": "document of Unread not collected"}  # type: ignore[attr-defined]


def test_scp_type_not_enabled_applies_nothing() -> None:
    disabled = {"Id": "r-root", "Name": "Root", "PolicyTypes": []}
    snap = org_snapshot(prod(ADMIN), org_doc=organization(Roots=[disabled]),
                        policies=[FULL_EVERYWHERE, DENY_IAM_SCP])
    assert admin_outcome(snap).status is Status.FAIL  # type: ignore[attr-defined]


def test_rcp_deny_is_taken_into_account() -> None:
    deny_s3 = policy("DenyS3", "ou-work", kind=RCP, content=doc(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}))
    snap = org_snapshot(prod(ADMIN), org_doc=organization(Roots=[BOTH_TYPES]),
                        policies=[FULL_EVERYWHERE, RCP_FULL, deny_s3])
    outcome = admin_outcome(snap)
    assert outcome.status is Status.PASS  # type: ignore[attr-defined]
    assert "RCP DenyS3" in outcome.message  # type: ignore[attr-defined]


def test_escalation_path_closed_by_the_scp() -> None:
    cases = (([FULL_EVERYWHERE], Status.FAIL), ([FULL_EVERYWHERE, DENY_IAM_SCP], Status.PASS))
    for policies, expected in cases:
        snap = org_snapshot(prod(KEYS, ADMIN), policies=policies)
        account_view = view(snap, PROD)
        keys = account_view.doc["global"]["iam"]["users"][0]
        assert iam_user_no_privilege_escalation.evaluate(keys, account_view).status is expected


def _admin(findings: list[Finding], account: str) -> Status:
    (found,) = [f for f in findings if f.check_id == "iam_user_not_admin" and f.account == account
                and f.resource.endswith("user/admin")]
    return found.status


def test_engine_derives_the_context_from_the_snapshot() -> None:
    snap = org_snapshot(prod(ADMIN), policies=[FULL_EVERYWHERE, DENY_IAM_SCP])
    findings = evaluate(snap, [iam_user_not_admin])
    assert _admin(findings, PROD) is Status.PASS
    assert _admin(evaluate(snap, [iam_user_not_admin], organization=None), PROD) is Status.FAIL


def test_shard_by_shard_evaluation_builds_the_context_in_a_first_pass(tmp_path: Path) -> None:
    snap = org_snapshot(prod(ADMIN), policies=[FULL_EVERYWHERE, DENY_IAM_SCP])
    path = tmp_path / "org.json.gz"
    snapshot_io.save(snap, path)
    builder, incomplete = evaluate_shards(path, "test", DEFAULTS)
    assert incomplete is None
    assert _admin(builder.build().findings, PROD) is Status.PASS
    in_memory, _ = evaluate_shards(snap, "test", DEFAULTS)
    assert _admin(in_memory.build().findings, PROD) is Status.PASS


def test_who_can_sees_the_member_accounts_guardrails(tmp_path: Path) -> None:
    from click.testing import CliRunner  # noqa: PLC0415

    from awsaudit.cli.iam import iam as iam_command  # noqa: PLC0415

    path = tmp_path / "org.json.gz"
    for policies, expected in (([FULL_EVERYWHERE], [f"arn:aws:iam::{PROD}:user/admin"]),
                               ([FULL_EVERYWHERE, DENY_IAM_SCP], [])):
        snapshot_io.save(org_snapshot(prod(ADMIN), policies=policies), path)
        result = CliRunner().invoke(iam_command, ["who-can", "iam:CreateUser", "--snapshot", str(path),
                                                  "--account", PROD, "--json"])
        assert result.exit_code == 0, result.output
        assert [row["principal"] for row in json.loads(result.stdout)] == expected
