"""Placeholders in remediation: filled from the finding's ARN, every other brace left alone."""

from __future__ import annotations

import pytest

from awsaudit.checks import load_all
from awsaudit.model import Finding, Objective, Remediation, Severity, Status
from awsaudit.report.remediation import fill, filled, keys, placeholders, used_values


def finding(arn: str, region: str = "eu-west-1", account: str = "111122223333") -> Finding:
    return Finding("c_x", "t", Status.FAIL, Severity.HIGH, Objective.INTEGRITY, "m", account, region, arn)


@pytest.mark.parametrize(
    ("arn", "region", "expected"),
    [
        (
            "arn:aws:iam::111122223333:user/engineering/alice.martin",
            "global",
            {"UserName": "alice.martin", "name": "alice.martin", "id": "alice.martin"},
        ),
        ("arn:aws:iam::111122223333:role/acme-ci-deploy", "global", {"RoleName": "acme-ci-deploy"}),
        ("arn:aws:iam::aws:policy/AdministratorAccess", "global", {"PolicyName": "AdministratorAccess"}),
        (
            "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0abc",
            "eu-west-1",
            {"GroupId": "sg-0abc", "region": "eu-west-1", "id": "sg-0abc"},
        ),
        (
            "arn:aws:s3:::acme-website",
            "eu-west-1",
            {"bucket": "acme-website", "BucketName": "acme-website", "name": "acme-website"},
        ),
        ("arn:aws:cloudtrail:eu-west-1:111122223333:trail/org", "eu-west-1", {"TrailName": "org"}),
    ],
)
def test_placeholders_from_the_arn(arn: str, region: str, expected: dict[str, str]) -> None:
    values = placeholders(finding(arn, region))
    assert expected.items() <= values.items()
    assert values["account"] == "111122223333" and values["Arn"] == arn
    assert ("region" in values) is (region != "global")


@pytest.mark.parametrize(
    "arn",
    ["arn:aws:iam::111122223333:root", "arn:aws:s3::111122223333:account", "arn:aws:ec2:eu-west-1:1:*"],
)
def test_account_level_and_uncollected_findings_have_no_name(arn: str) -> None:
    assert not {"name", "bucket", "Arn", "GroupId"} & placeholders(finding(arn)).keys()


def test_hostile_names_are_never_substituted() -> None:
    hostile = "arn:aws:s3:::x$(curl evil)`id`;<img src=x onerror=alert(1)>"
    values = placeholders(finding(hostile))
    assert "bucket" not in values and "name" not in values and "Arn" not in values
    assert fill("aws s3api get-bucket-acl --bucket {bucket}", values) == (
        "aws s3api get-bucket-acl --bucket {bucket}"
    )


def test_fill_leaves_json_jmespath_terraform_and_unknown_keys_untouched() -> None:
    text = (
        "aws ec2 x --group-id {GroupId} --query 'Rules[?CidrIpv4==`\"0.0.0.0/0\"`].{Id: RuleId}' "
        '--cfg \'{"SSEAlgorithm":"aws:kms"}\' {Unknown} {{GroupId}}\n'
        'resource "aws_s3_bucket" "this" {\n  bucket = "{bucket}"\n}'
    )
    out = fill(text, {"GroupId": "sg-1", "bucket": "b"})
    assert out == (
        "aws ec2 x --group-id sg-1 --query 'Rules[?CidrIpv4==`\"0.0.0.0/0\"`].{Id: RuleId}' "
        '--cfg \'{"SSEAlgorithm":"aws:kms"}\' {Unknown} {sg-1}\n'
        'resource "aws_s3_bucket" "this" {\n  bucket = "b"\n}'
    )


def test_filled_and_used_values() -> None:
    remediation = Remediation(console=("Select {GroupId}",), cli="aws --group-id {GroupId}", terraform="x {")
    f = finding("arn:aws:ec2:eu-west-1:111122223333:security-group/sg-9")
    assert filled(remediation, f) == Remediation(("Select sg-9",), "aws --group-id sg-9", "x {")
    assert keys(remediation) == {"GroupId"}
    assert used_values(remediation, f) == {"GroupId": "sg-9"}
    assert used_values(Remediation(cli="no placeholders"), f) == {}


def test_colon_separated_resources_and_iam_paths() -> None:
    rds = placeholders(finding("arn:aws:rds:eu-west-1:111122223333:db:acme-billing-db"))
    assert rds["id"] == rds["DBInstanceIdentifier"] == "acme-billing-db"
    topic = placeholders(finding("arn:aws:sns:eu-west-1:111122223333:acme-alerts"))
    assert topic["TopicName"] == "acme-alerts"
    cert = placeholders(finding("arn:aws:iam::111122223333:server-certificate/cloudfront/acme", "global"))
    assert cert["ServerCertificateName"] == "acme"


def test_every_check_remediation_fills_without_touching_other_braces() -> None:
    """Across the real catalogue: filling changes placeholders only, never JSON or Terraform braces."""
    f = finding("arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1")
    for check in load_all().values():
        for text in (*check.remediation.console, check.remediation.cli, check.remediation.terraform):
            out = fill(text, placeholders(f))
            assert out.count("{") - out.count("}") == text.count("{") - text.count("}"), check.id
