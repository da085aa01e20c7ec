"""The account model from collected IAM data: groups and managed policies joined, gaps recorded."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from awsaudit.iam.escalation import analyse
from awsaudit.iam.policy import parse_policy
from awsaudit.iam.principals import account_id_of, build
from awsaudit.iam.trust import grants

ID = "123456789012"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}


def user(name: str, **extra: Any) -> dict[str, Any]:
    return {"UserName": name, "Arn": f"arn:aws:iam::{ID}:user/{name}", "UserPolicyList": [],
            "AttachedManagedPolicies": [], "GroupList": [], **extra}


def iam(**collections: Any) -> dict[str, Any]:
    return {"users": [], "groups": [], "roles": [], "policies": [], **collections}


def test_user_gets_own_and_group_policies_including_url_encoded_documents() -> None:
    data = iam(
        users=[user("alice", GroupList=["Admins"],
                    UserPolicyList=[{"PolicyName": "own", "PolicyDocument": quote(json.dumps(READ))}])],
        groups=[{"GroupName": "Admins", "Arn": f"arn:aws:iam::{ID}:group/Admins", "GroupPolicyList": [],
                 "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN_ARN}]}],
        policies=[{"Arn": ADMIN_ARN, "PolicyName": "AdministratorAccess", "DefaultVersionId": "v1",
                   "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True, "Document": ADMIN}]}])
    model = build(data, ID)
    alice = model.users[f"arn:aws:iam::{ID}:user/alice"]
    assert [p.name for p in alice.policies] == ["user alice inline own",
        "group Admins managed AdministratorAccess"]
    assert alice.gaps == ()
    assert model.attached_to(ADMIN_ARN) == [alice]
    assert analyse(model).is_admin(alice.arn)


def test_missing_managed_policy_and_bad_document_are_gaps_not_silence() -> None:
    data = iam(users=[user("bob", AttachedManagedPolicies=[{"PolicyName": "x", "PolicyArn": ADMIN_ARN}],
                           UserPolicyList=[{"PolicyName": "broken", "PolicyDocument": {"Statement": {
                               "Effect": "Allow", "Resource": "*"}}}])])
    bob = build(data, ID).users[f"arn:aws:iam::{ID}:user/bob"]
    assert len(bob.gaps) == 2
    assert any("not collected" in g for g in bob.gaps) and any("missing Action" in g for g in bob.gaps)


def test_account_without_any_administrator_has_no_paths() -> None:
    model = build(iam(users=[user("carol", UserPolicyList=[{"PolicyName": "r",
        "PolicyDocument": READ}])]), ID)
    assert analyse(model).path(f"arn:aws:iam::{ID}:user/carol") is None


def test_find_by_arn_kind_and_name() -> None:
    model = build(iam(users=[user("dave")]), ID)
    arn = f"arn:aws:iam::{ID}:user/dave"
    assert model.find("dave") is model.find("user/dave") is model.find(arn) is model.users[arn]
    assert model.find("role/dave") is None


def test_account_id_from_data() -> None:
    assert account_id_of({"account": {"_arn": f"arn:aws:iam::{ID}:root"}}) == ID
    assert account_id_of(iam(users=[user("erin")])) == ID


def test_trust_grants_classify_principals() -> None:
    trust = parse_policy({"Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
            "AWS": [f"arn:aws:iam::{ID}:root", "arn:aws:iam::999988887777:role/ops"],
                "Service": "ec2.amazonaws.com"}},
        {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
            "Principal": {"Federated": "accounts.google.com"},
         "Condition": {"StringEquals": {"accounts.google.com:sub": "1234567890"}}},
        {"Effect": "Allow", "Action": "s3:GetObject", "Principal": "*"},
    ]}, "trust", "trust")
    kinds = [(g.kind, g.restricted) for g in grants(trust, ID)]
    assert kinds == [("same-account", True), ("cross-account", False), ("service", True), ("oidc", True)]
