"""Account checks: the account's place in an AWS Organization (ACCT-1), no workloads in the
management account (ACCT-2, CIS 2.1.3), a cost budget that alerts (ACCT-3), and the account's
contacts (CIS 2.2, 2.3). The organization's own configuration is checked in organizations.py.
"""

from __future__ import annotations

from typing import NamedTuple

from awsaudit.checks._registry import ACCOUNT, Missing, check, need
from awsaudit.checks._view import AccountView
from awsaudit.checks.account._organization import (
    account_id,
    is_management,
    limited,
    management_view,
    organizations_data,
    summary,
)
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, fail, manual, ok

# --- ACCT-1 ---------------------------------------------------------------------------------------


@check(
    "organizations_multi_account_organization",
    title="The account belongs to an AWS Organization with a management account and member accounts",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over="organizations.organization",
    remediation=Remediation(
        console=(
            "From a new, empty account meant only for governance, open AWS Organizations and choose "
            "Create an organization (all features).",
            "Create (or invite) one member account per project, environment or business unit.",
            "Move workloads into those member accounts; keep the management account for governance.",
        ),
        cli="aws organizations create-organization --feature-set ALL && "
            "aws organizations create-account --account-name {project}-prod --email {email}",
        terraform='resource "aws_organizations_organization" "this" {\n'
                  '  feature_set = "ALL"\n'
                  "}\n\n"
                  'resource "aws_organizations_account" "prod" {\n'
                  '  name  = "acme-prod"\n'
                  '  email = "aws+prod@example.com"\n'
                  "}",
    ),
)
def organizations_multi_account_organization(organization: Json, account: Json, view: AccountView) -> Outcome:
    """Separate accounts are AWS's strongest isolation boundary: a compromised or misconfigured
    project account cannot reach the others, costs and quotas are separated, and a central
    management account can apply guardrails, logging and security services to all of them.
    A single standalone account puts every workload and every administrator in one blast radius."""
    org = need(organization, "Organization")
    if org is None:
        return fail("The account belongs to no AWS Organization", evidence={"Organization": None})
    if not is_management(org, account):
        place = view.organization.account(account_id(account)) if view.organization is not None else None
        where = f", in {place.path}" if place is not None else ""
        evidence = {**summary(org), "Path": place.path} if place is not None else summary(org)
        return ok(f"Member account of organization {org.get('Id')}, managed by account "
                  f"{org.get('MasterAccountId')}{where}", evidence=evidence)
    accounts = need(organizations_data(account), "accounts")
    active = [a for a in accounts if a.get("Status", "ACTIVE") == "ACTIVE"]
    evidence = {**summary(org), "accounts": limited([{"Id": a.get("Id"), "Name": a.get("Name")}
                                                       for a in active])}
    if len(active) > 1:
        return ok(f"Organization {org.get('Id')} has {len(active)} active accounts; this account "
                  f"({org.get('MasterAccountId')}) is its management account", evidence=evidence)
    return fail(f"Organization {org.get('Id')} holds only its management account: no member accounts "
                "separate the projects", evidence=evidence)


# --- ACCT-2 / CIS 2.1.3 ---------------------------------------------------------------------------

INACTIVE_INSTANCE = frozenset({"terminated", "shutting-down"})


class Workload(NamedTuple):
    kind: str
    region: str
    label: str
    arn: str


def _infrastructure_buckets(view: AccountView, gaps: list[str]) -> set[str]:
    """Buckets that hold logs (CloudTrail, Config, S3 access logs, flow logs), which a management
    account is expected to have; S3 data buckets are workloads."""
    names: set[str] = set()
    trails, trail_gaps = view.items("cloudtrail.trails")
    gaps.extend(trail_gaps)
    names.update(str(trail["S3BucketName"]) for _, trail in trails if trail.get("S3BucketName"))
    configs, config_gaps = view.items("config.region")
    gaps.extend(config_gaps)
    for region, config in configs:
        if isinstance(config, dict) and "DeliveryChannels" not in config and "DeliveryChannels" in (
                config.get("_errors") or {}):
            gaps.append(f"{region}: Config delivery channels not collected: "
                        f"{config['_errors']['DeliveryChannels']}")
        for channel in (config or {}).get("DeliveryChannels") or []:
            if channel.get("s3BucketName"):
                names.add(channel["s3BucketName"])
    flows, flow_gaps = view.items("ec2.flow_logs")
    gaps.extend(flow_gaps)
    for _, flow in flows:
        destination = str(flow.get("LogDestination") or "")
        if flow.get("LogDestinationType") == "s3" and destination.startswith("arn:"):
            names.add(destination.split(":::", 1)[-1].split("/", 1)[0])
    buckets, _ = view.items("s3.buckets")
    for _, bucket in buckets:
        if "Logging" not in bucket and "Logging" in (bucket.get("_errors") or {}):
            gaps.append(f"access logging of bucket {bucket.get('Name')} not collected: "
                        f"{bucket['_errors']['Logging']}")
        target = (bucket.get("Logging") or {}).get("TargetBucket")
        if target:
            names.add(target)
    return names


