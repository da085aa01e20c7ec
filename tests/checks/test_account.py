"""Account checks: Organizations structure and guardrails, management-account workloads, budgets,
contacts. Snapshots are built in memory the way the organizations, budgets and account collectors
leave them, including what a member account's scan cannot read."""

from __future__ import annotations

from typing import Any

import pytest

from awsaudit.checks.account.organizations import (
    organizations_guardrails_on_every_account,
    organizations_integrated_services_delegated,
    organizations_ou_structure,
    organizations_policy_management_delegated,
    organizations_root_credentials_centralized,
)
from awsaudit.checks.account.structure import (
    account_contact_details_current,
    account_security_contact_registered,
    budgets_budget_with_notification,
    organizations_management_account_no_workloads,
    organizations_multi_account_organization,
)
from awsaudit.model import Json, Status
from tests.checks.cases import Case

MGMT, PROD, STAGING, SECURITY = "111111111111", "222222222222", "333333333333", "444444444444"
SCP, RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"
ORG: Json = {"Id": "o-acme", "Arn": f"arn:aws:organizations::{MGMT}:organization/o-acme", "FeatureSet": "ALL",
             "MasterAccountId": MGMT, "MasterAccountEmail": "aws@acme.example"}
ROOT: Json = {"Id": "r-root", "Name": "Root", "PolicyTypes": [{"Type": SCP, "Status": "ENABLED"}]}
DENIED = "AccessDeniedException"
MANAGEMENT_ONLY = "ManagementAccountOnly"


def parent(parent_id: str) -> list[Json]:
    return [{"Id": parent_id, "Type": "ROOT" if parent_id.startswith("r-") else "ORGANIZATIONAL_UNIT"}]


def ou(ou_id: str, name: str, under: str = "r-root") -> Json:
    return {"Id": ou_id, "Name": name, "Parents": parent(under)}


def member(account_id: str, name: str, under: str = "r-root", status: str = "ACTIVE") -> Json:
    return {"Id": account_id, "Name": name, "Status": status, "Parents": parent(under)}


OUS = [ou("ou-work", "Workloads"), ou("ou-prod", "Prod", "ou-work"), ou("ou-stg", "Staging", "ou-work"),
       ou("ou-sec", "Security")]
ACCOUNTS = [member(MGMT, "acme"), member(PROD, "acme-prod", "ou-prod"),
            member(STAGING, "acme-staging", "ou-stg"), member(SECURITY, "acme-security", "ou-sec")]
DENY_LEAVING: Json = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}
ALLOW_ALL: Json = {"Version": "2012-10-17",
                   "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def policy(name: str, *targets: str, content: Json | None = DENY_LEAVING, kind: str = SCP,
           managed: bool = False, **extra: Any) -> Json:
    data: Json = {"Id": f"p-{name}", "Name": name, "Type": kind, "AwsManaged": managed,
                  "Targets": [{"TargetId": t} for t in targets], **extra}
    if content is not None:
        data["Content"] = content
    return data


FULL_ACCESS = policy("FullAWSAccess", "r-root", MGMT, "ou-work", "ou-sec", PROD, content=ALLOW_ALL,
                     managed=True)


def organization(org: Json | None = ORG, **parts: Any) -> Json:
    """The organization document as the management account's scan collects it."""
    doc: Json = {"_arn": ORG["Arn"], "Organization": org}
    if org is not None:
        doc.update({"Roots": [ROOT], "EnabledServicePrincipals": [], "ResourcePolicy": None,
                    "OrganizationsFeatures": None})
    doc.update(parts)
    return {k: v for k, v in doc.items() if v is not ABSENT}


ABSENT: Any = object()
"""Marks a part as not collected in organization()/scan(): the key is left out."""


def member_view() -> Json:
    """What a member account's scan collects: the organization, nothing else."""
    return {"_arn": ORG["Arn"], "Organization": ORG,
            "_errors": dict.fromkeys(("Roots", "EnabledServicePrincipals", "ResourcePolicy",
                                      "OrganizationsFeatures"), MANAGEMENT_ONLY)}


