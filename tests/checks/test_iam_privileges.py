"""IAM privilege checks (IAM-8 to IAM-11), table-driven on snapshot fragments shaped like the collector's."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from awsaudit.checks.iam.privileges import (
    iam_inline_policy_no_admin_privileges,
    iam_policy_no_admin_privileges,
    iam_role_cross_account_trust_restricted,
    iam_role_federated_trust_restricted,
    iam_role_no_privilege_escalation,
    iam_role_no_public_trust,
    iam_role_not_admin,
    iam_role_separation_of_duties,
    iam_user_no_privilege_escalation,
    iam_user_not_admin,
    iam_user_separation_of_duties,
)
from awsaudit.model import Severity, Status
from awsaudit.settings import Settings
from tests.checks.cases import Case

ID = "123456789012"
PARTNER = "999988887777"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
CUSTOM_ARN = f"arn:aws:iam::{ID}:policy/acme-ops"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


ADMIN_DOC = doc(allow("*"))
NOT_ACTION_ADMIN = doc({"Effect": "Allow", "NotAction": "codestar:*", "Resource": "*"})
READ_DOC = doc(allow(["s3:GetObject", "s3:ListBucket"], "arn:aws:s3:::acme-data*"))


def managed(arn: str, document: Any, attachments: int = 1, **extra: Any) -> dict[str, Any]:
    return {"Arn": arn, "_arn": arn, "PolicyName": arn.rsplit("/", 1)[-1], "DefaultVersionId": "v1",
            "AttachmentCount": attachments,
            "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True, "Document": document}],
                **extra}


def user(name: str, *, inline: dict[str, Any] | None = None, attached: tuple[str, ...] = (),
         groups: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    arn = f"arn:aws:iam::{ID}:user/{name}"
    return {"UserName": name, "Arn": arn, "_arn": arn, "Path": "/", "UserId": f"AIDA{name.upper()}",
            "UserPolicyList": [{"PolicyName": f"{name}-inline", "PolicyDocument": inline}] if inline else [],
            "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1],
                "PolicyArn": a} for a in attached],
            "GroupList": list(groups), "Tags": [], **extra}


def role(name: str, trust: dict[str, Any], *, inline: dict[str, Any] | None = None,
         attached: tuple[str, ...] = (), path: str = "/", profile: bool = False) -> dict[str, Any]:
    arn = f"arn:aws:iam::{ID}:role{path}{name}"
    return {"RoleName": name, "Arn": arn, "_arn": arn, "Path": path, "RoleId": f"AROA{name.upper()}",
            "AssumeRolePolicyDocument": trust,
            "RolePolicyList": [{"PolicyName": f"{name}-inline", "PolicyDocument": inline}] if inline else [],
            "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1],
                "PolicyArn": a} for a in attached],
            "InstanceProfileList": [{"InstanceProfileName": name}] if profile else [], "Tags": []}


def group(name: str, *, attached: tuple[str, ...] = (), inline: dict[str,
    Any] | None = None) -> dict[str, Any]:
    arn = f"arn:aws:iam::{ID}:group/{name}"
    return {"GroupName": name, "Arn": arn, "_arn": arn,
            "GroupPolicyList": [{"PolicyName": f"{name}-inline", "PolicyDocument": inline}] if inline else [],
            "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1],
                "PolicyArn": a} for a in attached]}


def trust(principal: Any, condition: dict[str, Any] | None = None,
          action: str = "sts:AssumeRole") -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        stmt["Condition"] = condition
    return doc(stmt)


EC2_TRUST = trust({"Service": "ec2.amazonaws.com"})

ALICE = user("alice.martin", groups=("Admins",))
BOB = user("bob.dev", inline=doc(allow("iam:CreateAccessKey")))
CAROL = user("carol.ops", inline=READ_DOC)
DAVE = user("dave.iam", inline=doc(allow(["iam:CreatePolicy", "iam:AttachUserPolicy"],
                                         ["arn:aws:iam::*:policy/*", "arn:aws:iam::*:user/*"])))
DEPLOY = user("ci-deploy", inline=doc(allow(["iam:PassRole", "ec2:RunInstances"])))
SAFE_DEPLOY = user("ci-deploy-scoped", inline=doc(
    allow("iam:PassRole", f"arn:aws:iam::{ID}:role/acme-web-*"), allow("ec2:RunInstances")))
APP_ADMIN = role("acme-ec2-admin", EC2_TRUST, attached=(ADMIN_ARN,), profile=True)
WEB = role("acme-web-app", EC2_TRUST, inline=READ_DOC, profile=True)
SLR = role("AWSServiceRoleForSupport", trust({"Service": "support.amazonaws.com"}),
           attached=(ADMIN_ARN,), path="/aws-service-role/support.amazonaws.com/")
ADMINS = group("Admins", attached=(ADMIN_ARN,))
POLICIES = [managed(ADMIN_ARN, ADMIN_DOC, 2)]


def account(users: list[Any] | None = None, roles: list[Any] | None = None, groups: list[Any] | None = None,
            policies: list[Any] | None = None, drop: str | None = None) -> dict[str, Any]:
    iam: dict[str, Any] = {
        "users": users if users is not None else [ALICE, BOB, CAROL, DAVE, DEPLOY, SAFE_DEPLOY],
        "roles": roles if roles is not None else [APP_ADMIN, WEB, SLR],
        "groups": groups if groups is not None else [ADMINS],
        "policies": policies if policies is not None else POLICIES,
        "account": {"_arn": f"arn:aws:iam::{ID}:root"},
    }
    if drop:
        del iam[drop]
        iam["_errors"] = {drop: "AccessDenied"}
    # A fresh copy per case: the checks cache their model per account document.
    return copy.deepcopy({"account_id": ID, "_arn": f"arn:aws:iam::{ID}:root", "global": {"iam": iam}})


def inline_users(document: Any) -> dict[str, Any]:
    return account(users=[user("eve", inline=document)])


UNREADABLE_MANAGED = managed(CUSTOM_ARN, None)
del UNREADABLE_MANAGED["PolicyVersionList"][0]["Document"]
UNREADABLE_MANAGED["_errors"] = {}

GITHUB = f"arn:aws:iam::{ID}:oidc-provider/token.actions.githubusercontent.com"
OKTA = f"arn:aws:iam::{ID}:saml-provider/okta"
PUBLIC = role("acme-public", trust({"AWS": "*"}))
PUBLIC_ORG = role("acme-org-wide", trust({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}))
PARTNER_OPEN = role("acme-vendor", trust({"AWS": f"arn:aws:iam::{PARTNER}:root"}))
PARTNER_EXTID = role("acme-vendor-extid", trust({"AWS": f"arn:aws:iam::{PARTNER}:root"},
                                                {"StringEquals": {"sts:ExternalId": "acme-7f3a"}}))
PARTNER_MFA = role("acme-auditor", trust({"AWS": PARTNER}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
PARTNER_IFEXISTS = role("acme-weak", trust({"AWS": PARTNER},
    {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}))
OIDC_ANY_REPO = role("gh-deploy", trust({"Federated": GITHUB}, {"StringLike": {
    "token.actions.githubusercontent.com:sub": "repo:*"}}, "sts:AssumeRoleWithWebIdentity"))
OIDC_PINNED = role("gh-deploy-pinned", trust({"Federated": GITHUB}, {"StringEquals": {
    "token.actions.githubusercontent.com:sub": "repo:acme/web:ref:refs/heads/main",
    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}, "sts:AssumeRoleWithWebIdentity"))
SAML_OK = role("okta-admins", trust({"Federated": OKTA}, {"StringEquals": {
    "SAML:aud": "https://signin.aws.amazon.com/saml"}}, "sts:AssumeRoleWithSAML"))
SAML_OPEN = role("okta-any", trust({"Federated": OKTA}, None, "sts:AssumeRoleWithSAML"))
NO_TRUST_DOC = {k: v for k, v in WEB.items() if k != "AssumeRolePolicyDocument"} | {
    "_errors": {"AssumeRolePolicyDocument": "AccessDenied"}}

BASE = account()

CASES = [
    # IAM-8: managed policies granting *:*.
    Case(iam_policy_no_admin_privileges, Status.FAIL, "administrator-access-attached", POLICIES[0]),
    Case(iam_policy_no_admin_privileges, Status.FAIL, "notaction-everything",
         managed(CUSTOM_ARN, NOT_ACTION_ADMIN)),
    Case(iam_policy_no_admin_privileges, Status.FAIL, "wildcard-every-service",
         managed(CUSTOM_ARN, doc(allow(["*:*"])))),
    Case(iam_policy_no_admin_privileges, Status.PASS, "scoped", managed(CUSTOM_ARN, READ_DOC)),
    Case(iam_policy_no_admin_privileges, Status.PASS, "notaction-iam-is-not-everything",
         managed(CUSTOM_ARN, doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))),
    Case(iam_policy_no_admin_privileges, Status.FAIL, "admin-but-unattached", managed(CUSTOM_ARN,
         ADMIN_DOC, 0)),
    Case(iam_policy_no_admin_privileges, Status.PASS, "admin-minus-deny",
         managed(CUSTOM_ARN, doc(allow("*"), {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}))),
    Case(iam_policy_no_admin_privileges, Status.UNKNOWN, "versions-not-collected",
         {"Arn": CUSTOM_ARN, "AttachmentCount": 1, "_errors": {"PolicyVersionList": "AccessDenied"}}),
    Case(iam_policy_no_admin_privileges, Status.UNKNOWN, "document-not-collected", UNREADABLE_MANAGED),
    # IAM-8: inline policies.
    Case(iam_inline_policy_no_admin_privileges, Status.FAIL, "inline-admin", inline_users(ADMIN_DOC)),
    Case(iam_inline_policy_no_admin_privileges, Status.FAIL, "inline-notaction",
         inline_users(NOT_ACTION_ADMIN)),
    Case(iam_inline_policy_no_admin_privileges, Status.PASS, "inline-scoped", inline_users(READ_DOC)),
    Case(iam_inline_policy_no_admin_privileges, Status.UNKNOWN, "roles-not-collected", account(drop="roles")),
    # IAM-8: principals that are effectively administrators.
    Case(iam_user_not_admin, Status.FAIL, "admin-via-group", ALICE, BASE),
    Case(iam_user_not_admin, Status.PASS, "limited", CAROL, BASE),
    Case(iam_user_not_admin, Status.UNKNOWN, "policies-not-collected", ALICE, account(drop="policies")),
    Case(iam_user_not_admin, Status.UNKNOWN, "group-not-collected", ALICE, account(groups=[])),
    Case(iam_role_not_admin, Status.FAIL, "admin-role", APP_ADMIN, BASE),
    Case(iam_role_not_admin, Status.PASS, "app-role", WEB, BASE),
    Case(iam_role_not_admin, Status.PASS, "service-linked", SLR, BASE),
    Case(iam_role_not_admin, Status.UNKNOWN, "groups-not-collected", WEB, account(drop="groups")),
    # IAM-9: separation of duties.
    Case(iam_user_separation_of_duties, Status.FAIL, "define-and-assign", DAVE, BASE),
    Case(iam_user_separation_of_duties, Status.FAIL, "admin-not-designated", ALICE, BASE),
    Case(iam_user_separation_of_duties, Status.PASS, "assign-only", BOB, BASE),
    Case(iam_user_separation_of_duties, Status.UNKNOWN, "policies-not-collected", DAVE,
         account(drop="policies")),
    Case(iam_role_separation_of_duties, Status.FAIL, "admin-role", APP_ADMIN, BASE),
    Case(iam_role_separation_of_duties, Status.PASS, "app-role", WEB, BASE),
    Case(iam_role_separation_of_duties, Status.UNKNOWN, "users-not-collected", WEB, account(drop="users")),
    # IAM-10: privilege escalation paths.
    Case(iam_user_no_privilege_escalation, Status.FAIL, "create-access-key-of-admin", BOB, BASE),
    Case(iam_user_no_privilege_escalation, Status.FAIL, "passrole-to-admin-instance-role", DEPLOY, BASE),
    Case(iam_user_no_privilege_escalation, Status.PASS, "passrole-limited-to-unprivileged-role",
         SAFE_DEPLOY, BASE),
    Case(iam_user_no_privilege_escalation, Status.PASS, "read-only", CAROL, BASE),
    Case(iam_user_no_privilege_escalation, Status.PASS, "already-admin", ALICE, BASE),
    Case(iam_user_no_privilege_escalation, Status.UNKNOWN, "roles-not-collected", CAROL,
         account(drop="roles")),
    Case(iam_role_no_privilege_escalation, Status.FAIL, "role-can-attach-admin-to-itself",
         role("acme-ops-automation", EC2_TRUST, inline=doc(allow("iam:AttachRolePolicy"))),
         account(roles=[role("acme-ops-automation", EC2_TRUST, inline=doc(allow("iam:AttachRolePolicy")))])),
    Case(iam_role_no_privilege_escalation, Status.PASS, "app-role", WEB, BASE),
    Case(iam_role_no_privilege_escalation, Status.UNKNOWN, "policies-not-collected", WEB,
         account(drop="policies")),
    # IAM-11: trust.
    Case(iam_role_no_public_trust, Status.FAIL, "star", PUBLIC),
    Case(iam_role_no_public_trust, Status.PASS, "star-pinned-to-org", PUBLIC_ORG),
    Case(iam_role_no_public_trust, Status.PASS, "service", WEB),
    Case(iam_role_no_public_trust, Status.UNKNOWN, "trust-not-collected", NO_TRUST_DOC),
    Case(iam_role_cross_account_trust_restricted, Status.FAIL, "partner-no-condition", PARTNER_OPEN),
    Case(iam_role_cross_account_trust_restricted, Status.FAIL, "mfa-ifexists-does-not-restrict",
         PARTNER_IFEXISTS),
    Case(iam_role_cross_account_trust_restricted, Status.PASS, "external-id", PARTNER_EXTID),
    Case(iam_role_cross_account_trust_restricted, Status.PASS, "mfa", PARTNER_MFA),
    Case(iam_role_cross_account_trust_restricted, Status.PASS, "same-account-only", WEB),
    Case(iam_role_cross_account_trust_restricted, Status.UNKNOWN, "trust-not-collected", NO_TRUST_DOC),
    Case(iam_role_federated_trust_restricted, Status.FAIL, "github-any-repo", OIDC_ANY_REPO),
    Case(iam_role_federated_trust_restricted, Status.FAIL, "saml-without-aud", SAML_OPEN),
    Case(iam_role_federated_trust_restricted, Status.PASS, "github-pinned", OIDC_PINNED),
    Case(iam_role_federated_trust_restricted, Status.PASS, "saml-aud", SAML_OK),
    Case(iam_role_federated_trust_restricted, Status.UNKNOWN, "trust-not-collected", NO_TRUST_DOC),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


def test_an_unattached_admin_policy_fails_at_low_severity() -> None:
    """Dormant, one attach away: never a PASS for a policy allowing * on *."""
    outcome = iam_policy_no_admin_privileges.evaluate(managed(CUSTOM_ARN, ADMIN_DOC, 0))
    assert outcome.status is Status.FAIL and outcome.severity is Severity.LOW
    assert "not attached" in outcome.message
    attached = iam_policy_no_admin_privileges.evaluate(managed(CUSTOM_ARN, ADMIN_DOC, 1))
    assert attached.status is Status.FAIL and attached.severity is None  # the check's own: high


def test_escalation_finding_names_the_path_and_permissions() -> None:
    outcome = iam_user_no_privilege_escalation.evaluate(DEPLOY, account())
    assert outcome.status is Status.FAIL
    assert "CreateEC2WithExistingIP" in outcome.message and "role/acme-ec2-admin" in outcome.message
    assert any("iam:PassRole on arn:aws:iam::123456789012:role/acme-ec2-admin" in p
               for step in outcome.evidence for p in step["permissions"])


@pytest.mark.parametrize("designated", ["user/alice.martin", f"arn:aws:iam::{ID}:user/alice.*"])
def test_designated_admins_pass(designated: str) -> None:
    settings = Settings(designated_admins=(designated,))
    assert iam_user_not_admin.evaluate(ALICE, account(), settings).status is Status.PASS
    assert iam_user_separation_of_duties.evaluate(ALICE, account(), settings).status is Status.PASS
    assert iam_user_separation_of_duties.evaluate(DAVE, account(), settings).status is Status.FAIL


def test_trust_finding_names_the_principal_and_missing_condition() -> None:
    outcome = iam_role_cross_account_trust_restricted.evaluate(PARTNER_OPEN)
    assert f"arn:aws:iam::{PARTNER}:root" in outcome.message
    assert "without restricting condition" in outcome.message
