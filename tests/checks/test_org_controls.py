"""Org-level controls judged across the Organization: each member account's checks read the
management account's shard (the organization context) for its OU, guardrails, budgets kept by
the management account, the organization trail and organization-wide Config aggregators."""

from __future__ import annotations

from typing import Any

import pytest

from awsaudit.checks import evaluate
from awsaudit.checks.account.organizations import (
    organizations_guardrails_on_every_account,
    organizations_ou_structure,
    organizations_root_credentials_centralized,
)
from awsaudit.checks.account.structure import (
    budgets_budget_with_notification,
    budgets_member_accounts_budgeted,
    organizations_multi_account_organization,
)
from awsaudit.checks.logging.cloudtrail import (
    cloudtrail_multi_region_trail_logging,
    cloudtrail_trail_cloudwatch_logs_delivery,
)
from awsaudit.checks.logging.config import config_recorder_enabled
from awsaudit.model import Json, Status
from tests.checks.cases import Case
from tests.checks.orgs import (
    MGMT,
    PROD,
    SECURITY,
    STAGING,
    member_shard,
    org_snapshot,
    organization,
    policy,
    scan,
    snapshot,
    view,
)
from tests.checks.test_account import ABSENT, FULL_ACCESS, member

REGION = "us-east-1"
NOTIFY = [{"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80.0}]
BASELINE = policy("baseline", "ou-work")  # guards Workloads (Prod, Staging); Security is unguarded
TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{MGMT}:trail/org-trail"
LOG_GROUP = f"arn:aws:logs:{REGION}:{MGMT}:log-group:org-trail:*"
ORG_TRAIL: Json = {"Name": "org-trail", "TrailARN": TRAIL_ARN, "_arn": TRAIL_ARN, "HomeRegion": REGION,
                   "IsMultiRegionTrail": True, "IsOrganizationTrail": True, "S3BucketName": "acme-org-trail",
                   "EventSelectors": None, "AdvancedEventSelectors": None,
                   "CloudWatchLogsLogGroupArn": LOG_GROUP, "CloudWatchLogsRoleArn": "arn:aws:iam::x:role/ct",
                   "Status": {"IsLogging": True, "LatestCloudWatchLogsDeliveryError": None}}
SHADOW: Json = {k: v for k, v in ORG_TRAIL.items() if k not in ("Status", "EventSelectors",
                                                                "AdvancedEventSelectors")}
SHADOW["_errors"] = {"Status": "TrailNotFoundException", "EventSelectors": "TrailNotFoundException",
                     "AdvancedEventSelectors": "TrailNotFoundException"}


def budget(name: str, *linked: str, notify: bool = True) -> Json:
    found: Json = {"BudgetName": name, "BudgetType": "COST", "Notifications": NOTIFY if notify else []}
    if linked:
        found["CostFilters"] = {"LinkedAccount": list(linked)}
    return found


def org(*members: Json, budgets: Any = (), trails: Any = (), **scan_args: Any) -> Json:
    """The management shard (with its budgets and trails) and member shards."""
    regions = {REGION: {"cloudtrail": {"trails": list(trails)}}} if trails is not None else {}
    denied = {"_errors": {"budgets": "AccessDenied"}}
    budget_data = {"budgets": list(budgets)} if budgets is not None else denied
    management = scan(regions=regions, budgets=budget_data, **scan_args)
    return org_snapshot(*members, management=management)


def member_regions(trails: Any = (SHADOW,)) -> Json:
    return {REGION: {"cloudtrail": {"trails": list(trails)}}}


def org_case(check: Any, status: Status, name: str, snap: Json, account: str, *,
             region: str | None = None, resource: Json | None = None) -> Case:
    """A case evaluated in `account`'s view with the snapshot's organization context."""
    account_view = view(snap, account)
    if resource is None:
        if check.over == "account":
            resource = account_view.doc
        elif check.over == "organizations.organization":
            resource = account_view.doc["global"]["organizations"]["organization"]
        else:
            service, key = check.over.split(".")
            resource = account_view.doc["regions"][region or REGION][service][key][0]
    return Case(check, status, name, resource, account_view)  # type: ignore[arg-type]


def lone(check: Any, status: Status, name: str, shard: Json) -> Case:
    """A member account evaluated alone: no organization context."""
    return org_case(check, status, name, snapshot(shard), shard["account_id"])


PROD_SHARD = member_shard(PROD, member_regions(), budgets={"budgets": []})
SECURITY_SHARD = member_shard(SECURITY, member_regions(), budgets={"budgets": []})

# --- ACCT-3: budgets kept by the management account ---------------------------------------------------
MEMBER_BUDGETS = budgets_member_accounts_budgeted
ALL_COVERED = [budget("prod", PROD), budget("staging", STAGING), budget("security", SECURITY)]
BUDGET_CASES = [
    org_case(MEMBER_BUDGETS, Status.PASS, "management-covers-every-member", org(budgets=ALL_COVERED), MGMT),
    org_case(MEMBER_BUDGETS, Status.FAIL, "management-misses-one", org(budgets=ALL_COVERED[:2]), MGMT),
    org_case(MEMBER_BUDGETS, Status.FAIL, "budget-without-notification",
             org(budgets=[*ALL_COVERED[:2], budget("security", SECURITY, notify=False)]), MGMT),
    org_case(MEMBER_BUDGETS, Status.UNKNOWN, "management-budgets-denied", org(budgets=None), MGMT),
    org_case(MEMBER_BUDGETS, Status.PASS, "member-covered", org(PROD_SHARD, budgets=ALL_COVERED), PROD),
    org_case(MEMBER_BUDGETS, Status.FAIL, "member-not-covered", org(SECURITY_SHARD, budgets=ALL_COVERED[:2]),
             SECURITY),
    org_case(MEMBER_BUDGETS, Status.UNKNOWN, "member-without-management-shard", snapshot(PROD_SHARD), PROD),
    org_case(MEMBER_BUDGETS, Status.UNKNOWN, "member-management-budgets-denied",
             org(PROD_SHARD, budgets=None), PROD),
    org_case(MEMBER_BUDGETS, Status.PASS, "no-organization",
             org_snapshot(management=scan(org_doc=organization(None), accounts=[], budgets={"budgets": []})),
             MGMT),
    org_case(budgets_budget_with_notification, Status.PASS, "member-budget-kept-centrally",
             org(PROD_SHARD, budgets=[budget("prod", PROD)]), PROD),
    org_case(budgets_budget_with_notification, Status.FAIL, "member-budget-central-one-elsewhere",
             org(PROD_SHARD, budgets=[budget("staging", STAGING)]), PROD),
]

# --- CIS 2.1.x in member accounts ---------------------------------------------------------------------
GUARDRAILS = organizations_guardrails_on_every_account
GUARDRAIL_CASES = [
    org_case(GUARDRAILS, Status.PASS, "member-under-ou-guardrail",
             org(PROD_SHARD, policies=[FULL_ACCESS, BASELINE]), PROD),
    org_case(GUARDRAILS, Status.FAIL, "member-unguarded",
             org(SECURITY_SHARD, policies=[FULL_ACCESS, BASELINE]), SECURITY),
    org_case(GUARDRAILS, Status.UNKNOWN, "member-guardrail-document-unread",
             org(PROD_SHARD, policies=[FULL_ACCESS, policy("unread", "ou-work", content=None)]), PROD),
]
OU_CASES = [
    org_case(organizations_ou_structure, Status.MANUAL, "member-in-an-ou", org(PROD_SHARD), PROD),
    org_case(organizations_ou_structure, Status.FAIL, "member-under-the-root",
             org(PROD_SHARD, accounts=[member(MGMT, "acme"), member(PROD, "acme-prod")]), PROD),
    org_case(organizations_ou_structure, Status.UNKNOWN, "member-ous-unread",
             org(PROD_SHARD, ous=ABSENT), PROD),
]
ROOT_CASES = [
    org_case(organizations_root_credentials_centralized, Status.PASS, "member-reads-the-org-setting",
             org(PROD_SHARD, org_doc=organization(OrganizationsFeatures={
                 "EnabledFeatures": ["RootCredentialsManagement", "RootSessions"]})), PROD),
    org_case(organizations_root_credentials_centralized, Status.FAIL, "member-org-setting-off",
             org(PROD_SHARD), PROD),
]

# --- LOG-1 / LOG-4: the organization trail --------------------------------------------------------
STOPPED = {**ORG_TRAIL, "Status": {"IsLogging": False}}
FAILING = {**ORG_TRAIL, "Status": {"IsLogging": True, "LatestCloudWatchLogsDeliveryError": "AccessDenied"}}
TRAIL_CASES = [
    org_case(cloudtrail_multi_region_trail_logging, Status.PASS, "member-covered-by-org-trail",
             org(PROD_SHARD, trails=[ORG_TRAIL]), PROD),
    org_case(cloudtrail_multi_region_trail_logging, Status.PASS, "member-no-trail-of-its-own",
             org(member_shard(PROD, member_regions(trails=())), trails=[ORG_TRAIL]), PROD),
    org_case(cloudtrail_multi_region_trail_logging, Status.FAIL, "org-trail-stopped",
             org(member_shard(PROD, member_regions(trails=())), trails=[STOPPED]), PROD),
    lone(cloudtrail_multi_region_trail_logging, Status.UNKNOWN, "member-alone-shadow-unreadable", PROD_SHARD),
    org_case(cloudtrail_trail_cloudwatch_logs_delivery, Status.PASS, "shadow-judged-as-owner-reads-it",
             org(PROD_SHARD, trails=[ORG_TRAIL]), PROD),
    org_case(cloudtrail_trail_cloudwatch_logs_delivery, Status.FAIL, "owner-sees-delivery-error",
             org(PROD_SHARD, trails=[FAILING]), PROD),
    lone(cloudtrail_trail_cloudwatch_logs_delivery, Status.UNKNOWN, "member-alone-status-unreadable",
         PROD_SHARD),
]

CASES = [*BUDGET_CASES, *GUARDRAIL_CASES, *OU_CASES, *ROOT_CASES, *TRAIL_CASES]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


def outcome(cases: list[Case], name: str) -> Any:
    (found,) = [c for c in cases if c.name == name]
    return found.check.evaluate(found.resource, found.account)


def test_org_trail_is_named_as_the_evidence() -> None:
    result = outcome(TRAIL_CASES, "member-no-trail-of-its-own")
    assert "Organization trail org-trail of account 111111111111" in result.message
    assert result.evidence["TrailARN"] == TRAIL_ARN
    delivered = outcome(TRAIL_CASES, "shadow-judged-as-owner-reads-it")
    assert delivered.evidence["organization trail of"] == MGMT


def test_member_guardrail_names_its_policy_and_path() -> None:
    result = outcome(GUARDRAIL_CASES, "member-under-ou-guardrail")
    assert result.evidence["Path"] == "Root/Workloads/Prod/acme-prod"
    assert result.evidence["guardrails"] == {"Root/Workloads": ["baseline"]}
    assert "Root/Security/acme-security" in outcome(GUARDRAIL_CASES, "member-unguarded").message


def test_org_wide_setting_says_where_it_was_read() -> None:
    result = outcome(ROOT_CASES, "member-reads-the-org-setting")
    assert "read from the management account 111111111111" in result.message


def test_management_reports_only_members_not_scanned_one_by_one() -> None:
    snap = org(SECURITY_SHARD, policies=[FULL_ACCESS, BASELINE])
    findings = evaluate(snap, [GUARDRAILS])
    by_account = {(f.account, f.status) for f in findings}
    assert (SECURITY, Status.FAIL) in by_account
    management = [f for f in findings if f.account == MGMT]
    assert [f.status for f in management] == [Status.FAIL]  # the summary; Security has its own finding
    alone = evaluate(org(policies=[FULL_ACCESS, BASELINE]), [GUARDRAILS])
    assert len([f for f in alone if f.account == MGMT]) == 2  # summary + the unscanned Security account


def test_budget_per_member_findings_for_unscanned_accounts() -> None:
    findings = evaluate(org(PROD_SHARD, budgets=[budget("staging", STAGING)]), [MEMBER_BUDGETS])
    management = sorted(f.message for f in findings if f.account == MGMT)
    assert any("acme-security (444444444444)" in m for m in management)
    assert not any(m.startswith(f"Member account acme-prod ({PROD})") for m in management)
    assert [f.status for f in findings if f.account == PROD] == [Status.FAIL]


def test_budget_filter_expression_is_read() -> None:
    expression = {"BudgetName": "prod", "Notifications": NOTIFY, "FilterExpression": {"And": [
        {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [PROD]}},
        {"Dimensions": {"Key": "SERVICE", "Values": ["Amazon EC2"]}}]}}
    case = org_case(MEMBER_BUDGETS, Status.PASS, "expression", org(PROD_SHARD, budgets=[expression]), PROD)
    assert case.run() is Status.PASS


def test_member_path_in_acct1_evidence() -> None:
    case = org_case(organizations_multi_account_organization, Status.PASS, "path", org(PROD_SHARD), PROD)
    result = case.check.evaluate(case.resource, case.account)
    assert result.status is Status.PASS
    assert "Root/Workloads/Prod/acme-prod" in result.message


def test_org_aggregator_is_named_but_does_not_record() -> None:
    aggregator = {"ConfigurationAggregatorName": "org-config", "OrganizationAggregationSource": {
        "AllAwsRegions": True, "RoleArn": "arn:aws:iam::x:role/c"}}
    region_doc = {"_arn": f"arn:aws:config:{REGION}:{PROD}:region", "ConfigurationRecorders": [],
                  "DeliveryChannels": []}
    management = scan(regions={REGION: {"config": {"region": {
        "_arn": f"arn:aws:config:{REGION}:{MGMT}:region", "ConfigurationRecorders": [],
        "DeliveryChannels": [],
        "ConfigurationAggregators": [aggregator]}}}})
    snap = org_snapshot(member_shard(PROD, {REGION: {"config": {"region": region_doc}}}),
                        management=management)
    result = config_recorder_enabled.evaluate(region_doc, view(snap, PROD))
    assert result.status is Status.FAIL
    (named,) = result.evidence["OrganizationAggregators"]
    assert named["name"] == "org-config" and named["account"] == MGMT
    assert "records nothing" in named["note"]