def scan(account_id: str = MGMT, org_doc: Json | None = None, *, accounts: Any = ACCOUNTS, ous: Any = OUS,
         policies: Any = (FULL_ACCESS,), admins: Any = (), regions: Json | None = None,
         **global_services: Json) -> Json:
    """An account document whose organizations data holds these collections (ABSENT: not collected)."""
    data: Json = {"organization": org_doc if org_doc is not None else organization()}
    errors: Json = {}
    for key, value in (("accounts", accounts), ("organizational_units", ous), ("policies", policies),
                       ("delegated_administrators", admins)):
        if value is ABSENT:
            errors[key] = DENIED if account_id == MGMT else MANAGEMENT_ONLY
        else:
            data[key] = list(value)
    if errors:
        data["_errors"] = errors
    return {"account_id": account_id, "global": {"organizations": data, **global_services},
            "regions": regions if regions is not None else {}}


def case(check: Any, status: Status, name: str, org_doc: Json | None = None, **kwargs: Any) -> Case:
    doc = org_doc if org_doc is not None else organization()
    return Case(check, status, name, doc, scan(org_doc=doc, **kwargs))


# --- ACCT-1 -------------------------------------------------------------------------------------------
MULTI = organizations_multi_account_organization
NO_ORG = organization(None)
MULTI_CASES = [
    case(MULTI, Status.PASS, "management-with-members"),
    case(MULTI, Status.PASS, "member-account", member_view(), account_id=PROD, accounts=ABSENT),
    case(MULTI, Status.FAIL, "no-organization", NO_ORG, accounts=[]),
    case(MULTI, Status.FAIL, "only-the-management-account", accounts=[member(MGMT, "acme")]),
    case(MULTI, Status.FAIL, "members-all-suspended",
         accounts=[member(MGMT, "acme"), member(PROD, "old", status="SUSPENDED")]),
    case(MULTI, Status.UNKNOWN, "organization-denied",
         {"_arn": "arn:aws:iam::111111111111:root", "_errors": {"Organization": DENIED}}),
    case(MULTI, Status.UNKNOWN, "accounts-denied", accounts=ABSENT),
]

# --- ACCT-2 -------------------------------------------------------------------------------------------
WORKLOADS = organizations_management_account_no_workloads
TRAIL_BUCKET, ACCESS_LOGS, DATA_BUCKET = "acme-trail", "acme-access-logs", "acme-customer-data"
TRAIL: Json = {"Name": "acme-trail", "S3BucketName": TRAIL_BUCKET}


def region(*, instances: Any = (), dbs: Any = (), trails: Any = (TRAIL,),
           flow_logs: Any = (), config: Any = None) -> Json:
    """One region's services; Config delivers nowhere unless `config` says otherwise."""
    services: Json = {"ec2": {}, "cloudtrail": {}, "rds": {}, "config": {}}
    if config is ABSENT:
        services["config"]["region"] = {"_errors": {"DeliveryChannels": DENIED}}
    else:
        services["config"]["region"] = config if config is not None else {"DeliveryChannels": []}
    for service, key, value in (("ec2", "instances", instances), ("rds", "db_instances", dbs),
                                ("cloudtrail", "trails", trails), ("ec2", "flow_logs", flow_logs)):
        if value is ABSENT:
            services[service]["_errors"] = {key: DENIED}
        else:
            services[service][key] = list(value)
    return services


def bucket(name: str, logging_to: str | None = None) -> Json:
    return {"Name": name, "Logging": {"TargetBucket": logging_to} if logging_to else None}


LOG_BUCKETS = {"buckets": [bucket(TRAIL_BUCKET, ACCESS_LOGS), bucket(ACCESS_LOGS)]}
TERMINATED = {"InstanceId": "i-old", "State": {"Name": "terminated"}}
RUNNING = {"InstanceId": "i-web", "State": {"Name": "running"}, "Tags": [{"Key": "Name", "Value": "web"}]}
FLOW_LOG_BUCKET = {"LogDestinationType": "s3", "LogDestination": "arn:aws:s3:::acme-flow-logs/vpc"}


def workloads(name: str, status: Status, *, s3: Json | None = None, **regional: Any) -> Case:
    regions = {"eu-west-1": region(**regional), "us-east-1": region()}
    return case(WORKLOADS, status, name, regions=regions, s3=s3 if s3 is not None else LOG_BUCKETS)


