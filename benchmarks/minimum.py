"""The fewest API calls a snapshot of the generated account needs, derived from the collectors' ACTIONS.

For every IAM action a registered collector declares (`awsaudit.collect.COLLECTORS`), COSTS says
which API operation it stands for and how many requests that operation needs, at the least, for
the inventory the server holds: a listing costs its pages at the largest page size the API allows
(an empty listing still costs one request); a per-resource call costs one request per resource
that needs it. Regional collectors pay per scanned region, global ones once. The scan itself adds
sts:GetCallerIdentity (one call; the regions are given, so no ec2:DescribeRegions).

What the minimum does NOT count, on purpose (each would be a call whose answer is already known):
- s3:GetBucketLocation when ListBuckets already gives each bucket's BucketRegion (AWS does since
  2024; moto 5.2 does not, so against moto it is one call per bucket);
- s3:GetBucketPolicyStatus for a bucket without a policy (GetBucketPolicy said NoSuchBucketPolicy);
- more than one GetAccountAuthorizationDetails pass: one unfiltered pass at MaxItems=1000 returns
  users, groups, roles and policies together.

An action without an entry in COSTS is assumed to cost one request per region (regional collector)
or one per scan (global), and is listed as "assumed" in the output: add it here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from benchmarks.accounts import Inventory

Counts = dict[str, int]
"""Inventory counts: the account's (global collectors) or one region's (regional collectors)."""


def pages(count: int, page_size: int) -> int:
    """Requests to list `count` items at `page_size` per page: an empty listing still costs one."""
    return max(1, math.ceil(count / page_size))


@dataclass(frozen=True)
class Cost:
    service: str  # botocore service name, as the server's counters name it
    operation: str  # API operation
    requests: Callable[[Counts, Inventory], int]
    why: str


def listing(service: str, operation: str, kind: str, page_size: int) -> Cost:
    return Cost(service, operation, lambda n, _inv: pages(n.get(kind, 0), page_size),
                f"ceil({kind} / {page_size}), at least 1")


def each(service: str, operation: str, kind: str) -> Cost:
    return Cost(service, operation, lambda n, _inv: n.get(kind, 0), f"1 per {kind}")


def once(service: str, operation: str) -> Cost:
    return Cost(service, operation, lambda _n, _inv: 1, "1")


def _iam_entities(n: Counts) -> int:
    return (n.get("users", 0) + n.get("groups", 0) + n.get("roles", 0) + n.get("customer_policies", 0)
            + n.get("aws_policies_in_use", 0))


def _org(operation: str, per: Callable[[Counts], int], why: str) -> Cost:
    """Organization listings are only possible (and needed) from the management account."""
    return Cost("organizations", operation,
                lambda n, inv: per(n) if inv.facts.get("organization_management") else 0,
                f"{why} from the management account, else 0")


def _bucket_locations(n: Counts, inv: Inventory) -> int:
    return 0 if inv.facts.get("list_buckets_has_region") else n.get("buckets", 0)


def _ec2(operation: str, kind: str, page_size: int = 1000) -> Cost:
    # Without MaxResults EC2 returns every item in one answer; with it, up to 1000 (100 for route tables).
    return listing("ec2", operation, kind, page_size)


COSTS: dict[str, Cost | tuple[Cost, ...]] = {
    # --- IAM (global)
    "iam:GetAccountAuthorizationDetails": Cost(
        "iam", "GetAccountAuthorizationDetails", lambda n, _inv: pages(_iam_entities(n), 1000),
        "ceil((users + groups + roles + customer policies + AWS policies in use) / 1000): "
        "one unfiltered pass"),
    "iam:GenerateCredentialReport": Cost(
        "iam", "GenerateCredentialReport",
        lambda _n, inv: 1 if inv.facts.get("credential_report_ready") else 2,
        "2 in a fresh account (STARTED, then COMPLETE; AWS may need more polls), 1 when a report exists"),
    "iam:GetCredentialReport": once("iam", "GetCredentialReport"),
    "iam:GetAccountPasswordPolicy": once("iam", "GetAccountPasswordPolicy"),
    "iam:GetAccountSummary": once("iam", "GetAccountSummary"),
    "iam:ListVirtualMFADevices": listing("iam", "ListVirtualMFADevices", "virtual_mfa_devices", 1000),
    "iam:ListSAMLProviders": once("iam", "ListSAMLProviders"),
    "iam:ListOpenIDConnectProviders": once("iam", "ListOpenIDConnectProviders"),
    "iam:GetOpenIDConnectProvider": each("iam", "GetOpenIDConnectProvider", "oidc_providers"),
    "iam:ListServerCertificates": listing("iam", "ListServerCertificates", "server_certificates", 1000),
    # --- S3 (global listing, per-bucket settings)
    "s3:ListAllMyBuckets": listing("s3", "ListBuckets", "buckets", 10000),
    "s3:GetBucketLocation": Cost("s3", "GetBucketLocation", _bucket_locations,
                                 "1 per bucket, 0 when ListBuckets gives BucketRegion"),
    "s3:GetBucketAcl": each("s3", "GetBucketAcl", "buckets"),
    "s3:GetBucketPolicy": each("s3", "GetBucketPolicy", "buckets"),
    "s3:GetBucketPolicyStatus": each("s3", "GetBucketPolicyStatus", "buckets_with_policy"),
    "s3:GetBucketPublicAccessBlock": each("s3", "GetPublicAccessBlock", "buckets"),
    "s3:GetEncryptionConfiguration": each("s3", "GetBucketEncryption", "buckets"),
    "s3:GetBucketVersioning": each("s3", "GetBucketVersioning", "buckets"),
    "s3:GetBucketLogging": each("s3", "GetBucketLogging", "buckets"),
    "s3:GetBucketOwnershipControls": each("s3", "GetBucketOwnershipControls", "buckets"),
    "s3:GetBucketTagging": each("s3", "GetBucketTagging", "buckets"),
    "s3:GetAccountPublicAccessBlock": once("s3control", "GetPublicAccessBlock"),
    # --- EC2 / VPC (regional)
    "ec2:DescribeSecurityGroups": _ec2("DescribeSecurityGroups", "security_groups"),
    "ec2:DescribeVpcs": _ec2("DescribeVpcs", "vpcs"),
    "ec2:DescribeSubnets": _ec2("DescribeSubnets", "subnets"),
    "ec2:DescribeRouteTables": _ec2("DescribeRouteTables", "route_tables", 100),
    "ec2:DescribeInternetGateways": _ec2("DescribeInternetGateways", "internet_gateways"),
    "ec2:DescribeNatGateways": _ec2("DescribeNatGateways", "nat_gateways"),
    "ec2:DescribeTransitGateways": _ec2("DescribeTransitGateways", "transit_gateways"),
    "ec2:DescribeTransitGatewayAttachments": _ec2("DescribeTransitGatewayAttachments",
                                                  "transit_gateway_attachments"),
    "ec2:DescribeVpcPeeringConnections": _ec2("DescribeVpcPeeringConnections", "vpc_peering_connections"),
    "ec2:DescribeVpcEndpoints": _ec2("DescribeVpcEndpoints", "vpc_endpoints"),
    "ec2:DescribeNetworkAcls": _ec2("DescribeNetworkAcls", "network_acls"),
    "ec2:DescribeFlowLogs": _ec2("DescribeFlowLogs", "flow_logs"),
    "ec2:DescribeNetworkInterfaces": _ec2("DescribeNetworkInterfaces", "network_interfaces"),
    "ec2:DescribeInstances": _ec2("DescribeInstances", "reservations"),
    "ec2:GetEbsEncryptionByDefault": once("ec2", "GetEbsEncryptionByDefault"),
    "ec2:GetEbsDefaultKmsKeyId": once("ec2", "GetEbsDefaultKmsKeyId"),
    # --- CloudTrail (regional; each trail's follow-ups in its home region)
    "cloudtrail:DescribeTrails": once("cloudtrail", "DescribeTrails"),
    "cloudtrail:GetTrailStatus": each("cloudtrail", "GetTrailStatus", "trails_homed"),
    "cloudtrail:GetEventSelectors": each("cloudtrail", "GetEventSelectors", "trails_homed"),
    # --- monitoring (regional)
    "logs:DescribeLogGroups": listing("logs", "DescribeLogGroups", "log_groups", 50),
    "logs:DescribeMetricFilters": listing("logs", "DescribeMetricFilters", "metric_filters", 50),
    "cloudwatch:DescribeAlarms": listing("cloudwatch", "DescribeAlarms", "alarms", 100),
    "sns:ListTopics": listing("sns", "ListTopics", "topics", 100),
    "sns:ListSubscriptions": listing("sns", "ListSubscriptions", "subscriptions", 100),
    "sns:GetTopicAttributes": each("sns", "GetTopicAttributes", "topics"),
    "config:DescribeConfigurationRecorders": once("config", "DescribeConfigurationRecorders"),
    "config:DescribeConfigurationRecorderStatus": once("config", "DescribeConfigurationRecorderStatus"),
    "config:DescribeDeliveryChannels": once("config", "DescribeDeliveryChannels"),
    "config:DescribeConfigurationAggregators": once("config", "DescribeConfigurationAggregators"),
    "config:DescribeDeliveryChannelStatus": once("config", "DescribeDeliveryChannelStatus"),
    "securityhub:DescribeHub": once("securityhub", "DescribeHub"),
    "securityhub:GetEnabledStandards": Cost("securityhub", "GetEnabledStandards",
                                            lambda n, _inv: n.get("security_hub", 0),
                                            "1 where the hub is on"),
    "access-analyzer:ListAnalyzers": once("accessanalyzer", "ListAnalyzers"),
    "macie2:GetMacieSession": once("macie2", "GetMacieSession"),
    "lambda:ListFunctions": listing("lambda", "ListFunctions", "functions", 50),
    "sqs:ListQueues": listing("sqs", "ListQueues", "queues", 1000),
    "sqs:GetQueueAttributes": each("sqs", "GetQueueAttributes", "queues"),
    # --- KMS (regional)
    "kms:ListKeys": listing("kms", "ListKeys", "kms_keys", 1000),
    "kms:ListAliases": listing("kms", "ListAliases", "kms_aliases", 100),
    "kms:DescribeKey": each("kms", "DescribeKey", "kms_keys"),
    "kms:GetKeyRotationStatus": each("kms", "GetKeyRotationStatus", "kms_customer_symmetric_keys"),
    "kms:GetKeyPolicy": each("kms", "GetKeyPolicy", "kms_customer_keys"),
    # --- storage (regional)
    "rds:DescribeDBInstances": listing("rds", "DescribeDBInstances", "db_instances", 100),
    "rds:DescribeDBClusters": listing("rds", "DescribeDBClusters", "db_clusters", 100),
    "elasticfilesystem:DescribeFileSystems": listing("efs", "DescribeFileSystems", "file_systems", 100),
    # --- account, organization, budgets (global)
    "organizations:DescribeOrganization": once("organizations", "DescribeOrganization"),
    # The rest is readable from the management account only: 0 calls elsewhere.
    "organizations:ListRoots": _org("ListRoots", lambda _n: 1, "1"),
    "organizations:ListAWSServiceAccessForOrganization": _org(
        "ListAWSServiceAccessForOrganization", lambda _n: 1, "1"),
    "organizations:DescribeResourcePolicy": _org("DescribeResourcePolicy", lambda _n: 1, "1"),
    "organizations:ListAccounts": _org("ListAccounts", lambda n: pages(n.get("org_accounts", 0), 20),
                                       "ceil(accounts / 20)"),
    "organizations:ListOrganizationalUnitsForParent": _org(
        "ListOrganizationalUnitsForParent", lambda n: n.get("org_roots", 0) + n.get("org_ous", 0),
        "1 per root and OU (each has < 20 child OUs here)"),
    "organizations:ListAccountsForParent": _org(
        "ListAccountsForParent", lambda n: n.get("org_roots", 0) + n.get("org_ous", 0),
        "1 per root and OU (each holds < 20 accounts here)"),
    "organizations:ListPolicies": _org("ListPolicies", lambda _n: 2,
                                       "1 per authorization policy type (SCP, RCP)"),
    "organizations:DescribePolicy": _org("DescribePolicy", lambda n: n.get("org_policies", 0),
                                         "1 per SCP and RCP (content)"),
    "organizations:ListTargetsForPolicy": _org("ListTargetsForPolicy", lambda n: n.get("org_policies", 0),
                                               "1 per SCP and RCP"),
    "organizations:ListDelegatedAdministrators": _org("ListDelegatedAdministrators", lambda _n: 1, "1"),
    "organizations:ListDelegatedServicesForAccount": _org(
        "ListDelegatedServicesForAccount", lambda n: n.get("org_delegated_admins", 0),
        "1 per delegated admin"),
    "iam:ListOrganizationsFeatures": Cost("iam", "ListOrganizationsFeatures",
                                          lambda _n, inv: int(bool(inv.facts.get("organization_management"))),
                                          "1 from the management account"),
    # One IAM action, two operations: the budgets, then each budget's notifications (its alerts).
    "budgets:ViewBudget": (listing("budgets", "DescribeBudgets", "budgets", 100),
                           each("budgets", "DescribeNotificationsForBudget", "budgets")),
    # --- Elastic Load Balancing v2 (regional): listings at PageSize 400, then one call per resource
    "elasticloadbalancing:DescribeLoadBalancers": listing("elbv2", "DescribeLoadBalancers", "load_balancers",
                                                          400),
    "elasticloadbalancing:DescribeListeners": each("elbv2", "DescribeListeners", "load_balancers"),
    "elasticloadbalancing:DescribeTargetGroups": listing("elbv2", "DescribeTargetGroups", "target_groups",
                                                         400),
    "elasticloadbalancing:DescribeTargetHealth": each("elbv2", "DescribeTargetHealth", "target_groups"),
    "account:GetAlternateContact": Cost("account", "GetAlternateContact", lambda _n, _inv: 3,
                                        "3: one per contact type (billing, operations, security)"),
    "account:GetContactInformation": once("account", "GetContactInformation"),
}

# IAM action prefix -> botocore service, for actions without a COSTS entry.
PREFIX_SERVICE = {"access-analyzer": "accessanalyzer", "elasticfilesystem": "efs"}


@dataclass(frozen=True)
class Minimum:
    calls: dict[tuple[str, str], int]  # (service, operation) -> requests
    assumed: tuple[str, ...]  # actions priced at the default (no COSTS entry)

    @property
    def total(self) -> int:
        return sum(self.calls.values())


def minimum(inventory: Inventory, regions: Iterable[str], collectors: Iterable[tuple[str, str, Iterable[str]]]
            ) -> Minimum:
    """collectors: (service, scope, actions) as awsaudit.collect.COLLECTORS declares them."""
    regions = list(regions)
    calls: dict[tuple[str, str], int] = {("sts", "GetCallerIdentity"): 1}
    assumed: list[str] = []
    for _service, scope, actions in collectors:
        places = [inventory.account] if scope == "global" else [inventory.regions.get(r, {}) for r in regions]
        for action in actions:
            costs = COSTS.get(action)
            if costs is None:
                prefix, _, name = action.partition(":")
                costs = once(PREFIX_SERVICE.get(prefix, prefix), name)
                assumed.append(action)
            for cost in costs if isinstance(costs, tuple) else (costs,):
                key = (cost.service, cost.operation)
                calls[key] = calls.get(key, 0) + sum(cost.requests(n, inventory) for n in places)
    return Minimum(calls, tuple(sorted(assumed)))