def _workloads(view: AccountView) -> tuple[list[Workload], list[str], list[str]]:
    """(workloads found, parts examined, gaps) in the scanned account."""
    found: list[Workload] = []
    gaps: list[str] = []
    part_gaps: list[str] = []
    examined = ["EC2 instances", "RDS DB instances", "S3 buckets"]
    instances, instance_gaps = view.items("ec2.instances")
    gaps.extend(instance_gaps)
    for region, instance in instances:
        if (instance.get("State") or {}).get("Name") not in INACTIVE_INSTANCE:
            name = next((t.get("Value") for t in instance.get("Tags") or [] if t.get("Key") == "Name"), None)
            label = f"{instance.get('InstanceId')} ({name})" if name else str(instance.get("InstanceId"))
            found.append(Workload("EC2 instances", region, label, str(instance.get("_arn", label))))
    databases, db_gaps = view.items("rds.db_instances")
    gaps.extend(db_gaps)
    for region, db in databases:
        label = str(db.get("DBInstanceIdentifier"))
        found.append(Workload("RDS DB instances", region, label, str(db.get("_arn", label))))
    if any("lambda" in part for part in view.region_parts.values()):
        examined.append("Lambda functions")
        functions, function_gaps = view.items("lambda.functions")
        gaps.extend(function_gaps)
        for region, function in functions:
            label = str(function.get("FunctionName"))
            found.append(Workload("Lambda functions", region, label, str(function.get("FunctionArn", label))))
    try:
        buckets = view.collection("s3.buckets")
    except Missing as missing:
        gaps.append(str(missing))
    else:
        infrastructure = _infrastructure_buckets(view, part_gaps)
        data_buckets = [b for b in buckets if b.get("Name") not in infrastructure]
        if data_buckets and part_gaps:
            gaps.append(f"S3 buckets cannot be told from trail buckets ({'; '.join(part_gaps)})")
        elif data_buckets:
            kind = "S3 buckets (not trail, Config or log buckets)"
            found.extend(Workload(kind, str(b.get("_region", "global")), str(b.get("Name")),
                                  str(b.get("_arn"))) for b in data_buckets)
    return found, examined, gaps


@check(
    "organizations_management_account_no_workloads",
    title="The organization's management account runs no workloads",
    severity=Severity.HIGH,
    objective=Objective.INTEGRITY,
    over="organizations.organization",
    remediation=Remediation(
        console=(
            "Create a member account for the workloads (AWS Organizations > Add an AWS account).",
            "Migrate the EC2 instances, databases and data buckets listed in the evidence into it.",
            "Delete them from the management account and keep that account for billing and governance.",
        ),
        cli="aws organizations create-account --account-name {workload}-prod --email {email}",
        terraform='resource "aws_organizations_account" "workloads" {\n'
                  '  name  = "acme-prod"\n'
                  '  email = "aws+prod@example.com"\n'
                  "}",
    ),
)
def organizations_management_account_no_workloads(
    organization: Json, account: Json, view: AccountView
) -> Outcome | list[Outcome]:
    """Service control policies never apply to the management account, and whoever controls it
    controls every account of the organization. Workloads there (instances, databases, data
    buckets) widen the most privileged account's attack surface with every application's
    vulnerabilities and operators, and no guardrail can contain them."""
    org = need(organization, "Organization")
    if org is None:
        return ok("Not in an organization: there is no management account to keep free of workloads "
                  "(the missing organization is the multi-account finding)", evidence={"Organization": None})
    if not is_management(org, account):
        return ok(f"Not the management account of organization {org.get('Id')} (that is "
                  f"{org.get('MasterAccountId')})", evidence=summary(org))
    found, examined, gaps = _workloads(view)
    by_kind: dict[str, list[str]] = {}
    for workload in found:
        bucket = workload.kind.startswith("S3")  # global: listed by name alone
        by_kind.setdefault(workload.kind, []).append(
            workload.label if bucket else f"{workload.region}: {workload.label}")
    evidence: Json = {"examined": examined, **{kind: limited(items) for kind, items in by_kind.items()}}
    if gaps:
        evidence["not collected"] = gaps
    if found:
        kinds = ", ".join(f"{len(items)} {kind}" for kind, items in by_kind.items())
        summary_outcome = fail(f"The management account runs workloads: {kinds}", evidence=evidence)
        # One finding per workload, so each can be tracked (and muted) on its own.
        return [summary_outcome, *(
            fail(f"Workload in the management account: {w.kind.split(' (')[0][:-1]} {w.label}",
                 evidence={"kind": w.kind, "region": w.region, "resource": w.label},
                 resource=w.arn, region=w.region)
            for w in found)]
    if gaps:
        raise Missing("workload inventory", "; ".join(gaps))
    return ok(f"No workload found in the management account ({', '.join(examined)} examined)",
              evidence=evidence)