WORKLOAD_CASES = [
    workloads("only-terminated-instances-and-log-buckets", Status.PASS, instances=[TERMINATED]),
    workloads("flow-log-bucket-is-infrastructure", Status.PASS, flow_logs=[FLOW_LOG_BUCKET],
              s3={"buckets": [*LOG_BUCKETS["buckets"], bucket("acme-flow-logs")]}),
    case(WORKLOADS, Status.PASS, "member-account", member_view(), account_id=PROD, accounts=ABSENT),
    case(WORKLOADS, Status.PASS, "no-organization", NO_ORG),
    workloads("running-instance", Status.FAIL, instances=[RUNNING, TERMINATED]),
    workloads("database", Status.FAIL, dbs=[{"DBInstanceIdentifier": "acme-billing-db"}]),
    workloads("data-bucket", Status.FAIL, s3={"buckets": [*LOG_BUCKETS["buckets"], bucket(DATA_BUCKET)]}),
    workloads("instance-found-though-rds-unreadable", Status.FAIL, instances=[RUNNING], dbs=ABSENT),
    workloads("nothing-found-but-rds-unreadable", Status.UNKNOWN, dbs=ABSENT),
    workloads("trail-bucket-known-from-another-region", Status.PASS, trails=ABSENT,
              s3={"buckets": [bucket(TRAIL_BUCKET)]}),
    workloads("bucket-unclassifiable-without-trails", Status.UNKNOWN, trails=ABSENT,
              s3={"buckets": [bucket("acme-eu-trail")]}),
    workloads("buckets-unreadable", Status.UNKNOWN, s3={"_errors": {"buckets": "AccessDenied"}}),
    workloads("bucket-unclassifiable-without-flow-logs", Status.UNKNOWN, flow_logs=ABSENT,
              s3={"buckets": [*LOG_BUCKETS["buckets"], bucket("acme-flow-logs")]}),
    workloads("bucket-unclassifiable-without-config-channels", Status.UNKNOWN, config=ABSENT,
              s3={"buckets": [*LOG_BUCKETS["buckets"], bucket("acme-config-history")]}),
    workloads("bucket-unclassifiable-without-its-logging", Status.UNKNOWN, s3={"buckets": [
        {"Name": TRAIL_BUCKET, "_errors": {"Logging": DENIED}}, bucket(ACCESS_LOGS)]}),
    case(WORKLOADS, Status.UNKNOWN, "no-region-scanned", s3=LOG_BUCKETS),
]

