"""organizations collector against moto: the tree walk, policies with documents and targets,
delegated administrators, a member account's limited view, denied calls; Stubber for the
operations moto lacks (IAM ListOrganizationsFeatures, DescribeResourcePolicy)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.stub import Stubber

from awsaudit.checks import evaluate
from awsaudit.checks.account.organizations import (
    organizations_guardrails_on_every_account,
    organizations_ou_structure,
    organizations_policy_management_delegated,
)
from awsaudit.checks.account.structure import organizations_multi_account_organization
from awsaudit.collect import organizations
from awsaudit.collect._call import Context
from awsaudit.model import Json, Status
from tests.conftest import ACCOUNT, REGION

SCP = "SERVICE_CONTROL_POLICY"
GUARDRAIL = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}
UNIMPLEMENTED = {  # moto raises NotImplementedError for these; AWS's answer for an org without them
    "ListOrganizationsFeatures": "ServiceAccessNotEnabledException",
    "DescribeResourcePolicy": "ResourcePolicyNotFoundException",
}


@pytest.fixture
def org(session: boto3.Session) -> Json:
    """Root > Workloads > Prod (acme-prod), Root > Security (acme-security); an SCP on Workloads;
    GuardDuty delegated to acme-security. Returns the ids by name."""
    client = session.client("organizations")
    client.create_organization(FeatureSet="ALL")
    root = client.list_roots()["Roots"][0]["Id"]
    client.enable_policy_type(RootId=root, PolicyType=SCP)
    def new_ou(parent: str, name: str) -> str:
        return client.create_organizational_unit(ParentId=parent, Name=name)["OrganizationalUnit"]["Id"]

    workloads = new_ou(root, "Workloads")
    prod_ou = new_ou(workloads, "Prod")
    security_ou = new_ou(root, "Security")
    ids = {"root": root, "Workloads": workloads, "Prod": prod_ou, "Security": security_ou}
    for name, ou in (("acme-prod", prod_ou), ("acme-security", security_ou)):
        ids[name] = client.create_account(AccountName=name, Email=f"{name}@acme.example")[
            "CreateAccountStatus"]["AccountId"]
        client.move_account(AccountId=ids[name], SourceParentId=root, DestinationParentId=ou)
    scp = client.create_policy(Name="baseline", Type=SCP, Description="guardrails",
                               Content=json.dumps(GUARDRAIL))["Policy"]["PolicySummary"]["Id"]
    client.attach_policy(PolicyId=scp, TargetId=workloads)
    ids["baseline"] = scp
    client.enable_aws_service_access(ServicePrincipal="guardduty.amazonaws.com")
    client.register_delegated_administrator(AccountId=ids["acme-security"],
                                            ServicePrincipal="guardduty.amazonaws.com")
    return ids


@pytest.fixture
def unimplemented(deny: Callable[..., None]) -> None:
    """Answer the operations moto lacks as AWS does for an organization that uses neither."""
    for operation, code in UNIMPLEMENTED.items():
        deny(operation, code=code, status=400)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    made: list[str] = []
    original = BaseClient._make_api_call

    def record(self: BaseClient, operation: str, params: Any) -> Any:
        made.append(operation)
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    yield made


def by_name(items: list[Json]) -> dict[str, Json]:
    return {item["Name"]: item for item in items}


@pytest.mark.usefixtures("unimplemented")
def test_management_account_collects_the_whole_organization(ctx: Context, org: Json) -> None:
    data = organizations.collect(ctx)

    assert ctx.errors == []
    organization = data["organization"]
    assert organization["_arn"] == organization["Organization"]["Arn"]
    assert organization["Organization"]["MasterAccountId"] == ACCOUNT
    assert organization["Roots"][0]["PolicyTypes"] == [{"Type": SCP, "Status": "ENABLED"}]
    trusted = [s["ServicePrincipal"] for s in organization["EnabledServicePrincipals"]]
    assert trusted == ["guardduty.amazonaws.com"]
    assert organization["ResourcePolicy"] is None  # ResourcePolicyNotFoundException: not configured
    assert organization["OrganizationsFeatures"] is None  # trusted access for IAM not enabled

    ous = by_name(data["organizational_units"])
    assert ous["Prod"]["Parents"] == [{"Id": org["Workloads"], "Type": "ORGANIZATIONAL_UNIT"}]
    assert ous["Security"]["Parents"] == [{"Id": org["root"], "Type": "ROOT"}]
    assert ous["Prod"]["_arn"] == ous["Prod"]["Arn"]
    accounts = by_name(data["accounts"])
    assert set(accounts) == {"master", "acme-prod", "acme-security"}
    assert accounts["acme-prod"]["Parents"] == [{"Id": org["Prod"], "Type": "ORGANIZATIONAL_UNIT"}]
    assert accounts["master"]["Parents"][0]["Type"] == "ROOT"

    policies = by_name(data["policies"])
    assert policies["baseline"]["Content"] == GUARDRAIL  # the document, parsed
    assert [t["TargetId"] for t in policies["baseline"]["Targets"]] == [org["Workloads"]]
    assert policies["FullAWSAccess"]["AwsManaged"] is True
    assert {p["Type"] for p in data["policies"]} == {SCP, "RESOURCE_CONTROL_POLICY"}

    (admin,) = data["delegated_administrators"]
    assert admin["Id"] == org["acme-security"]
    assert [s["ServicePrincipal"] for s in admin["DelegatedServices"]] == ["guardduty.amazonaws.com"]


def test_account_outside_any_organization(ctx: Context, calls: list[str]) -> None:
    data = organizations.collect(ctx)

    assert data["organization"] == {"_arn": f"arn:aws:iam::{ACCOUNT}:root", "Organization": None}
    assert {k: data[k] for k in organizations.PRODUCES if k != "organization"} == {
        key: [] for key in ("accounts", "organizational_units", "policies", "delegated_administrators")}
    assert ctx.errors == []
    assert calls == ["DescribeOrganization"]


@pytest.mark.usefixtures("org")
def test_member_account_reads_only_the_organization(session: boto3.Session, calls: list[str]) -> None:
    member = Context(session, "210987654321", REGION)
    calls.clear()  # building the organization made calls too

    data = organizations.collect(member)

    assert calls == ["DescribeOrganization"]  # the rest would only be denied
    assert data["organization"]["Organization"]["MasterAccountId"] == ACCOUNT
    assert data["_errors"] == dict.fromkeys(
        ("accounts", "organizational_units", "policies", "delegated_administrators"), "ManagementAccountOnly")
    assert data["organization"]["_errors"]["Roots"] == "ManagementAccountOnly"
    assert not any(k in data for k in ("accounts", "policies"))
    assert member.errors == []


@pytest.mark.usefixtures("org", "unimplemented")
def test_denied_calls_leave_only_their_data_absent(ctx: Context, deny: Callable[..., None]) -> None:
    deny("ListAccountsForParent", "DescribePolicy")

    data = organizations.collect(ctx)

    assert "accounts" not in data
    assert data["_errors"] == {"accounts": "AccessDenied"}
    assert {ou["Name"] for ou in data["organizational_units"]} == {"Workloads", "Prod", "Security"}
    baseline = by_name(data["policies"])["baseline"]
    assert "Content" not in baseline
    assert baseline["_errors"] == {"Content": "AccessDenied"}
    assert baseline["Targets"]
    assert {e["operation"] for e in ctx.errors} == {"ListAccountsForParent", "DescribePolicy"}
    assert {e["code"] for e in ctx.errors} == {"AccessDenied"}


@pytest.mark.usefixtures("org", "unimplemented")
def test_denied_ou_listing_leaves_the_tree_absent(ctx: Context, deny: Callable[..., None]) -> None:
    deny("ListOrganizationalUnitsForParent", code="TooManyRequestsException", status=400)

    data = organizations.collect(ctx)

    assert data["_errors"] == {"organizational_units": "TooManyRequestsException",
                               "accounts": "TooManyRequestsException"}
    assert "organizational_units" not in data and "accounts" not in data
    assert "policies" in data


def test_root_access_features_and_delegation_policy(ctx: Context, org: Json,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    delegation = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{org['acme-security']}:root"},
        "Action": ["organizations:Describe*", "organizations:List*", "organizations:*Policy"],
        "Resource": "*"}]}
    original = BaseClient._make_api_call

    def resource_policy(self: BaseClient, operation: str, params: Any) -> Any:
        if operation == "DescribeResourcePolicy":
            return {"ResourcePolicy": {"ResourcePolicySummary": {"Id": "rp-12345678", "Arn": "arn:rp"},
                                       "Content": json.dumps(delegation)}}
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", resource_policy)
    iam = ctx.client("iam")
    with Stubber(iam) as stub:
        stub.add_response("list_organizations_features", {
            "OrganizationId": "o-acme", "EnabledFeatures": ["RootCredentialsManagement", "RootSessions"]})
        data = organizations.collect(ctx)
        stub.assert_no_pending_responses()

    organization = data["organization"]
    assert organization["OrganizationsFeatures"] == {
        "OrganizationId": "o-acme", "EnabledFeatures": ["RootCredentialsManagement", "RootSessions"]}
    assert organization["ResourcePolicy"]["Content"] == delegation
    assert ctx.errors == []


@pytest.mark.usefixtures("org")
def test_malformed_delegation_policy_is_unreadable_data(ctx: Context,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    original = BaseClient._make_api_call

    def answer(self: BaseClient, operation: str, params: Any) -> Any:
        if operation == "DescribeResourcePolicy":
            return {"ResourcePolicy": {"ResourcePolicySummary": {"Id": "rp-1"}, "Content": "{not json"}}
        if operation == "ListOrganizationsFeatures":
            return {"OrganizationId": "o-acme", "EnabledFeatures": []}
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", answer)

    organization = organizations.collect(ctx)["organization"]

    assert "ResourcePolicy" not in organization
    assert organization["_errors"] == {"ResourcePolicy": "MalformedPolicy"}
    assert [(e["operation"], e["code"]) for e in ctx.errors] == [
        ("DescribeResourcePolicy", "MalformedPolicy")]


@pytest.mark.usefixtures("unimplemented")
def test_collected_organization_evaluates(ctx: Context, org: Json) -> None:
    snapshot = {"accounts": {ACCOUNT: {"account_id": ACCOUNT,
                                       "global": {"organizations": organizations.collect(ctx)}}}}

    findings = {f.check_id: f for f in evaluate(snapshot, [
        organizations_multi_account_organization, organizations_guardrails_on_every_account,
        organizations_ou_structure, organizations_policy_management_delegated])}

    assert findings["organizations_multi_account_organization"].status is Status.PASS
    guardrails = findings["organizations_guardrails_on_every_account"]
    assert guardrails.status is Status.FAIL
    assert "Root/Security/acme-security" in guardrails.message
    assert guardrails.resource.startswith("arn:aws:organizations::")
    assert findings["organizations_ou_structure"].status is Status.MANUAL
    assert findings["organizations_policy_management_delegated"].status is Status.FAIL
