"""The pinned IAM action catalogue: every method's actions known, wildcards expanded, unknowns kept."""

from __future__ import annotations

from awsaudit.iam import catalogue
from awsaudit.iam.methods import DISCONTINUED, METHODS
from awsaudit.iam.policy import parse_policy


def test_every_action_used_by_the_privesc_methods_is_known_to_the_catalogue() -> None:
    unknown = sorted({a for m in METHODS for a in m.actions() if not catalogue.is_known(a)})
    assert unknown == [], f"catalogue {catalogue.version()} no longer knows {unknown}"


def test_the_discontinued_methods_are_exactly_those_whose_service_the_catalogue_lacks() -> None:
    # If the catalogue ever lists codestar again, the methods must be detected again.
    for _, _, actions in DISCONTINUED:
        assert any(not catalogue.is_known(a) for a in actions)
    assert "codestar" not in catalogue.services()


def test_the_catalogue_version_is_the_pinned_one() -> None:
    assert catalogue.version() == "0.1.202610271"


def test_expansion() -> None:
    expanded = catalogue.expand("iam:*Policy*")
    assert "iam:CreatePolicyVersion" in expanded and "iam:UpdateAssumeRolePolicy" in expanded
    assert "iam:ListPolicies" not in expanded
    assert set(catalogue.expand("s3:Get*")) >= {"s3:GetObject", "s3:GetBucketPolicy"}
    assert len(catalogue.expand("*")) > 10_000
    assert catalogue.expand("IAM:passrole") == ("iam:PassRole",)


def test_unknown_actions_are_reported_with_their_policy_not_dropped() -> None:
    policy = parse_policy({"Statement": [{"Sid": "Old", "Effect": "Allow", "Resource": "*",
                                          "Action": ["codestar:CreateProject", "s3:GetObject",
                                              "s3:Nonexistent*"]}]},
                          "legacy-dev")
    found = [(u.policy, u.statement, u.action) for u in catalogue.unknown_actions([policy])]
    assert found == [("legacy-dev", "Old", "codestar:CreateProject"), ("legacy-dev", "Old",
        "s3:Nonexistent*")]


def test_resource_kinds_come_from_the_catalogue_arn_templates() -> None:
    assert catalogue.resource_kinds("iam:PassRole", "aws", "123456789012") == (
        "arn:aws:iam::123456789012:role/?*",)
    assert catalogue.resource_kinds("iam:ListUsers", "aws", "123456789012") == ("*",)
    assert "arn:aws:ec2:?*:123456789012:instance/?*" in catalogue.resource_kinds(
        "ec2-instance-connect:SendSSHPublicKey", "aws", "123456789012")