# --- ACCT-3 -------------------------------------------------------------------------------------------
BUDGET = budgets_budget_with_notification
NOTIFY = [{"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80.0}]


def budgets(*items: Json, name: str, status: Status, data: Json | None = None) -> Case:
    """An account-level case: the account document is the resource."""
    collected = data if data is not None else {"budgets": list(items)}
    doc: Json = {"account_id": MGMT, "global": {"budgets": collected}}
    return Case(BUDGET, status, name, doc, doc)


BUDGET_CASES = [
    budgets({"BudgetName": "monthly", "Notifications": NOTIFY},
            {"BudgetName": "sandbox", "Notifications": []}, name="one-budget-notifies", status=Status.PASS),
    budgets({"BudgetName": "monthly", "Notifications": NOTIFY},
            {"BudgetName": "unread", "_errors": {"Notifications": DENIED}},
            name="one-notifies-another-unreadable", status=Status.PASS),
    budgets(name="no-budget", status=Status.FAIL),
    budgets({"BudgetName": "monthly", "Notifications": []}, name="budget-without-notification",
            status=Status.FAIL),
    budgets(name="budgets-denied", status=Status.UNKNOWN, data={"_errors": {"budgets": DENIED}}),
    budgets({"BudgetName": "monthly", "_errors": {"Notifications": "ThrottlingException"}},
            name="notifications-unreadable", status=Status.UNKNOWN),
    Case(BUDGET, Status.UNKNOWN, "budgets-not-collected", {"account_id": MGMT, "global": {}}),
]

# --- CIS 2.1.1 ----------------------------------------------------------------------------------------
ROOT_ACCESS = organizations_root_credentials_centralized


def features(*enabled: str) -> Json:
    return organization(OrganizationsFeatures={"OrganizationId": "o-acme", "EnabledFeatures": list(enabled)})


ROOT_ACCESS_CASES = [
    case(ROOT_ACCESS, Status.PASS, "credentials-and-sessions", features("RootCredentialsManagement",
                                                                         "RootSessions")),
    case(ROOT_ACCESS, Status.PASS, "credentials-only", features("RootCredentialsManagement")),
    case(ROOT_ACCESS, Status.FAIL, "iam-trusted-access-off", organization(OrganizationsFeatures=None)),
    case(ROOT_ACCESS, Status.FAIL, "sessions-only", features("RootSessions")),
    case(ROOT_ACCESS, Status.FAIL, "no-organization", NO_ORG),
    case(ROOT_ACCESS, Status.UNKNOWN, "member-account", member_view(), account_id=PROD),
    case(ROOT_ACCESS, Status.UNKNOWN, "features-denied",
         organization(OrganizationsFeatures=ABSENT, _errors={"OrganizationsFeatures": "HTTP500"})),
]

# --- CIS 2.1.2 ----------------------------------------------------------------------------------------
GUARDRAILS = organizations_guardrails_on_every_account
BOTH_TYPES = {**ROOT, "PolicyTypes": [{"Type": SCP, "Status": "ENABLED"}, {"Type": RCP, "Status": "ENABLED"}]}


def guardrails(name: str, status: Status, *policies: Json, org_doc: Json | None = None,
               **kwargs: Any) -> Case:
    return case(GUARDRAILS, status, name, org_doc, policies=[FULL_ACCESS, *policies], **kwargs)


GUARDRAIL_CASES = [
    guardrails("scp-on-root", Status.PASS, policy("baseline", "r-root")),
    guardrails("scps-on-every-top-ou", Status.PASS, policy("baseline", "ou-work"),
               policy("security", "ou-sec")),
    guardrails("rcp-on-root", Status.PASS, policy("data-perimeter", "r-root", kind=RCP),
               org_doc=organization(Roots=[BOTH_TYPES])),
    guardrails("scp-directly-on-account", Status.PASS, policy("baseline", "ou-work"),
               policy("sec", SECURITY)),
    guardrails("management-account-needs-none", Status.PASS, policy("baseline", "ou-work", "ou-sec")),
    guardrails("security-ou-unguarded", Status.FAIL, policy("baseline", "ou-work")),
    guardrails("only-full-access", Status.FAIL),
    guardrails("customer-copy-of-allow-all", Status.FAIL, policy("allow-all", "r-root", content=ALLOW_ALL)),
    guardrails("rcp-type-not-enabled", Status.FAIL, policy("data-perimeter", "r-root", kind=RCP)),
    guardrails("no-policy-type-enabled", Status.FAIL, policy("baseline", "r-root"),
               org_doc=organization(Roots=[{**ROOT, "PolicyTypes": []}])),
    guardrails("unreadable-policy-elsewhere-does-not-hide-a-gap", Status.FAIL, policy("baseline", "ou-work"),
               policy("unread", "ou-prod", content=None, _errors={"Content": DENIED})),
    case(GUARDRAILS, Status.FAIL, "no-organization", NO_ORG),
    case(GUARDRAILS, Status.UNKNOWN, "member-account", member_view(), account_id=PROD, policies=ABSENT),
    case(GUARDRAILS, Status.UNKNOWN, "policies-denied", policies=ABSENT),
    case(GUARDRAILS, Status.UNKNOWN, "roots-denied", organization(Roots=ABSENT, _errors={"Roots": DENIED})),
    guardrails("guardrail-document-unreadable", Status.UNKNOWN, policy("baseline", "ou-work"),
               policy("unread", "ou-sec", content=None, _errors={"Content": DENIED})),
    guardrails("guardrail-targets-unreadable", Status.UNKNOWN, policy("baseline", "ou-work"),
               {**policy("security", "ou-sec"), "Targets": ABSENT}),
]
for _case in GUARDRAIL_CASES:  # drop the ABSENT markers of policies built with a missing part
    for _policy in _case.account["global"]["organizations"].get("policies", []):
        for _key in [k for k, v in _policy.items() if v is ABSENT]:
            del _policy[_key]
            _policy["_errors"] = {_key: DENIED}

# --- CIS 2.1.4 ----------------------------------------------------------------------------------------
OU_STRUCTURE = organizations_ou_structure
OU_CASES = [
    case(OU_STRUCTURE, Status.MANUAL, "ous-to-review"),
    case(OU_STRUCTURE, Status.FAIL, "no-ou", ous=[], accounts=[member(MGMT, "acme"), member(PROD, "prod")]),
    case(OU_STRUCTURE, Status.FAIL, "no-organization", NO_ORG),
    case(OU_STRUCTURE, Status.UNKNOWN, "member-account", member_view(), account_id=PROD, ous=ABSENT),
    case(OU_STRUCTURE, Status.UNKNOWN, "ous-denied", ous=ABSENT),
]

# --- CIS 2.1.5 ----------------------------------------------------------------------------------------
POLICY_ADMIN = organizations_policy_management_delegated


def delegation(*actions: str) -> Json:
    statement = {"Sid": "Delegate", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{SECURITY}:root"},
                 "Action": list(actions), "Resource": "*"}
    return organization(ResourcePolicy={"ResourcePolicySummary": {"Id": "rp-1"},
                                        "Content": {"Version": "2012-10-17", "Statement": [statement]}})


POLICY_ADMIN_CASES = [
    case(POLICY_ADMIN, Status.PASS, "policy-actions-delegated",
         delegation("organizations:Describe*", "organizations:List*", "organizations:CreatePolicy",
                    "organizations:UpdatePolicy", "organizations:AttachPolicy",
                    "organizations:DetachPolicy")),
    case(POLICY_ADMIN, Status.PASS, "wildcard-policy-actions", delegation("organizations:*Policy*")),
    case(POLICY_ADMIN, Status.FAIL, "no-delegation-policy"),
    case(POLICY_ADMIN, Status.FAIL, "read-only-delegation",
         delegation("organizations:Describe*", "organizations:List*")),
    case(POLICY_ADMIN, Status.FAIL, "no-organization", NO_ORG),
    case(POLICY_ADMIN, Status.UNKNOWN, "member-account", member_view(), account_id=PROD),
    case(POLICY_ADMIN, Status.UNKNOWN, "policy-unreadable",
         organization(ResourcePolicy=ABSENT, _errors={"ResourcePolicy": "MalformedPolicy"})),
]

# --- CIS 2.1.6 ----------------------------------------------------------------------------------------
DELEGATED = organizations_integrated_services_delegated


def trusted(*services: str) -> Json:
    return organization(EnabledServicePrincipals=[{"ServicePrincipal": s} for s in services])


def admin(account_id: str, *services: str) -> Json:
    return {"Id": account_id, "Name": "acme-security",
            "DelegatedServices": [{"ServicePrincipal": s} for s in services]}


DELEGATED_CASES = [
    case(DELEGATED, Status.PASS, "every-integrated-service-delegated",
         trusted("guardduty.amazonaws.com", "config-multiaccountsetup.amazonaws.com"),
         admins=[admin(SECURITY, "guardduty.amazonaws.com", "config-multiaccountsetup.amazonaws.com")]),
    case(DELEGATED, Status.PASS, "no-integrated-service", trusted()),
    case(DELEGATED, Status.FAIL, "security-service-not-delegated",
         trusted("guardduty.amazonaws.com", "access-analyzer.amazonaws.com"),
         admins=[admin(SECURITY, "guardduty.amazonaws.com")]),
    case(DELEGATED, Status.MANUAL, "other-service-not-delegated", trusted("ram.amazonaws.com")),
    case(DELEGATED, Status.FAIL, "no-organization", NO_ORG),
    case(DELEGATED, Status.UNKNOWN, "member-account", member_view(), account_id=PROD, admins=ABSENT),
    case(DELEGATED, Status.UNKNOWN, "delegated-services-denied", trusted("guardduty.amazonaws.com"),
         admins=[{"Id": SECURITY, "Name": "acme-security", "_errors": {"DelegatedServices": DENIED}}]),
]

# --- CIS 2.2 and 2.3 ----------------------------------------------------------------------------------
CONTACTS = account_contact_details_current
SECURITY_CONTACT = account_security_contact_registered
INFO: Json = {"FullName": "Acme Corp", "AddressLine1": "12 Harbour Road", "City": "Dublin",
              "CountryCode": "IE", "PostalCode": "D02", "PhoneNumber": "+353-1-555-0100"}
SEC: Json = {"AlternateContactType": "SECURITY", "Name": "Security team", "Title": "SecOps",
             "EmailAddress": "security@acme.example", "PhoneNumber": "+353-1-555-0199"}


def contacts(info: Any = INFO, **alternate: Any) -> Json:
    doc: Json = {"_arn": f"arn:aws:account::{MGMT}:account",
                 "AlternateContacts": {"BILLING": None, "OPERATIONS": None, "SECURITY": None, **alternate}}
    if info is ABSENT:
        doc["_errors"] = {"ContactInformation": "HTTP404"}
    else:
        doc["ContactInformation"] = info
    return doc


CONTACT_CASES = [
    Case(CONTACTS, Status.MANUAL, "contact-information-to-confirm", contacts()),
    Case(CONTACTS, Status.FAIL, "no-contact-information", contacts(None)),
    Case(CONTACTS, Status.UNKNOWN, "contact-information-unreadable", contacts(ABSENT)),
    Case(SECURITY_CONTACT, Status.PASS, "security-contact", contacts(SECURITY=SEC)),
    Case(SECURITY_CONTACT, Status.FAIL, "no-security-contact", contacts()),
    Case(SECURITY_CONTACT, Status.UNKNOWN, "security-contact-denied",
         {"_arn": "x", "AlternateContacts": {"BILLING": None, "_errors": {"SECURITY": DENIED}}}),
]

CASES = [*MULTI_CASES, *WORKLOAD_CASES, *BUDGET_CASES, *ROOT_ACCESS_CASES, *GUARDRAIL_CASES, *OU_CASES,
         *POLICY_ADMIN_CASES, *DELEGATED_CASES, *CONTACT_CASES]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


def outcome(check: Any, name: str) -> Any:
    (found,) = [c for c in CASES if c.check is check and c.name == name]
    return found.check.evaluate(found.resource, found.account)


def test_unguarded_accounts_are_named_with_their_path() -> None:
    result = outcome(GUARDRAILS, "security-ou-unguarded")
    assert "Root/Security/acme-security" in result.message
    assert result.evidence["unguarded"]["items"] == [
        {"Id": SECURITY, "Name": "acme-security", "Path": "Root/Security/acme-security"}]
    assert result.evidence["guardrails"] == {"Root/Workloads": ["baseline"]}


def test_member_account_says_why_the_structure_is_unknown() -> None:
    assert "management account" in outcome(GUARDRAILS, "member-account").message


def test_workload_evidence_lists_what_was_found_and_what_was_not_read() -> None:
    result = outcome(WORKLOADS, "instance-found-though-rds-unreadable")
    assert result.evidence["EC2 instances"]["items"] == ["eu-west-1: i-web (web)"]
    gaps = result.evidence["not collected"]
    assert any("rds.db_instances in eu-west-1: AccessDeniedException" in g for g in gaps)
    data = outcome(WORKLOADS, "data-bucket")
    assert data.evidence["S3 buckets (not trail, Config or log buckets)"]["items"] == [DATA_BUCKET]


def test_ou_tree_evidence() -> None:
    tree = outcome(OU_STRUCTURE, "ous-to-review").evidence["tree"]
    assert tree["Root"] == [f"acme ({MGMT})"]
    assert tree["Root/Workloads/Prod"] == [f"acme-prod ({PROD})"]
    assert tree["Root/Workloads"] == []


def test_security_service_without_delegation_is_named() -> None:
    result = outcome(DELEGATED, "security-service-not-delegated")
    assert "access-analyzer.amazonaws.com" in result.message
    assert result.evidence["NotDelegated"] == ["access-analyzer.amazonaws.com"]
