"""The demo audits Acme's whole Organization: the management account, prod and staging through
their OrganizationAccountAccessRole, and acme-security, whose role was removed, not assessed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from awsaudit.checks import evaluate
from awsaudit.checks.network.security_groups import ec2_sg_no_public_ssh
from awsaudit.checks.s3.buckets import s3_bucket_no_public_read
from awsaudit.cli.audit import evaluate_shards
from awsaudit.model import Status
from awsaudit.report import json_report, write_all
from awsaudit.settings import DEFAULTS
from tests.conftest import ACCOUNT


def by_name(snap: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: a for a, e in snap["organization_scan"]["accounts"].items()}


def test_every_member_with_a_role_is_assessed_and_the_one_without_is_not(
    demo_snapshot: dict[str, Any]
) -> None:
    names = by_name(demo_snapshot)
    assert sorted(demo_snapshot["accounts"]) == sorted([ACCOUNT, names["acme-prod"], names["acme-staging"]])
    coverage = demo_snapshot["organization_scan"]["accounts"]
    security = coverage[names["acme-security"]]
    assert (security["outcome"], security["operation"], security["code"]) == (
        "not_assessed", "AssumeRole", "AccessDenied")
    assert "OrganizationAccountAccessRole" in security["message"]
    assert demo_snapshot["organization_scan"]["caller_account"] == ACCOUNT
    assert demo_snapshot["organization_scan"]["management_account"] == ACCOUNT


def test_the_members_findings_are_their_own(demo_snapshot: dict[str, Any]) -> None:
    names = by_name(demo_snapshot)
    prod, staging = names["acme-prod"], names["acme-staging"]
    findings = evaluate(demo_snapshot, [s3_bucket_no_public_read, ec2_sg_no_public_ssh])
    status = {(f.account, f.resource.rsplit(":", 1)[-1].rsplit("/", 1)[-1]): f.status for f in findings
              if f.check_id == "s3_bucket_no_public_read"}
    assert status[(prod, f"acme-prod-customer-uploads-{prod}")] is Status.FAIL
    assert status[(staging, f"acme-staging-artifacts-{staging}")] is Status.PASS
    assert not [a for a, name in status if name.startswith("acme-prod-customer") and a != prod]
    ssh = {(f.account, f.status) for f in findings if f.check_id == "ec2_sg_no_public_ssh"
           and f.status is Status.FAIL}
    assert (prod, Status.FAIL) in ssh and (staging, Status.FAIL) not in ssh
    assert (ACCOUNT, Status.FAIL) in ssh  # the management account's bastion, as before


def test_the_demo_ids_are_the_same_every_run(demo_snapshot: dict[str, Any]) -> None:
    """moto's id generator is seeded: history compares the demo's runs account by account."""
    names = by_name(demo_snapshot)
    assert demo_snapshot["organization_scan"]["organization_id"] == "o-il9tte6qhr"
    assert names["acme-prod"] == "015316676155"


def test_every_report_names_the_account_that_was_not_assessed(
    demo_snapshot: dict[str, Any], tmp_path: Path
) -> None:
    """An account without findings must not read as a clean one: every report names it and why."""
    security = by_name(demo_snapshot)["acme-security"]
    builder, _ = evaluate_shards(demo_snapshot, "demo", DEFAULTS)
    report = builder.build()
    assert [(a.id, a.name, a.outcome) for a in report.left_out] == [
        (security, "acme-security", "not_assessed")]
    assert "AssumeRole: AccessDenied" in report.left_out[0].reason
    written = write_all(tmp_path, report, ("json", "html", "markdown"))
    again = json_report.load(written["json"])
    assert again.left_out == report.left_out
    for kind in ("html", "markdown", "summary"):
        text = written[kind].read_text(encoding="utf-8")
        assert security in text and "AssumeRole: AccessDenied" in text, kind


def test_root_is_assessed_in_every_account_of_the_demo(demo_snapshot: dict[str, Any]) -> None:
    """Members have no IAM users: root's simulated credential-report row must not need them."""
    findings = [f for f in evaluate(demo_snapshot) if f.check_id == "iam_root_not_used_recently"]
    assert {f.account for f in findings} == set(demo_snapshot["accounts"])
    assert all(f.status is Status.FAIL for f in findings), [(f.account, f.message) for f in findings]
