"""Acme's account structure: an AWS Organization run from Acme's original account, three member
accounts under environment OUs, one guardrail SCP that misses the Security OU, a cost budget that
alerts finance, and alternate contacts without a security contact.

Acme created the organization from the account that already ran production (which is why the
management account carries workloads: the other demo areas build them there), added
acme-prod, acme-staging and acme-security, and attached its baseline SCP to the Workloads OU only:
the security account, under its own OU, got no guardrail. GuardDuty is administered by
acme-security; IAM Access Analyzer was integrated with the organization but never delegated.

moto has not implemented three of the read-only operations the scan makes: IAM's
ListOrganizationsFeatures, Organizations' DescribeResourcePolicy and Account's
GetContactInformation. simulate() answers them on the scan's session exactly as AWS answers for
Acme (centralized root access never enabled, no delegation policy, the company's address), the
same way restricted.py enforces a bucket policy moto ignores. moto's credential report also lacks
the `<root_account>` row AWS always puts first; simulate() adds Acme's: no MFA (as moto's account
summary says), no access keys, and a console sign-in nine days ago (finance updating the payment
card as root), so root's use (IAM-3) is assessed in the demo too.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

import boto3
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from awsaudit.model import Json

MEMBERS = {  # account name -> OU path under the root
    "acme-prod": ("Workloads", "Prod"),
    "acme-staging": ("Workloads", "Staging"),
    "acme-security": ("Security",),
}
GUARDRAIL_SCP = "acme-baseline-guardrails"
GUARDRAIL: Json = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "DenyLeavingTheOrganization", "Effect": "Deny",
         "Action": "organizations:LeaveOrganization", "Resource": "*"},
        {"Sid": "DenyDisablingCloudTrail", "Effect": "Deny",
         "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail",
                    "cloudtrail:PutEventSelectors"],
         "Resource": "*"},
    ],
}
BUDGET = "acme-monthly-cloud-spend"
CONTACT_INFORMATION: Json = {
    "FullName": "Acme Corp",
    "CompanyName": "Acme Corp",
    "AddressLine1": "12 Harbour Road",
    "City": "Dublin",
    "PostalCode": "D02 XY45",
    "CountryCode": "IE",
    "PhoneNumber": "+353-1-555-0100",
    "WebsiteUrl": "https://acme.example",
}


def build(session: boto3.Session, regions: Sequence[str]) -> None:
    home = regions[0]
    account = session.client("sts", region_name=home).get_caller_identity()["Account"]
    orgs = session.client("organizations", region_name=home)
    ids: dict[str, str] = {}
    with _without_managed_policies():
        orgs.create_organization(FeatureSet="ALL")
        root = orgs.list_roots()["Roots"][0]["Id"]
        ous: dict[tuple[str, ...], str] = {(): root}
        for path in sorted({p[: i + 1] for p in MEMBERS.values() for i in range(len(p))}, key=len):
            created = orgs.create_organizational_unit(ParentId=ous[path[:-1]], Name=path[-1])
            ous[path] = created["OrganizationalUnit"]["Id"]
        for name, path in MEMBERS.items():
            email = f"aws+{name.removeprefix('acme-')}@acme.example"
            ids[name] = orgs.create_account(AccountName=name, Email=email)["CreateAccountStatus"]["AccountId"]
            orgs.move_account(AccountId=ids[name], SourceParentId=root, DestinationParentId=ous[path])
    orgs.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")

    policy = orgs.create_policy(Name=GUARDRAIL_SCP, Type="SERVICE_CONTROL_POLICY",
                                Description="Acme baseline: stay in the organization, keep CloudTrail on",
                                Content=json.dumps(GUARDRAIL))["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=policy, TargetId=ous[("Workloads",)])

    for service in ("guardduty.amazonaws.com", "access-analyzer.amazonaws.com"):
        orgs.enable_aws_service_access(ServicePrincipal=service)
    orgs.register_delegated_administrator(AccountId=ids["acme-security"],
                                          ServicePrincipal="guardduty.amazonaws.com")

    _budget(session, account)
    contacts: Any = session.client("account", region_name=home)
    contacts.put_alternate_contact(AlternateContactType="BILLING", Name="Nadia Keane",
                                   Title="Finance manager", EmailAddress="finance@acme.example",
                                   PhoneNumber="+353-1-555-0110")
    contacts.put_alternate_contact(AlternateContactType="OPERATIONS", Name="Platform team",
                                   Title="Platform on-call", EmailAddress="platform-oncall@acme.example",
                                   PhoneNumber="+353-1-555-0120")


@contextmanager
def _without_managed_policies() -> Iterator[None]:
    """moto gives every new account an IAM backend per partition, each loading ~1,300 AWS managed
    policies when the demo asks for them (about a second per account; CreateOrganization makes
    one more, transient, account). Member accounts are never scanned, so theirs are created
    without; the management account's backends already exist (the STS call above made them)."""
    saved = os.environ.get("MOTO_IAM_LOAD_MANAGED_POLICIES")
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "false"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("MOTO_IAM_LOAD_MANAGED_POLICIES", None)
        else:
            os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = saved


