"""Multi-account snapshots built in memory: a management shard (as the organizations collector
leaves it) and member shards, for the organization context and the org-level checks."""

from __future__ import annotations

from typing import Any

from awsaudit.checks._org_context import OrgContext, context_of
from awsaudit.checks._view import AccountView
from awsaudit.model import Json
from tests.checks.test_account import (
    ACCOUNTS,
    ALLOW_ALL,
    FULL_ACCESS,
    MGMT,
    OUS,
    PROD,
    RCP,
    ROOT,
    SCP,
    SECURITY,
    STAGING,
    member_view,
    organization,
    policy,
    scan,
)

__all__ = ["ACCOUNTS", "ALLOW_ALL", "FULL_ACCESS", "MGMT", "OUS", "PROD", "RCP", "ROOT", "SCP", "SECURITY",
           "STAGING", "organization", "policy", "scan"]

ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
BOTH_TYPES: Json = {**ROOT, "PolicyTypes": [{"Type": SCP, "Status": "ENABLED"},
                                            {"Type": RCP, "Status": "ENABLED"}]}
FULL_EVERYWHERE = policy("FullAWSAccess", "r-root", *(o["Id"] for o in OUS), *(a["Id"] for a in ACCOUNTS),
                         content=ALLOW_ALL, managed=True)
"""FullAWSAccess as AWS attaches it by default: on the root, every OU and every account."""
RCP_FULL = policy("RCPFullAWSAccess", "r-root", content=ALLOW_ALL, kind=RCP, managed=True)
DENY_IAM: Json = {"Version": "2012-10-17",
                  "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}


def doc(*statements: Json) -> Json:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def iam(account_id: str, *users: Json, policies: tuple[Json, ...] = ()) -> Json:
    """An IAM collection: the users given, the AdministratorAccess managed policy, no roles."""
    admin = {"Arn": ADMIN_ARN, "_arn": ADMIN_ARN, "PolicyName": "AdministratorAccess",
             "DefaultVersionId": "v1",
             "AttachmentCount": 1, "PolicyVersionList": [
                 {"VersionId": "v1", "IsDefaultVersion": True, "Document": ALLOW_ALL}]}
    return {"users": [dict(u, Arn=u["Arn"].replace("ACCOUNT", account_id),
                           _arn=u["Arn"].replace("ACCOUNT", account_id)) for u in users],
            "groups": [], "roles": [], "policies": [admin, *policies]}


def user(name: str, *, attached: tuple[str, ...] = (), inline: Json | None = None) -> Json:
    return {"UserName": name, "Arn": f"arn:aws:iam::ACCOUNT:user/{name}", "Path": "/",
            "UserId": f"AIDA{name}",
            "UserPolicyList": [{"PolicyName": f"{name}-inline", "PolicyDocument": inline}] if inline else [],
            "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a}
                                        for a in attached],
            "GroupList": [], "Tags": []}


def member_shard(account_id: str, regions: Json | None = None, **global_services: Json) -> Json:
    """What a member account's own scan collects: DescribeOrganization only, plus its services."""
    org = {"organization": member_view(), "_errors": dict.fromkeys(
        ("accounts", "organizational_units", "policies", "delegated_administrators"),
        "ManagementAccountOnly")}
    return {"account_id": account_id, "global": {"organizations": org, **global_services},
            "regions": regions if regions is not None else {}}


def snapshot(*shards: Json) -> Json:
    return {"kind": "awsaudit-snapshot", "schema_version": 2, "tool_version": "test",
            "collected_at": "2026-12-01T00:00:00+00:00", "partition": "aws",
            "accounts": {s["account_id"]: s for s in shards}}


def org_snapshot(*members: Json, management: Json | None = None, **scan_args: Any) -> Json:
    """The management shard (scan(**scan_args) unless given) and the member shards."""
    return snapshot(management if management is not None else scan(**scan_args), *members)


def context(snap: Json) -> OrgContext:
    found = context_of(snap)
    assert found is not None
    return found


def view(snap: Json, account_id: str) -> AccountView:
    """The account's view as the engine builds it, with the snapshot's organization context."""
    return AccountView(account_id, snap["accounts"][account_id], "aws", None, context_of(snap))
