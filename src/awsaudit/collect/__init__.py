"""Collectors: one module per AWS service, each a function `collect(ctx) -> Json`.

COLLECTORS is the table the scanner runs. Each entry says whether the service is
global (collected once, from the home region) or regional, which collections it
produces (checks name them in `over=`), and the read-only IAM actions it calls
(from which the least-privilege policy for the scan is derived).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

# One line per collector module; each declares SCOPE, PRODUCES, ACTIONS and collect(ctx).
from awsaudit.collect import accessanalyzer as _accessanalyzer
from awsaudit.collect import account as _account
from awsaudit.collect import awslambda as _awslambda
from awsaudit.collect import budgets as _budgets
from awsaudit.collect import cloudtrail as _cloudtrail
from awsaudit.collect import cloudwatch as _cloudwatch
from awsaudit.collect import config as _config
from awsaudit.collect import ec2 as _ec2
from awsaudit.collect import efs as _efs
from awsaudit.collect import elbv2 as _elbv2
from awsaudit.collect import iam as _iam
from awsaudit.collect import kms as _kms
from awsaudit.collect import logs as _logs
from awsaudit.collect import macie2 as _macie2
from awsaudit.collect import organizations as _organizations
from awsaudit.collect import rds as _rds
from awsaudit.collect import s3 as _s3
from awsaudit.collect import securityhub as _securityhub
from awsaudit.collect import sns as _sns
from awsaudit.collect import sqs as _sqs
from awsaudit.collect._call import Context
from awsaudit.model import Json


@dataclass(frozen=True, slots=True)
class Collector:
    service: str
    scope: str  # "global" or "regional"
    func: Callable[[Context], Json]
    produces: tuple[str, ...]
    actions: tuple[str, ...]


MODULES: tuple[ModuleType, ...] = (
    _iam,
    _s3,
    _ec2,
    _elbv2,
    _cloudtrail,
    _config,
    _kms,
    _securityhub,
    _accessanalyzer,
    _rds,
    _efs,
    _logs,
    _cloudwatch,
    _sns,
    _sqs,
    _awslambda,
    _macie2,
    _organizations,
    _budgets,
    _account,
)


def _collector(module: ModuleType) -> Collector:
    # A module may name its service when the name is a Python keyword (awslambda for lambda).
    service = getattr(module, "SERVICE", module.__name__.rsplit(".", 1)[-1])
    if module.SCOPE not in {"global", "regional"}:
        raise ValueError(f"collector {service}: SCOPE must be 'global' or 'regional'")
    return Collector(service, module.SCOPE, module.collect, tuple(module.PRODUCES), tuple(module.ACTIONS))


COLLECTORS: dict[str, Collector] = {c.service: c for c in map(_collector, MODULES)}


IAM_PREFIX = {"monitoring": "cloudwatch"}
"""Signing names whose IAM action prefix differs (CloudWatch signs as `monitoring`)."""

IAM_ACTION_FOR = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "GetBucketPolicyStatus"): "s3:GetBucketPolicyStatus",
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
    ("budgets", "DescribeBudgets"): "budgets:ViewBudget",
    ("budgets", "DescribeNotificationsForBudget"): "budgets:ViewBudget",
    ("budgets", "DescribeSubscribersForNotification"): "budgets:ViewBudget",
}
"""Operations whose IAM action is not `<prefix>:<Operation>` (AWS service authorization reference)."""


def iam_action(service_name: str, signing_name: str, operation: str) -> str:
    """The IAM action that authorizes an API operation (service_name is botocore's, e.g. `s3control`)."""
    if (service_name, operation) in IAM_ACTION_FOR:
        return IAM_ACTION_FOR[(service_name, operation)]
    return f"{IAM_PREFIX.get(signing_name, signing_name)}:{operation}"


def required_actions() -> list[str]:
    """Every IAM action the collectors may call: the scan's least-privilege policy."""
    base = {"sts:GetCallerIdentity", "ec2:DescribeRegions"}
    return sorted(base.union(*(c.actions for c in COLLECTORS.values())))


ORGANIZATION_ACTIONS = (
    "organizations:DescribeOrganization",
    "organizations:ListAccounts",
    "organizations:ListAccountsForParent",
    "organizations:ListOrganizationalUnitsForParent",
)
"""What `scan --organization` calls in the caller's account to plan the scan (read-only)."""


def organization_policy(role_name: str, partition: str = "aws") -> Json:
    """The caller's policy for `scan --organization`: its own audit, the listing of the accounts,
    and assuming the audit role in each member (whose policy is `collector_policy()`).
    sts:AssumeRole is the one action that is not a read: it changes nothing in any account."""
    policy = collector_policy()
    policy["Statement"] += [
        {"Sid": "AwsauditListAccounts", "Effect": "Allow", "Action": list(ORGANIZATION_ACTIONS),
         "Resource": "*"},
        {"Sid": "AwsauditAssumeMemberRole", "Effect": "Allow", "Action": "sts:AssumeRole",
         "Resource": f"arn:{partition}:iam::*:role/{role_name}"},
    ]
    return policy


def collector_policy() -> Json:
    """The IAM policy document granting exactly what the collectors call."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AwsauditReadOnly", "Effect": "Allow", "Action": required_actions(), "Resource": "*"}
        ],
    }