# --- ACCT-3 -------------------------------------------------------------------------------------


def _budget_summary(budget: Json) -> Json:
    summary = {k: budget.get(k) for k in ("BudgetName", "BudgetType", "TimeUnit", "BudgetLimit")}
    if "Notifications" in budget:
        summary["Notifications"] = budget["Notifications"]
    return summary


@check(
    "budgets_budget_with_notification",
    title="A cost budget alerts someone when the account's spending exceeds it",
    severity=Severity.LOW,
    objective=Objective.AVAILABILITY,
    over=ACCOUNT,
    remediation=Remediation(
        console=(
            "Open Billing and Cost Management > Budgets and choose Create budget.",
            "Choose a cost budget with a monthly amount that fits the account's expected spend.",
            "Add an alert threshold (e.g. 80% actual and 100% forecasted) with an e-mail or SNS subscriber.",
        ),
        cli="aws budgets create-budget --account-id {account} "
            "--budget BudgetName=monthly-cost,BudgetType=COST,TimeUnit=MONTHLY,"
            "BudgetLimit={Amount=1000,Unit=USD} --notifications-with-subscribers "
            "'[{\"Notification\":{\"NotificationType\":\"ACTUAL\",\"ComparisonOperator\":\"GREATER_THAN\","
            "\"Threshold\":80},\"Subscribers\":[{\"SubscriptionType\":\"EMAIL\","
            "\"Address\":\"finops@example.com\"}]}]'",
        terraform='resource "aws_budgets_budget" "monthly" {\n'
                  '  name         = "monthly-cost"\n'
                  '  budget_type  = "COST"\n'
                  '  limit_amount = "1000"\n'
                  '  limit_unit   = "USD"\n'
                  '  time_unit    = "MONTHLY"\n\n'
                  "  notification {\n"
                  '    comparison_operator        = "GREATER_THAN"\n'
                  "    threshold                  = 80\n"
                  '    threshold_type             = "PERCENTAGE"\n'
                  '    notification_type          = "ACTUAL"\n'
                  '    subscriber_email_addresses = ["finops@example.com"]\n'
                  "  }\n"
                  "}",
    ),
)
def budgets_budget_with_notification(account: Json, view: AccountView) -> Outcome:
    """Stolen credentials are most often used to mine crypto-currency or send spam on the victim's
    bill, and a runaway deployment can do the same damage by mistake. A budget that notifies
    someone caps the time such misuse goes unnoticed to hours instead of the next invoice.
    A budget the management account keeps for this account (filtered on it) counts as well."""
    try:
        budgets = view.collection("budgets.budgets")
    except Missing:
        if (central := _central_budgets(view)) is not None:
            return central
        raise
    if not any(b.get("Notifications") for b in budgets) and (central := _central_budgets(view)):
        return central
    return _own_budgets(budgets)


def _central_budgets(view: AccountView) -> Outcome | None:
    """PASS when the management account keeps a notifying budget on this member account."""
    context = view.organization
    if context is None or context.management_id == view.id or not context.budgets:
        return None
    covering = [b for b in context.budgets if view.id in linked_accounts(b) and b.get("Notifications")]
    if not covering:
        return None
    names = ", ".join(str(b.get("BudgetName")) for b in covering)
    return ok(f"The management account {context.management_id} keeps budget(s) {names} on this account, "
              "notifying subscribers", evidence={"management account": context.management_id,
                                                  "budgets": [_budget_summary(b) for b in covering]})


