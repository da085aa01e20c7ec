"""Checks of how access is organised (CIS 2.15, 2.16, 2.19, 2.20, 2.21), table-driven."""

from __future__ import annotations

import json
from typing import Any

import pytest

from awsaudit.checks import evaluate
from awsaudit.checks.iam.access import (
    ec2_instance_profile_attached,
    iam_cloudshell_full_access_restricted,
    iam_resource_policies_no_public_principal,
    iam_support_role_exists,
    iam_users_managed_centrally,
    unrestricted_statements,
)
from awsaudit.model import Status
from tests.checks.cases import Case

ACCT = "123456789012"
ROOT_ARN = f"arn:aws:iam::{ACCT}:root"
IAM_ACCOUNT = {"_arn": ROOT_ARN}
SUPPORT = {"PolicyName": "AWSSupportAccess", "PolicyArn": "arn:aws:iam::aws:policy/AWSSupportAccess"}
CLOUDSHELL = {"PolicyName": "AWSCloudShellFullAccess",
              "PolicyArn": "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"}
READONLY = {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
PROFILE_ARN = f"arn:aws:iam::{ACCT}:instance-profile/acme-prod-web"


def role(name: str, *policies: dict[str, str], profiles: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"RoleName": name, "_arn": f"arn:aws:iam::{ACCT}:role/{name}",
            "AttachedManagedPolicies": list(policies),
            "InstanceProfileList": [{"Arn": arn} for arn in profiles]}


def entity(kind: str, name: str, *policies: dict[str, str]) -> dict[str, Any]:
    return {f"{kind}Name": name, "AttachedManagedPolicies": list(policies)}


def iam(**collections: Any) -> dict[str, Any]:
    """An account document holding the given IAM collections."""
    base: dict[str, Any] = {"account": IAM_ACCOUNT, "users": [], "groups": [], "roles": [],
                            "saml_providers": [], "oidc_providers": []}
    base.update(collections)
    return {"global": {"iam": base}, "regions": {}}


def iam_missing(*names: str, **collections: Any) -> dict[str, Any]:
    doc = iam(**collections)
    for name in names:
        del doc["global"]["iam"][name]
    doc["global"]["iam"]["_errors"] = dict.fromkeys(names, "AccessDenied")
    return doc


def console_user(name: str, password: str = "true") -> dict[str, Any]:
    return {"UserName": name, "Credentials": {"user": name, "password_enabled": password}}


OKTA = {"Arn": f"arn:aws:iam::{ACCT}:saml-provider/AcmeOkta",
        "_arn": f"arn:aws:iam::{ACCT}:saml-provider/AcmeOkta"}
GITHUB = {"_arn": f"arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com"}

INSTANCE = {"InstanceId": "i-0abc", "_arn": f"arn:aws:ec2:eu-west-1:{ACCT}:instance/i-0abc",
            "State": {"Name": "running"}}
WITH_PROFILE = {**INSTANCE, "IamInstanceProfile": {"Arn": PROFILE_ARN, "Id": "AIPA1"}}


def statement(principal: Any = "*", action: Any = "s3:GetObject", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*", **extra}


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


PUBLIC = doc(statement(action="s3:PutObject"))
PRIVATE = doc(statement({"AWS": f"arn:aws:iam::{ACCT}:root"}, "s3:*"))
VPCE_ONLY = doc(statement(Condition={"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d"}}))
OPEN = {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False}
RESTRICTED = {**OPEN, "RestrictPublicBuckets": True}


def bucket(name: str, policy: Any, block: dict[str, bool] | None = OPEN, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"Name": name, "_arn": f"arn:aws:s3:::{name}", "Policy": policy, **extra}
    if block is not None:
        data["EffectivePublicAccessBlock"] = block
    return data


def account_with(*buckets: dict[str, Any], **regional: Any) -> dict[str, Any]:
    return {"_arn": ROOT_ARN, "global": {"s3": {"buckets": list(buckets)}},
            "regions": {"eu-west-1": regional}}


DENIED_BUCKET = {"Name": "acme-hr", "_arn": "arn:aws:s3:::acme-hr", "_errors": {"Policy": "AccessDenied"}}
SNS_DEFAULT = doc(statement({"AWS": "*"}, ["SNS:Publish", "SNS:Subscribe"],
                            Condition={"StringEquals": {"AWS:SourceOwner": ACCT}}))
KMS_VIA_SERVICE = doc(statement({"AWS": "*"}, ["kms:Decrypt", "kms:GenerateDataKey*"], Condition={
    "StringEquals": {"kms:CallerAccount": ACCT, "kms:ViaService": "ec2.eu-west-1.amazonaws.com"}}))

CASES = [
    # iam_support_role_exists (CIS 2.15)
    Case(iam_support_role_exists, Status.PASS, "support-role", IAM_ACCOUNT,
         iam(roles=[role("acme-web"), role("aws-support", SUPPORT)])),
    Case(iam_support_role_exists, Status.PASS, "found-despite-a-gap", IAM_ACCOUNT,
         iam(roles=[{"RoleName": "x", "_errors": {"AttachedManagedPolicies": "x"}}, role("s", SUPPORT)])),
    Case(iam_support_role_exists, Status.FAIL, "no-support-role", IAM_ACCOUNT,
         iam(roles=[role("acme-web", READONLY)], users=[entity("User", "bob", SUPPORT)])),
    Case(iam_support_role_exists, Status.FAIL, "no-roles", IAM_ACCOUNT, iam()),
    Case(iam_support_role_exists, Status.UNKNOWN, "roles-denied", IAM_ACCOUNT, iam_missing("roles")),
    Case(iam_support_role_exists, Status.UNKNOWN, "a-role-unreadable", IAM_ACCOUNT,
         iam(roles=[{"RoleName": "x", "_errors": {"AttachedManagedPolicies": "AccessDenied"}}])),
    # iam_cloudshell_full_access_restricted (CIS 2.20)
    Case(iam_cloudshell_full_access_restricted, Status.PASS, "not-attached", IAM_ACCOUNT,
         iam(groups=[entity("Group", "Developers", READONLY)], roles=[role("acme-web")])),
    Case(iam_cloudshell_full_access_restricted, Status.FAIL, "group", IAM_ACCOUNT,
         iam(groups=[entity("Group", "Developers", READONLY, CLOUDSHELL)])),
    Case(iam_cloudshell_full_access_restricted, Status.FAIL, "role-while-users-denied", IAM_ACCOUNT,
         iam_missing("users", roles=[role("ops", CLOUDSHELL)])),
    Case(iam_cloudshell_full_access_restricted, Status.FAIL, "other-partition", IAM_ACCOUNT,
         iam(users=[entity("User", "li.wei",
                           {"PolicyArn": "arn:aws-cn:iam::aws:policy/AWSCloudShellFullAccess"})])),
    Case(iam_cloudshell_full_access_restricted, Status.UNKNOWN, "users-denied", IAM_ACCOUNT,
         iam_missing("users")),
    # iam_users_managed_centrally (CIS 2.19)
    Case(iam_users_managed_centrally, Status.PASS, "federated-only", IAM_ACCOUNT,
         iam(users=[console_user("svc-ci", "false")], saml_providers=[OKTA])),
    Case(iam_users_managed_centrally, Status.PASS, "no-users", IAM_ACCOUNT, iam()),
    Case(iam_users_managed_centrally, Status.FAIL, "local-passwords-no-idp", IAM_ACCOUNT,
         iam(users=[console_user("alice.martin"), console_user("svc-ci", "false")], oidc_providers=[GITHUB])),
    Case(iam_users_managed_centrally, Status.FAIL, "local-password-despite-a-gap", IAM_ACCOUNT,
         iam(users=[console_user("alice.martin"), {"UserName": "x", "_errors": {"Credentials": "no row"}}])),
    Case(iam_users_managed_centrally, Status.MANUAL, "idp-and-local-passwords", IAM_ACCOUNT,
         iam(users=[console_user("breakglass")], saml_providers=[OKTA])),
    Case(iam_users_managed_centrally, Status.UNKNOWN, "saml-denied", IAM_ACCOUNT,
         iam_missing("saml_providers")),
    Case(iam_users_managed_centrally, Status.UNKNOWN, "report-denied", IAM_ACCOUNT,
         iam(users=[{"UserName": "x", "_errors": {"Credentials": "AccessDenied"}}], saml_providers=[OKTA])),
    Case(iam_users_managed_centrally, Status.UNKNOWN, "partly-unknown-with-idp", IAM_ACCOUNT,
         iam(users=[console_user("a"), console_user("b", "N/A")], saml_providers=[OKTA])),
    # ec2_instance_profile_attached (CIS 2.16)
    Case(ec2_instance_profile_attached, Status.PASS, "role-in-profile", WITH_PROFILE,
         iam(roles=[role("acme-prod-web", profiles=(PROFILE_ARN,))])),
    Case(ec2_instance_profile_attached, Status.PASS, "roles-not-collected", WITH_PROFILE,
         iam_missing("roles")),
    Case(ec2_instance_profile_attached, Status.PASS, "terminated",
         {**INSTANCE, "IamInstanceProfile": None, "State": {"Name": "terminated"}}),
    Case(ec2_instance_profile_attached, Status.FAIL, "no-profile", {**INSTANCE, "IamInstanceProfile": None}),
    Case(ec2_instance_profile_attached, Status.FAIL, "stopped-no-profile",
         {**INSTANCE, "IamInstanceProfile": None, "State": {"Name": "stopped"}}),
    Case(ec2_instance_profile_attached, Status.FAIL, "empty-profile", WITH_PROFILE,
         iam(roles=[role("other", profiles=(f"arn:aws:iam::{ACCT}:instance-profile/other",))])),
    Case(ec2_instance_profile_attached, Status.UNKNOWN, "not-collected",
         {**INSTANCE, "_errors": {"IamInstanceProfile": "not collected"}}),
    # iam_resource_policies_no_public_principal (CIS 2.21)
    Case(iam_resource_policies_no_public_principal, Status.PASS, "private-and-conditioned",
         account_with(bucket("a", PRIVATE), bucket("b", VPCE_ONLY), bucket("c", None))),
    Case(iam_resource_policies_no_public_principal, Status.PASS, "neutralised-by-block-public-access",
         account_with(bucket("a", PUBLIC, RESTRICTED))),
    Case(iam_resource_policies_no_public_principal, Status.PASS, "service-default-policies",
         account_with(bucket("a", PRIVATE),
                      sns={"topics": [{"_arn": "t", "Attributes": {"Policy": json.dumps(SNS_DEFAULT)}}]},
                      kms={"keys": [{"_arn": "k", "KeyPolicy": KMS_VIA_SERVICE}]})),
    Case(iam_resource_policies_no_public_principal, Status.PASS, "policy-as-json-text",
         account_with(bucket("a", '{"Statement": []}'))),
    Case(iam_resource_policies_no_public_principal, Status.FAIL, "any-action-public",
         account_with(bucket("a", PRIVATE), bucket("b", PUBLIC))),
    Case(iam_resource_policies_no_public_principal, Status.FAIL, "public-despite-a-gap",
         account_with(bucket("b", PUBLIC), DENIED_BUCKET)),
    Case(iam_resource_policies_no_public_principal, Status.FAIL, "block-unknown",
         account_with(bucket("b", PUBLIC, None, _errors={"EffectivePublicAccessBlock": "AccessDenied"}))),
    Case(iam_resource_policies_no_public_principal, Status.FAIL, "sns-topic-public",
         account_with(sns={"topics": [{"_arn": "arn:aws:sns:eu-west-1:123456789012:alerts",
                                       "Policy": doc(statement({"AWS": "*"}, "sns:Publish"))}]})),
    Case(iam_resource_policies_no_public_principal, Status.FAIL, "sns-topic-public-in-its-attributes",
         account_with(sns={"topics": [{"_arn": "arn:aws:sns:eu-west-1:123456789012:alerts", "Attributes": {
             "Policy": json.dumps(doc(statement({"AWS": "*"}, "sns:Publish")))}}]})),
    # A topic listed without its attributes: its policy was not read (older snapshot), never "no policy".
    Case(iam_resource_policies_no_public_principal, Status.UNKNOWN, "sns-topic-attributes-not-collected",
         account_with(bucket("a", PRIVATE), sns={"topics": [{"_arn": "arn:aws:sns:eu-west-1:1:alerts"}]})),
    Case(iam_resource_policies_no_public_principal, Status.UNKNOWN, "policy-denied",
         account_with(bucket("a", PRIVATE), DENIED_BUCKET)),
    Case(iam_resource_policies_no_public_principal, Status.UNKNOWN, "buckets-denied",
         {"_arn": ROOT_ARN, "global": {"s3": {"_errors": {"buckets": "AccessDenied"}}}, "regions": {}}),
    Case(iam_resource_policies_no_public_principal, Status.UNKNOWN, "s3-not-collected",
         {"_arn": ROOT_ARN, "global": {}, "regions": {}}),
    Case(iam_resource_policies_no_public_principal, Status.UNKNOWN, "kms-keys-failed",
         account_with(bucket("a", PRIVATE), kms={"_errors": {"keys": "AccessDenied"}})),
    Case(iam_resource_policies_no_public_principal, Status.UNKNOWN, "malformed-json",
         account_with(bucket("a", "{not json"))),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_outcomes_carry_a_message_and_evidence(case: Case) -> None:
    outcome = case.check.evaluate(case.resource, case.account)
    assert outcome.message
    if case.expected is not Status.UNKNOWN:
        assert outcome.evidence is not None


@pytest.mark.parametrize(("stmt", "public"), [
    (statement(), True),
    (statement(action="*"), True),
    (statement({"AWS": ["*"]}, "s3:Get*"), True),
    (statement(action=["s3:Get?bject", "s3:List*"]), True),
    ({"Effect": "Allow", "Principal": "*", "NotAction": "s3:DeleteObject", "Resource": "*"}, True),
    ({"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "s3:*",
      "Resource": "*"}, True),
    ({"Effect": "Allow", "Principal": "*", "NotAction": "*", "Resource": "*"}, False),
    ({**statement(), "Effect": "Deny"}, False),
    (statement({"Service": "cloudtrail.amazonaws.com"}), False),
    (statement(Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}), False),
    (statement(Condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}), True),
    (statement(Condition={"StringEquals": {"AWS:SourceOwner": ACCT}}), False),
    (statement(Condition={"StringEquals": {"kms:CallerAccount": "*"}}), True),
    ({"Effect": "Allow", "Principal": "*", "Resource": "*"}, False),  # grants no action
])
def test_unrestricted_statements(stmt: dict[str, Any], public: bool) -> None:
    assert bool(unrestricted_statements(doc(stmt))) is public
    assert bool(unrestricted_statements({"Statement": stmt})) is public  # a single statement, not a list