def _budget(session: boto3.Session, account: str) -> None:
    budgets: Any = session.client("budgets")
    budgets.create_budget(
        AccountId=account,
        Budget={"BudgetName": BUDGET, "BudgetType": "COST", "TimeUnit": "MONTHLY",
                "BudgetLimit": {"Amount": "25000", "Unit": "USD"}},
        NotificationsWithSubscribers=[{
            "Notification": {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN",
                             "Threshold": 80, "ThresholdType": "PERCENTAGE"},
            "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "finance@acme.example"}],
        }],
    )


def _error(code: str, message: str) -> tuple[AWSResponse, Json]:
    return AWSResponse("https://demo.invalid/", 400, HTTPHeaders(), None), {
        "Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}


ANSWERS: dict[str, tuple[AWSResponse, Json]] = {
    # Trusted access for IAM was never enabled: centralized root access is off.
    "before-call.iam.ListOrganizationsFeatures": _error(
        "ServiceAccessNotEnabledException",
        "The service access for IAM is not enabled for the organization."),
    "before-call.organizations.DescribeResourcePolicy": _error(
        "ResourcePolicyNotFoundException", "The organization has no resource policy."),
    "before-call.account.GetContactInformation": (
        AWSResponse("https://demo.invalid/", 200, HTTPHeaders(), None),
        {"ContactInformation": CONTACT_INFORMATION, "ResponseMetadata": {"HTTPStatusCode": 200}}),
}


ROOT_SIGNED_IN_DAYS_AGO = 9
ROOT_CREATED_DAYS_AGO = 1200


def _with_root_row(session: boto3.Session, parsed: Json, **_: Any) -> None:
    """Put root's row first in the credential report, as AWS does (after-call: the parsed answer).

    The account comes from the users' rows, or, in an account without IAM users (a member
    account), from the session's identity."""
    content = parsed.get("Content")
    if not isinstance(content, bytes) or b"<root_account>" in content or not content.strip():
        return
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    header = content.decode("utf-8").splitlines()[0].split(",")
    account = next((r["arn"].split(":")[4] for r in rows if r.get("arn", "").count(":") >= 5), None)
    if account is None:
        account = session.client("sts").get_caller_identity()["Account"]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    root = dict.fromkeys(header, "N/A") | {
        "user": "<root_account>", "arn": f"arn:aws:iam::{account}:root",
        "user_creation_time": (now - dt.timedelta(days=ROOT_CREATED_DAYS_AGO)).isoformat(),
        "password_enabled": "not_supported", "password_last_changed": "not_supported",
        "password_next_rotation": "not_supported",
        "password_last_used": (now - dt.timedelta(days=ROOT_SIGNED_IN_DAYS_AGO)).isoformat(),
        "mfa_active": "false", "access_key_1_active": "false", "access_key_2_active": "false",
        "cert_1_active": "false", "cert_2_active": "false"}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows([root, *rows])
    parsed["Content"] = out.getvalue().encode("utf-8")


def simulate(session: boto3.Session) -> None:
    """Answer, on this session, the operations moto lacks, as AWS answers them for Acme."""
    for event, answer in ANSWERS.items():
        session.events.register(event, cast(Any, lambda answer=answer, **_: answer))
    session.events.register("after-call.iam.GetCredentialReport",
                            cast(Any, functools.partial(_with_root_row, session)))
