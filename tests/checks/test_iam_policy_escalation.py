"""Privilege escalation reported on the policy (IAM-10): customer-managed and inline policies that on
their own grant a method, decided with the roles that exist; boundaries and SCPs honoured."""

from __future__ import annotations

from typing import Any

import pytest

from awsaudit.checks._view import AccountView
from awsaudit.checks.iam.policy_escalation import (
    iam_inline_policy_no_privilege_escalation,
    iam_policy_no_privilege_escalation,
)
from awsaudit.iam.escalation import ADMIN, analyse, policy_methods
from awsaudit.iam.policy import parse_policy
from awsaudit.iam.principals import build
from awsaudit.model import Severity, Status
from tests.checks.cases import Case
from tests.checks.test_iam_privileges import (
    ADMIN_DOC,
    ADMINS,
    ALICE,
    APP_ADMIN,
    CUSTOM_ARN,
    EC2_TRUST,
    ID,
    POLICIES,
    WEB,
    account,
    allow,
    doc,
    managed,
    role,
    user,
)

PASS_ANY = doc(allow(["iam:PassRole", "ec2:RunInstances"]))
PASS_WEB_ONLY = doc(allow("iam:PassRole", f"arn:aws:iam::{ID}:role/acme-web-*"), allow("ec2:RunInstances"))
SELF_SERVICE = doc(allow(["iam:CreateAccessKey", "iam:UpdateLoginProfile", "iam:ListAccessKeys"],
                         "arn:aws:iam::*:user/${aws:username}"))
BUCKET_EVERYTHING = doc(allow("*", ["arn:aws:s3:::acme-data", "arn:aws:s3:::acme-data/*"]))
POLICY_VERSION = doc(allow("iam:CreatePolicyVersion", f"arn:aws:iam::{ID}:policy/*"))


def with_policy(document: Any, attachments: int = 1, roles: list[Any] | None = None) -> tuple[Any, Any]:
    policy = managed(CUSTOM_ARN, document, attachments)
    holder = user("ops", attached=(CUSTOM_ARN,) if attachments else ())
    return policy, account(users=[ALICE, holder], roles=roles, groups=[ADMINS], policies=[*POLICIES, policy])


def inline(document: Any, roles: list[Any] | None = None) -> Any:
    return account(users=[ALICE, user("ops", inline=document)], roles=roles, groups=[ADMINS])