def test_resource_policy_findings_list_resources_and_gaps() -> None:
    account = account_with(bucket("acme-website", PUBLIC), DENIED_BUCKET, bucket("acme-logs", PRIVATE),
                           bucket("acme-assets", PUBLIC, RESTRICTED))
    outcome = iam_resource_policies_no_public_principal.evaluate(account)
    assert outcome.status is Status.FAIL
    assert "1 resource policy allows" in outcome.message and "arn:aws:s3:::acme-website" in outcome.message
    assert outcome.evidence["public"] == [{"resource": "arn:aws:s3:::acme-website",
                                           "statements": PUBLIC["Statement"]}]
    assert outcome.evidence["neutralised_by_block_public_access"] == ["arn:aws:s3:::acme-assets"]
    assert outcome.evidence["not_collected"] == ["arn:aws:s3:::acme-hr Policy: AccessDenied"]
    assert outcome.evidence["examined"] == {"S3 bucket policies": 3}
    assert "block_public_access_unknown" not in outcome.evidence
    passed = iam_resource_policies_no_public_principal.evaluate(account_with(bucket("a", PRIVATE)))
    assert passed.message == ("No resource policy allows any principal unconditionally "
                              "(examined: 1 S3 bucket policies)")


def test_federation_messages_name_the_users() -> None:
    outcome = iam_users_managed_centrally.evaluate(IAM_ACCOUNT, iam(
        users=[console_user("breakglass"), console_user("svc", "false")], saml_providers=[OKTA]))
    assert "AcmeOkta" in outcome.message and "breakglass" in outcome.message and "svc" not in outcome.message
    assert outcome.evidence["iam_users_with_console_password"] == ["breakglass"]


def test_resource_policy_check_reports_the_account_and_each_public_resource() -> None:
    account = account_with(bucket("acme-website", PUBLIC), bucket("acme-private", None))
    findings = evaluate({"partition": "aws", "accounts": {ACCT: account}},
                        [iam_resource_policies_no_public_principal])
    assert [(f.status, f.resource, f.region) for f in findings] == [
        (Status.FAIL, ROOT_ARN, "global"), (Status.FAIL, "arn:aws:s3:::acme-website", "global")]
    assert findings[1].evidence["statements"] == PUBLIC["Statement"]
