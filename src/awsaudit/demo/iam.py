"""Acme Corp's IAM: a small team that grew faster than its access management.

The good: most people sign in with MFA and get permissions from groups. The bad, as found in
real audits: a weak password policy, a developer and a finance user without MFA, policies
attached straight to users, a Terraform user holding AdministratorAccess through an access key,
and a CI role trusted by another account that carries an `Action: "*"` policy.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import boto3

CI_ACCOUNT = "210987654321"
"""Acme's separate tooling account, where the CI runners live."""

AWS_POLICY = "arn:aws:iam::aws:policy/"
VERSION = "2012-10-17"

GROUPS: dict[str, tuple[str, ...]] = {
    "Admins": (f"{AWS_POLICY}AdministratorAccess",),
    "Developers": (f"{AWS_POLICY}PowerUserAccess",),
    "ReadOnly": (f"{AWS_POLICY}ReadOnlyAccess",),
}

# name -> (groups, console password, MFA device, access key, department)
USERS: dict[str, tuple[tuple[str, ...], bool, bool, bool, str]] = {
    "alice.martin": (("Admins",), True, True, False, "engineering"),
    "bob.nguyen": (("Developers",), True, False, True, "engineering"),
    "carol.schmidt": (("Developers",), True, True, False, "engineering"),
    "dave.okafor": (("ReadOnly",), True, False, False, "finance"),
    "erin.walsh": (("ReadOnly",), True, True, False, "support"),
    "svc-terraform": ((), False, False, True, "platform"),
    "svc-datadog": (("ReadOnly",), False, False, True, "platform"),
}


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": VERSION, "Statement": list(statements)})


def _allow(actions: list[str] | str, resources: list[str] | str = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def _trust(principal: dict[str, str]) -> str:
    return _doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


def build(session: boto3.Session, regions: Sequence[str]) -> None:
    iam = session.client("iam", region_name=regions[0])
    # Set up years ago from a blog post: 8 characters, numbers, and nothing against reuse.
    iam.update_account_password_policy(
        MinimumPasswordLength=8, RequireNumbers=True, RequireLowercaseCharacters=True,
        RequireUppercaseCharacters=False, RequireSymbols=False, AllowUsersToChangePassword=True,
    )
    policies = _customer_policies(iam)
    for group, arns in GROUPS.items():
        iam.create_group(GroupName=group)
        for arn in arns:
            iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    iam.attach_group_policy(GroupName="Developers", PolicyArn=policies["acme-deploy-ecs"])
    for name, (groups, console, mfa, key, department) in USERS.items():
        _user(iam, name, groups, console=console, mfa=mfa, key=key, department=department)

    # Shortcuts someone took "just for now".
    iam.attach_user_policy(UserName="dave.okafor", PolicyArn=policies["acme-billing-readonly"])
    iam.attach_user_policy(UserName="svc-terraform", PolicyArn=f"{AWS_POLICY}AdministratorAccess")
    iam.put_user_policy(
        UserName="carol.schmidt", PolicyName="debug-prod-uploads",
        PolicyDocument=_doc(_allow(["s3:GetObject", "s3:ListBucket"],
                                   ["arn:aws:s3:::acme-prod-uploads", "arn:aws:s3:::acme-prod-uploads/*"])),
    )
    _roles(iam, policies)


def _customer_policies(iam: Any) -> dict[str, str]:
    documents = {
        # Created by a contractor to unblock the CI pipeline; never scoped down.
        "acme-full-admin": (_doc(_allow("*")), "Temporary full access for CI"),
        "acme-deploy-ecs": (_doc(
            _allow(["ecs:UpdateService", "ecs:DescribeServices", "ecs:RegisterTaskDefinition"]),
            _allow(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:PutImage",
                    "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"],
                   "arn:aws:ecr:*:*:repository/acme-*"),
            _allow("iam:PassRole", "arn:aws:iam::*:role/acme-*-task"),
        ), "Deploy Acme services to ECS"),
        "acme-billing-readonly": (_doc(_allow(["ce:Get*", "ce:Describe*", "budgets:View*", "cur:Describe*"])),
                                  "Read cost and usage data"),
        "acme-billing-export": (_doc(
            _allow(["ce:GetCostAndUsage"]),
            _allow("s3:PutObject", "arn:aws:s3:::acme-billing-reports/*"),
        ), "Nightly cost export to S3"),
    }
    created = {name: iam.create_policy(PolicyName=name, PolicyDocument=document, Description=description)
               for name, (document, description) in documents.items()}
    return {name: response["Policy"]["Arn"] for name, response in created.items()}


def _user(iam: Any, name: str, groups: tuple[str, ...], *, console: bool, mfa: bool, key: bool,
          department: str) -> None:
    iam.create_user(UserName=name, Tags=[{"Key": "department", "Value": department}])
    for group in groups:
        iam.add_user_to_group(GroupName=group, UserName=name)
    if console:
        iam.create_login_profile(UserName=name, Password=f"Demo-{name}-Pa55!")
    if mfa:
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
        iam.enable_mfa_device(UserName=name, SerialNumber=device["SerialNumber"],
                              AuthenticationCode1="123456", AuthenticationCode2="654321")
    if key:
        iam.create_access_key(UserName=name)


def _roles(iam: Any, policies: dict[str, str]) -> None:
    iam.create_role(RoleName="acme-staging-worker", Description="Staging batch workers on EC2",
                    AssumeRolePolicyDocument=_trust({"Service": "ec2.amazonaws.com"}))
    for managed in ("AmazonSSMManagedInstanceCore", "CloudWatchAgentServerPolicy"):
        iam.attach_role_policy(RoleName="acme-staging-worker", PolicyArn=f"{AWS_POLICY}{managed}")
    iam.create_instance_profile(InstanceProfileName="acme-staging-worker")
    iam.add_role_to_instance_profile(InstanceProfileName="acme-staging-worker",
                                     RoleName="acme-staging-worker")

    # Any principal of the tooling account may assume it: no ExternalId, no condition.
    iam.create_role(RoleName="acme-ci-deploy", Description="Assumed by CI runners in the tooling account",
                    AssumeRolePolicyDocument=_trust({"AWS": f"arn:aws:iam::{CI_ACCOUNT}:root"}))
    iam.attach_role_policy(RoleName="acme-ci-deploy", PolicyArn=policies["acme-full-admin"])

    iam.create_role(RoleName="acme-billing-exporter", Description="Lambda exporting daily costs",
                    AssumeRolePolicyDocument=_trust({"Service": "lambda.amazonaws.com"}))
    iam.attach_role_policy(RoleName="acme-billing-exporter",
                           PolicyArn=f"{AWS_POLICY}service-role/AWSLambdaBasicExecutionRole")
    iam.attach_role_policy(RoleName="acme-billing-exporter", PolicyArn=policies["acme-billing-export"])
