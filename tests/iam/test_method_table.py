"""The whole method table against resource-scoped and condition-scoped variants of its actions.

Every method (iam-privesc-methods.md, part 1) is granted by a policy holding exactly its actions on
"*"; then the same actions limited to a resource of the wrong type (one S3 bucket), limited by a
condition the principal does not meet, or by one it might meet. A method applies only when its
actions are allowed on resources of the type it needs, so the bucket-scoped variant grants none.
"""

from __future__ import annotations

from typing import Any

import pytest

from awsaudit.iam.conditions import Context
from awsaudit.iam.escalation import analyse, available_methods, policy_methods
from awsaudit.iam.evaluate import Caller, PolicySet
from awsaudit.iam.methods import METHODS, Method
from awsaudit.iam.policy import parse_policy
from awsaudit.iam.principals import build

ACCOUNT = "123456789012"
CALLER = Caller(f"arn:aws:iam::{ACCOUNT}:user/holder", ACCOUNT, "user")
CONTEXT = Context.of({"aws:username": "holder", "aws:PrincipalArn": CALLER.arn,
                      "aws:PrincipalAccount": ACCOUNT, "aws:PrincipalTag/team": "web"},
                     open=True, known=("aws:username", "aws:principaltag/"))
BUCKET = "arn:aws:s3:::acme-reports"
DETECTED = [m for m in METHODS if m.name != "AssumeRole"]


def _actions(method: Method) -> list[str]:
    return [need.actions[0] for need in method.needs]


def _policy(actions: Any, resource: Any = "*", condition: dict[str, Any] | None = None) -> PolicySet:
    stmt: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resource}
    if condition:
        stmt["Condition"] = condition
    return PolicySet(identity=(parse_policy({"Version": "2012-10-17", "Statement": [stmt]}, "p"),))


def _found(policies: PolicySet) -> dict[str, list[str]]:
    """Method name -> the permissions it uses (`action on resource`)."""
    return {m.name: used for m, used in available_methods(policies, CONTEXT, CALLER)}


@pytest.mark.parametrize("method", DETECTED, ids=lambda m: f"{m.number:02d}-{m.name}")
class TestEveryMethod:
    def test_its_actions_on_every_resource_grant_it(self, method: Method) -> None:
        assert method.name in _found(_policy(_actions(method)))

    def test_its_actions_on_one_bucket_grant_nothing(self, method: Method) -> None:
        found = _found(_policy(_actions(method), BUCKET))
        assert method.name not in found, found

    def test_a_condition_the_principal_does_not_meet_grants_nothing(self, method: Method) -> None:
        condition = {"StringEquals": {"aws:PrincipalTag/team": "security"}}
        assert method.name not in _found(_policy(_actions(method), condition=condition))

    def test_a_condition_it_might_meet_still_grants_it(self, method: Method) -> None:
        condition = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
        assert method.name in _found(_policy(_actions(method), condition=condition))

    def test_one_missing_action_grants_nothing(self, method: Method) -> None:
        actions = _actions(method)
        # A single-action method without its action: a policy granting only an unrelated read.
        assert method.name not in _found(_policy(actions[1:] or ["s3:ListAllMyBuckets"]))


def test_everything_on_one_bucket_grants_no_method() -> None:
    assert _found(_policy("*", [BUCKET, f"{BUCKET}/*"])) == {}


def test_assume_role_alone_is_no_method() -> None:
    """sts:AssumeRole needs the target's trust policy: a graph edge, never a method by itself."""
    assert "AssumeRole" not in _found(_policy("sts:AssumeRole"))


def test_self_only_iam_actions_are_no_other_user_method() -> None:
    self_only = f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"
    found = _found(_policy(["iam:CreateAccessKey", "iam:UpdateLoginProfile"], self_only))
    assert "CreateAccessKey" not in found and "UpdateLoginProfile" not in found


def test_pass_role_for_another_service_grants_no_ec2_method() -> None:
    condition = {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
    policies = PolicySet(identity=(*_policy(["ec2:RunInstances", "lambda:CreateFunction",
                                             "lambda:InvokeFunction"]).identity,
                                   *_policy("iam:PassRole", condition=condition).identity))
    found = _found(policies)
    assert "CreateEC2WithExistingIP" not in found and "PassExistingRoleToNewLambdaThenInvoke" in found


# --- the same table, judged on one policy inside an account (escalation.policy_methods)

ADMIN_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _account() -> Any:
    """An administrator role behind every service a method reaches (EC2 ones in an instance
    profile), an administrator user to take over, and an administrators group to join."""
    roles = []
    for service in sorted({m.service for m in METHODS if m.service}):
        name = "admin-" + service.split(".")[0]
        arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
        roles.append({"RoleName": name, "Arn": arn, "Path": "/", "RolePolicyList": [
            {"PolicyName": "all", "PolicyDocument": ADMIN_DOC}], "AttachedManagedPolicies": [],
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]},
            "InstanceProfileList": [{"InstanceProfileName": name}] if service == "ec2.amazonaws.com" else []})
    users = [{"UserName": "root-like", "Arn": f"arn:aws:iam::{ACCOUNT}:user/root-like", "Path": "/",
              "UserPolicyList": [{"PolicyName": "all", "PolicyDocument": ADMIN_DOC}],
              "AttachedManagedPolicies": [], "GroupList": []}]
    groups = [{"GroupName": "ops", "Arn": f"arn:aws:iam::{ACCOUNT}:group/ops",
               "GroupPolicyList": [{"PolicyName": "all", "PolicyDocument": ADMIN_DOC}],
               "AttachedManagedPolicies": []}]
    return analyse(build({"users": users, "roles": roles, "groups": groups, "policies": []}, ACCOUNT))


ANALYSIS = _account()


def _doc(actions: Any, resource: Any = "*") -> Any:
    return parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": resource}]}, "p")


@pytest.mark.parametrize("method", DETECTED, ids=lambda m: f"{m.number:02d}-{m.name}")
def test_a_policy_with_the_method_actions_grants_it_in_the_account(method: Method) -> None:
    found = {pm.method.name for pm in policy_methods(_doc(_actions(method)), ANALYSIS)}
    assert method.name in found
    scoped = policy_methods(_doc(_actions(method), BUCKET), ANALYSIS)
    assert method.name not in {pm.method.name for pm in scoped}
