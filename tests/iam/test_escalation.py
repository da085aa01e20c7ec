"""Privilege escalation and separation of duties on an account built in moto and collected for real.

One attacker per method holds exactly that method's actions; each must get an edge named after
the method and a path to administrator. Negative cases show that resource constraints,
iam:PassedToService conditions and permissions boundaries are honoured.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from awsaudit.collect.scan import ScanOptions, scan_account
from awsaudit.iam.duties import duties
from awsaudit.iam.escalation import ADMIN, Analysis, analyse
from awsaudit.iam.methods import METHODS, Method
from awsaudit.iam.principals import IamAccount, build
from awsaudit.model import Json

REGION = "eu-west-1"
ACCOUNT = "123456789012"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
       "AWS_DEFAULT_REGION": REGION, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
ROLE_ATTACKERS = {"AttachRolePolicy", "PutRolePolicy"}
GROUP_ATTACKERS = {"AttachGroupPolicy", "PutGroupPolicy"}


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource, **extra}


def trust(principal: dict[str, Any]) -> str:
    return document({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


def method_actions(method: Method) -> list[str]:
    return [need.actions[0] for need in method.needs]


def attacker_name(method: Method) -> str:
    return f"attacker-{method.number:02d}"


def _build_account(iam: Any) -> None:
    iam.create_group(GroupName="Admins")
    iam.attach_group_policy(GroupName="Admins", PolicyArn=ADMIN_POLICY)
    for name in ("alice.martin", "carol.admin"):
        iam.create_user(UserName=name)
        iam.add_user_to_group(GroupName="Admins", UserName=name)
    iam.create_login_profile(UserName="carol.admin", Password="Correct-Horse-9!")
    # An administrator role behind every service a method reaches; EC2 ones in an instance profile.
    for service in sorted({m.service for m in METHODS if m.service}):
        name = "svc-admin-" + service.split(".")[0]
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust({"Service": service}))
        iam.attach_role_policy(RoleName=name, PolicyArn=ADMIN_POLICY)
        if service == "ec2.amazonaws.com":
            iam.create_instance_profile(InstanceProfileName=name)
            iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    iam.create_role(RoleName="break-glass",
                    AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    iam.attach_role_policy(RoleName="break-glass", PolicyArn=ADMIN_POLICY)
    # A harmless web role: passing it to EC2 is no escalation.
    iam.create_role(RoleName="acme-web-app", AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    iam.put_role_policy(RoleName="acme-web-app", PolicyName="read",
                        PolicyDocument=document(allow("s3:GetObject", "arn:aws:s3:::acme-web/*")))
    iam.create_instance_profile(InstanceProfileName="acme-web-app")
    iam.add_role_to_instance_profile(InstanceProfileName="acme-web-app", RoleName="acme-web-app")


def _attackers(iam: Any) -> None:
    for method in METHODS:
        name = attacker_name(method)
        policy = document(allow(method_actions(method)))
        if method.name in ROLE_ATTACKERS:
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
            iam.put_role_policy(RoleName=name, PolicyName="ops", PolicyDocument=policy)
            continue
        iam.create_user(UserName=name)
        if method.name in GROUP_ATTACKERS:
            iam.create_group(GroupName=f"devs-{name}")
            iam.add_user_to_group(GroupName=f"devs-{name}", UserName=name)
            iam.put_user_policy(UserName=name, PolicyName="ops", PolicyDocument=policy)
        elif method.name in ("CreateNewPolicyVersion", "SetExistingDefaultPolicyVersion"):
            arn = iam.create_policy(PolicyName=f"acme-{name}", PolicyDocument=policy)["Policy"]["Arn"]
            if method.name == "SetExistingDefaultPolicyVersion":
                iam.create_policy_version(PolicyArn=arn, PolicyDocument=document(allow("*")),
                                          SetAsDefault=False)
            iam.attach_user_policy(UserName=name, PolicyArn=arn)
        else:
            iam.put_user_policy(UserName=name, PolicyName="ops", PolicyDocument=policy)


def _negative_cases(iam: Any) -> None:
    iam.create_user(UserName="deploy-scoped")
    iam.put_user_policy(UserName="deploy-scoped", PolicyName="ops", PolicyDocument=document(
        allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/acme-web-*"), allow("ec2:RunInstances")))
    iam.create_user(UserName="deploy-lambda-only")
    iam.put_user_policy(UserName="deploy-lambda-only", PolicyName="ops", PolicyDocument=document(
        allow("iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}),
        allow("ec2:RunInstances")))
    boundary = iam.create_policy(PolicyName="acme-boundary-s3", PolicyDocument=document(
        allow(["s3:*", "iam:AttachRolePolicy"])))["Policy"]["Arn"]
    # moto 5.2 drops a user's PermissionsBoundary (GetUser, authorization details); a role keeps it.
    iam.create_role(RoleName="bounded-app", AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}),
                    PermissionsBoundary=boundary)
    iam.put_role_policy(RoleName="bounded-app", PolicyName="ops", PolicyDocument=document(
        allow("iam:AttachRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/bounded-app")))
    iam.create_user(UserName="admin-policy-denied")
    iam.put_user_policy(UserName="admin-policy-denied", PolicyName="ops", PolicyDocument=document(
        allow("iam:AttachUserPolicy", Condition={"ArnNotEquals": {"iam:PolicyARN": ADMIN_POLICY}})))
    # Separation of duties.
    iam.create_user(UserName="iam-master")
    iam.put_user_policy(UserName="iam-master", PolicyName="ops", PolicyDocument=document(
        allow(["iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:CreateRole"])))
    iam.create_user(UserName="iam-manager")
    iam.put_user_policy(UserName="iam-manager", PolicyName="ops", PolicyDocument=document(
        allow(["iam:CreateUser", "iam:AddUserToGroup"], ["arn:aws:iam::*:user/*",
              "arn:aws:iam::*:group/staff"])))
    iam.create_user(UserName="iam-both")
    iam.put_user_policy(UserName="iam-both", PolicyName="ops", PolicyDocument=document(
        allow(["iam:CreatePolicy", "iam:AddUserToGroup"])))


@pytest.fixture(scope="module")
def snapshot() -> Iterator[Json]:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in ENV.items():
            patch.setenv(key, value)
        patch.delenv("AWS_PROFILE", raising=False)
        with mock_aws():
            iam = boto3.client("iam", region_name=REGION)
            _build_account(iam)
            _attackers(iam)
            _negative_cases(iam)
            yield scan_account(boto3.Session(region_name=REGION),
                               ScanOptions(services=("iam",), regions=(REGION,)))


@pytest.fixture(scope="module")
def model(snapshot: Json) -> IamAccount:
    return build(snapshot["accounts"][ACCOUNT]["global"]["iam"], ACCOUNT)


@pytest.fixture(scope="module")
def analysis(model: IamAccount) -> Analysis:
    return analyse(model)


def arn(kind: str, name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:{kind}/{name}"


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.name)
def test_each_method_is_detected_with_a_path_to_admin(method: Method, analysis: Analysis) -> None:
    kind = "role" if method.name in ROLE_ATTACKERS else "user"
    attacker = arn(kind, attacker_name(method))
    assert method.name in {step.method for step in analysis.edges_from(attacker)}
    path = analysis.path(attacker)
    assert path is not None and path[-1].target == ADMIN
    assert not analysis.is_admin(attacker)


def test_path_names_the_permissions(analysis: Analysis) -> None:
    path = analysis.path(arn("user", "attacker-15"))
    assert path is not None
    assert [s.method for s in path] == ["CreateEC2WithExistingIP", "administrator"]
    assert path[0].target == arn("role", "svc-admin-ec2")
    assert ("iam:PassRole on arn:aws:iam::123456789012:role/svc-admin-ec2 "
            "(iam:PassedToService=ec2.amazonaws.com)") in path[0].permissions


def test_login_profile_methods_follow_the_target_password_state(analysis: Analysis) -> None:
    create = {s.target for s in analysis.edges_from(arn("user",
        "attacker-02")) if s.method == "CreateLoginProfile"}
    update = {s.target for s in analysis.edges_from(arn("user",
        "attacker-03")) if s.method == "UpdateLoginProfile"}
    assert arn("user", "alice.martin") in create and arn("user", "carol.admin") not in create
    assert arn("user", "carol.admin") in update and arn("user", "alice.martin") not in update


def test_passrole_limited_to_an_unprivileged_role_is_no_escalation(analysis: Analysis) -> None:
    steps = analysis.edges_from(arn("user", "deploy-scoped"))
    assert {s.target for s in steps} == {arn("role", "acme-web-app")}
    assert analysis.path(arn("user", "deploy-scoped")) is None


def test_passrole_conditioned_on_another_service_is_no_ec2_escalation(analysis: Analysis) -> None:
    assert analysis.edges_from(arn("user", "deploy-lambda-only")) == []
    assert analysis.path(arn("user", "deploy-lambda-only")) is None


def test_a_permissions_boundary_stops_attaching_admin_to_oneself(analysis: Analysis) -> None:
    assert "AttachRolePolicy" not in {s.method for s in analysis.edges_from(arn("role", "bounded-app"))}
    assert analysis.path(arn("role", "bounded-app")) is None


def test_attach_checked_with_the_administrator_policy_arn(analysis: Analysis) -> None:
    assert analysis.path(arn("user", "admin-policy-denied")) is None


def test_admins_are_admins_and_need_no_path(analysis: Analysis) -> None:
    assert analysis.is_admin(arn("user", "alice.martin"))
    assert analysis.is_admin(arn("role", "break-glass"))
    assert not analysis.is_admin(arn("role", "acme-web-app"))


@pytest.mark.parametrize(("name", "both"), [("iam-master", False), ("iam-manager", False), ("iam-both", True),
                                            ("alice.martin", True)])
def test_separation_of_duties(name: str, both: bool, model: IamAccount) -> None:
    entity = model.users[arn("user", name)]
    assert duties(entity, model).holds_both is both


def test_separation_of_duties_lists_what_each_side_holds(model: IamAccount) -> None:
    held = duties(model.users[arn("user", "iam-both")], model)
    assert set(held.define) == {"iam:CreatePolicy"}
    assert set(held.assign) == {"iam:AddUserToGroup"}
    master = duties(model.users[arn("user", "iam-master")], model)
    assert set(master.define) == {"iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:CreateRole"}
    assert master.assign == {}