P, INL = iam_policy_no_privilege_escalation, iam_inline_policy_no_privilege_escalation
CASES = [
    Case(P, Status.FAIL, "passrole-to-admin-instance-role",
         *with_policy(PASS_ANY)),
    Case(P, Status.FAIL, "create-policy-version", *with_policy(POLICY_VERSION)),
    Case(P, Status.PASS, "passrole-limited-to-low-privilege-roles",
         *with_policy(PASS_WEB_ONLY)),
    Case(P, Status.PASS, "passrole-but-no-privileged-role-exists",
         *with_policy(PASS_ANY, roles=[WEB])),
    Case(P, Status.PASS, "self-service-credentials", *with_policy(SELF_SERVICE)),
    Case(P, Status.PASS, "everything-on-one-bucket",
         *with_policy(BUCKET_EVERYTHING)),
    Case(P, Status.UNKNOWN, "roles-not-collected",
         managed(CUSTOM_ARN, PASS_ANY), account(drop="roles")),
    Case(INL, Status.FAIL, "inline-passrole-to-admin", inline(PASS_ANY)),
    Case(INL, Status.PASS, "inline-passrole-limited",
         inline(PASS_WEB_ONLY)),
    Case(INL, Status.UNKNOWN, "users-not-collected", account(drop="users")),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


def test_the_finding_names_the_methods_and_what_they_reach() -> None:
    policy, acct = with_policy(PASS_ANY)
    outcome = iam_policy_no_privilege_escalation.evaluate(policy, acct)
    assert "CreateEC2WithExistingIP" in outcome.message
    reached = {m["method"]: m["reaches"] for m in outcome.evidence["methods"]}
    assert reached["CreateEC2WithExistingIP"] == ["role/acme-ec2-admin"]
    [ec2] = [m for m in outcome.evidence["methods"] if m["method"] == "CreateEC2WithExistingIP"]
    assert ec2["permissions"][0] == (
        "iam:PassRole on role/acme-ec2-admin (iam:PassedToService=ec2.amazonaws.com)")
    assert outcome.severity is None  # attached: the check's own (high)


def test_an_unattached_escalation_policy_is_a_low_finding() -> None:
    policy, acct = with_policy(POLICY_VERSION, attachments=0)
    outcome = iam_policy_no_privilege_escalation.evaluate(policy, acct)
    assert outcome.status is Status.FAIL and outcome.severity is Severity.LOW
    assert "dormant" in outcome.message


def test_an_admin_policy_is_left_to_the_admin_check() -> None:
    policy, acct = with_policy(ADMIN_DOC)
    outcome = iam_policy_no_privilege_escalation.evaluate(policy, acct)
    assert outcome.status is Status.PASS and "iam_policy_no_admin_privileges" in outcome.message


def test_each_inline_offender_is_its_own_finding() -> None:
    acct = inline(PASS_ANY)
    found = iam_inline_policy_no_privilege_escalation.run(acct, AccountView.of(acct), None)
    assert [o.resource for o in found[1:]] == [f"arn:aws:iam::{ID}:user/ops#inline-policy/ops-inline"]


# --- permission boundaries and SCPs take part in the account analysis


BOUNDARY_ARN = f"arn:aws:iam::{ID}:policy/acme-boundary"


def _bounded_role(boundary_doc: Any) -> tuple[Any, Any]:
    """A role that may attach policies to itself, held inside a permissions boundary."""
    self_attach = role("acme-ops-bot", EC2_TRUST, inline=doc(allow("iam:AttachRolePolicy")))
    self_attach["PermissionsBoundary"] = {"PermissionsBoundaryArn": BOUNDARY_ARN}
    return self_attach, account(users=[ALICE], roles=[self_attach], groups=[ADMINS],
                                policies=[*POLICIES, managed(BOUNDARY_ARN, boundary_doc)])


def test_a_boundary_allowing_everything_does_not_stop_self_attach() -> None:
    bot, acct = _bounded_role(ADMIN_DOC)
    model = build(acct["global"]["iam"], ID)
    assert analyse(model).path(bot["Arn"]) is not None


def test_a_narrow_boundary_stops_self_attach() -> None:
    bot, acct = _bounded_role(doc(allow(["iam:AttachRolePolicy", "s3:GetObject"])))
    model = build(acct["global"]["iam"], ID)
    assert analyse(model).path(bot["Arn"]) is None


def test_an_scp_denying_passrole_removes_the_policy_method() -> None:
    _, acct = with_policy(PASS_ANY)
    scp = parse_policy(doc(allow("*"), {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"}), "scp")
    model = build(acct["global"]["iam"], ID, scps=((scp,),))
    analysis = analyse(model)
    assert policy_methods(model.managed[CUSTOM_ARN].default, analysis) == []  # type: ignore[arg-type]
    unscoped = analyse(build(acct["global"]["iam"], ID))
    assert [m.method.name for m in policy_methods(model.managed[CUSTOM_ARN].default, unscoped)] == [  # type: ignore[arg-type]
        "CreateEC2WithExistingIP"]
    # Nobody is administrator under that SCP (every action includes iam:PassRole).
    assert ADMIN in analysis.graph and APP_ADMIN["Arn"] not in analysis.admins


S3_ONLY = doc(allow("s3:*"))
DENY_IAM_SCP = doc(allow("*"), {"Effect": "Deny", "Action": "iam:*", "Resource": "*"})


def _bounded_admin(boundary_doc: Any = S3_ONLY) -> tuple[Any, Any]:
    """An administrator user (AdministratorAccess through the Admins group) inside a boundary."""
    bounded = user("boxed.admin", groups=("Admins",))
    bounded["PermissionsBoundary"] = {"PermissionsBoundaryArn": BOUNDARY_ARN}
    return bounded, account(users=[bounded], roles=[], groups=[ADMINS],
                            policies=[*POLICIES, managed(BOUNDARY_ARN, boundary_doc)])


@pytest.mark.parametrize("limit", ["boundary", "scp"])
def test_every_account_analysis_applies_the_boundary_and_the_scps(limit: str) -> None:
    """Admin, separation of duties, escalation and who-can all see the same capped permissions."""
    from awsaudit.checks.iam.privileges import iam_user_not_admin, iam_user_separation_of_duties  # noqa: PLC0415
    from awsaudit.cli.iam import _ask  # noqa: PLC0415

    if limit == "boundary":
        bounded, acct = _bounded_admin()
        model = build(acct["global"]["iam"], ID)
    else:
        bounded, acct = user("alice.martin", groups=("Admins",)), account(users=[ALICE], roles=[])
        model = build(acct["global"]["iam"], ID, scps=((parse_policy(DENY_IAM_SCP, "scp"),),))
    entity = model.find(f"user/{bounded['UserName']}")
    assert entity is not None
    assert not model.everything(entity)
    assert _ask(entity, model, "iam:CreateUser", None) is None
    assert analyse(model).path(entity.arn) is None
    if limit == "boundary":  # the checks build their own model (SCPs arrive with the organization)
        assert iam_user_not_admin.evaluate(bounded, acct).status is Status.PASS
        assert iam_user_separation_of_duties.evaluate(bounded, acct).status is Status.PASS


def test_joining_a_group_is_escalation_only_towards_an_admin_group() -> None:
    join = doc(allow("iam:AddUserToGroup", f"arn:aws:iam::{ID}:group/*"))
    policy, acct = with_policy(join)
    outcome = iam_policy_no_privilege_escalation.evaluate(policy, acct)
    assert outcome.status is Status.FAIL
    assert outcome.evidence["methods"][0]["reaches"] == ["group/Admins"]
    policy, acct = with_policy(doc(allow("iam:AddUserToGroup", f"arn:aws:iam::{ID}:group/ReadOnly")))
    assert iam_policy_no_privilege_escalation.evaluate(policy, acct).status is Status.PASS