def _own_budgets(budgets: list[Json]) -> Outcome:
    if not budgets:
        return fail("The account has no budget", evidence={"budgets": []})
    alerting = [b for b in budgets if b.get("Notifications")]
    if alerting:
        names = ", ".join(str(b.get("BudgetName")) for b in alerting)
        # A notification always has a subscriber: AWS deletes it with its last subscriber.
        return ok(f"Budget(s) {names} notify subscribers", evidence=[_budget_summary(b) for b in alerting])
    unread = [b for b in budgets if "Notifications" not in b]
    if unread:
        reasons = "; ".join(f"{b.get('BudgetName')}: {(b.get('_errors') or {}).get('Notifications')}"
                            for b in unread)
        raise Missing("Notifications", reasons)
    return fail(f"None of the {len(budgets)} budget(s) has a notification",
                evidence=[_budget_summary(b) for b in budgets])


def linked_accounts(budget: Json) -> set[str]:
    """The member accounts a budget is filtered on: CostFilters.LinkedAccount, or a LINKED_ACCOUNT
    dimension anywhere in its FilterExpression (And/Or/Not nest). Empty: the whole bill."""
    found = {str(a) for a in (budget.get("CostFilters") or {}).get("LinkedAccount") or []}
    stack = [budget.get("FilterExpression")]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            dimension = node.get("Dimensions")
            if isinstance(dimension, dict) and dimension.get("Key") == "LINKED_ACCOUNT":
                found.update(str(v) for v in dimension.get("Values") or [])
            stack.extend(v for k, v in node.items() if k in ("And", "Or", "Not"))
    return found


@check(
    "budgets_member_accounts_budgeted",
    title="The management account keeps a notifying budget on every member account",
    severity=Severity.LOW,
    objective=Objective.AVAILABILITY,
    over="organizations.organization",
    remediation=Remediation(
        console=(
            "In the management account, open Billing and Cost Management > Budgets > Create budget.",
            "Choose a cost budget; under Budget scope filter on Linked account and pick the member account.",
            "Add an alert threshold with an e-mail or SNS subscriber; repeat for each account in the "
            "evidence.",
        ),
        cli="aws budgets create-budget --account-id {management_account} --budget "
            "'{\"BudgetName\":\"{member}-monthly\",\"BudgetType\":\"COST\",\"TimeUnit\":\"MONTHLY\","
            "\"BudgetLimit\":{\"Amount\":\"500\",\"Unit\":\"USD\"},"
            "\"CostFilters\":{\"LinkedAccount\":[\"{member}\"]}}' --notifications-with-subscribers file://alert.json",
        terraform='resource "aws_budgets_budget" "member" {\n'
                  '  name         = "acme-prod-monthly"\n'
                  '  budget_type  = "COST"\n'
                  '  limit_amount = "500"\n'
                  '  limit_unit   = "USD"\n'
                  '  time_unit    = "MONTHLY"\n'
                  "  cost_filter {\n"
                  '    name   = "LinkedAccount"\n'
                  "    values = [var.member_account_id]\n"
                  "  }\n"
                  "}",
    ),
)
def budgets_member_accounts_budgeted(
    organization: Json, account: Json, view: AccountView
) -> Outcome | list[Outcome]:
    """A budget inside a member account is read and changed by that account's own administrators,
    the people whose misuse (or whose stolen keys) it should reveal. Budgets the management account
    keeps per member account (filtered on it) alert the central team whatever happens inside the
    account, and one place shows which accounts have no spending limit (ACCT-3)."""
    org, data = management_view(organization, account, view)
    if org is None:
        return ok("Not in an organization: there are no member accounts (the account's own budget is "
                  "judged by budgets_budget_with_notification)", evidence={"Organization": None})
    management = str(org.get("MasterAccountId"))
    if view.organization is not None and view.organization.management_id == management:
        budgets = view.organization.budgets
        if budgets is None:
            raise Missing("budgets", view.organization.gaps.get("budgets", "not collected"))
    else:  # the management account without a context (a single-account evaluation)
        budgets = AccountView.of(account).collection("budgets.budgets")
    unread = [b for b in budgets if "Notifications" not in b]
    covered = {a for b in budgets if b.get("Notifications") for a in linked_accounts(b)}
    if account_id(account) != management:  # a member account: its own verdict
        return _member_budget(account_id(account), management, covered, unread, view)
    members = [a for a in need(data, "accounts")
               if a.get("Id") != management and a.get("Status", "ACTIVE") == "ACTIVE"]
    missing = [a for a in members if a.get("Id") not in covered]
    evidence: Json = {"covered": sorted(covered & {str(a.get("Id")) for a in members}),
                      "budgets": [_budget_summary(b) for b in budgets if linked_accounts(b)]}
    if missing and unread:
        raise Missing("Notifications", "; ".join(str(b.get("BudgetName")) for b in unread))
    if missing:
        scanned = view.organization.scanned if view.organization is not None else frozenset()
        shown = [f"{a.get('Name')} ({a.get('Id')})" for a in missing]
        return [fail(f"{len(missing)} of {len(members)} member account(s) have no budget kept by the "
                     f"management account: {', '.join(shown[:5])}",
                     evidence={**evidence, "without": limited(shown)}),
                *(fail(f"Member account {a.get('Name')} ({a.get('Id')}) has no budget kept by the "
                       "management account", evidence={"Account": a.get("Id"), "Name": a.get("Name")},
                       resource=str(a.get("Arn") or a.get("Id")))
                  for a in missing if a.get("Id") not in scanned)]
    return ok(f"Every one of the {len(members)} active member account(s) has a notifying budget kept by "
              "the management account", evidence=evidence)


def _member_budget(member: str, management: str, covered: set[str], unread: list[Json],
                   view: AccountView) -> Outcome:
    evidence: Json = {"management account": management}
    if member in covered:
        return ok(f"The management account {management} keeps a notifying budget on this account",
                  evidence=evidence)
    if unread:
        raise Missing("Notifications", "; ".join(str(b.get("BudgetName")) for b in unread))
    own, _ = view.items("budgets.budgets")
    if own:
        evidence["own budgets (visible only inside the account)"] = [_budget_summary(b) for _, b in own]
    return fail(f"No budget kept by the management account {management} watches this account's spending",
                evidence=evidence)


# --- CIS 2.2 and 2.3 ------------------------------------------------------------------------------


@check(
    "account_contact_details_current",
    title="The account's contact details are current and reach more than one person",
    severity=Severity.LOW,
    objective=Objective.AVAILABILITY,
    over="account.contacts",
    remediation=Remediation(
        console=(
            "Open the account menu > Account > Contact information > Edit.",
            "Set a company address and a phone number staffed by more than one person; use a "
            "distribution-list e-mail for the root user.",
            "Fill in the billing, operations and security alternate contacts below it.",
        ),
        cli="aws account put-contact-information --contact-information "
            "FullName={name},AddressLine1={address},City={city},CountryCode={country},"
            "PostalCode={postal_code},PhoneNumber={phone}",
    ),
)
def account_contact_details_current(contacts: Json) -> Outcome:
    """AWS uses the account's contacts to warn of abuse, compromise or a suspended account, and
    to verify the owner when access must be recovered. Stale or single-person contacts mean those
    warnings reach nobody, or a person who has left."""
    info = need(contacts, "ContactInformation")
    alternate = contacts.get("AlternateContacts") or {}
    evidence = {"ContactInformation": info,
                "AlternateContacts": {k: v for k, v in alternate.items() if not k.startswith("_")}}
    if info is None:
        return fail("The account has no contact information", evidence=evidence)
    return manual("Confirm with the account owner that this contact information (and the root e-mail "
                  "address) is current and reaches a team rather than one person", evidence=evidence)


@check(
    "account_security_contact_registered",
    title="A security alternate contact is registered for the account",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over="account.contacts",
    remediation=Remediation(
        console=(
            "Open the account menu > Account > Alternate contacts > Edit.",
            "Under Security contact, enter the security team's name, title, distribution-list e-mail "
            "and phone number; save.",
        ),
        cli="aws account put-alternate-contact --alternate-contact-type SECURITY "
            "--name {name} --title {title} --email-address {email} --phone-number {phone}",
        terraform='resource "aws_account_alternate_contact" "security" {\n'
                  '  alternate_contact_type = "SECURITY"\n'
                  '  name                   = "Security team"\n'
                  '  title                  = "Security operations"\n'
                  '  email_address          = "security@example.com"\n'
                  '  phone_number           = "+1-555-0100"\n'
                  "}",
    ),
)
def account_security_contact_registered(contacts: Json) -> Outcome:
    """AWS sends security notifications (exposed credentials, abuse reports, compromise
    indicators) to the security alternate contact. Without one, they go to the root address,
    often a billing or former employee's mailbox, and an incident is noticed late or not at all."""
    security = need(need(contacts, "AlternateContacts"), "SECURITY")
    if security is None:
        return fail("No security alternate contact is registered", evidence={"SECURITY": None})
    return ok(f"Security contact: {security.get('Name')} <{security.get('EmailAddress')}>",
              evidence={"SECURITY": security})
