"""organizations collector: the AWS Organization the account belongs to and, from the management
account, its structure (roots, OUs, accounts), SCPs and RCPs with their targets, delegated
administrators, trusted services, the Organizations delegation policy and IAM's centralized root
access features.

Only DescribeOrganization is open to every member account; the rest is readable from the
management account alone (or a delegated administrator). A member account's scan therefore
collects the organization and marks the structure as readable only from the management account,
without calling APIs that would merely be denied.

The account tree is read by walking it (ListOrganizationalUnitsForParent and
ListAccountsForParent per root and OU) rather than ListAccounts plus ListParents per account:
the walk yields every account with its parent in one call per parent and page, where ListParents
costs one call per account.
"""

from __future__ import annotations

from typing import Any

from awsaudit.collect._call import ABSENT, Context, call
from awsaudit.model import Json
from awsaudit.untrusted import limits

SCOPE = "global"
PRODUCES: tuple[str, ...] = (
    "organization",
    "accounts",
    "organizational_units",
    "policies",
    "delegated_administrators",
)
ACTIONS: tuple[str, ...] = (
    "iam:ListOrganizationsFeatures",
    "organizations:DescribeOrganization",
    "organizations:DescribePolicy",
    "organizations:DescribeResourcePolicy",
    "organizations:ListAWSServiceAccessForOrganization",
    "organizations:ListAccountsForParent",
    "organizations:ListDelegatedAdministrators",
    "organizations:ListDelegatedServicesForAccount",
    "organizations:ListOrganizationalUnitsForParent",
    "organizations:ListPolicies",
    "organizations:ListRoots",
    "organizations:ListTargetsForPolicy",
)

POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
"""Authorization policies (guardrails); tag, backup and AI opt-out policies grant or deny nothing."""

MANAGEMENT_ONLY = "ManagementAccountOnly"
"""Why the organization's structure is absent in a member account's snapshot (no call was made)."""

NOT_IN_USE = "AWSOrganizationsNotInUseException"

# IAM answers these when centralized root access cannot be on: trusted access for IAM is not
# enabled in Organizations, or the organization has only consolidated billing features.
ROOT_ACCESS_OFF = frozenset({"ServiceAccessNotEnabledException", "OrganizationNotInAllFeaturesModeException"})

MANAGEMENT_KEYS = ("accounts", "organizational_units", "policies", "delegated_administrators")
ORGANIZATION_PARTS = ("Roots", "EnabledServicePrincipals", "ResourcePolicy", "OrganizationsFeatures")



def collect(ctx: Context) -> Json:
    client = ctx.client("organizations")
    data: Json = {}
    organization: Json = {"_arn": f"arn:{ctx.partition}:iam::{ctx.account}:root"}
    data["organization"] = organization
    described = call(ctx, client, "describe_organization", into=organization, key="Organization",
                     select="Organization", unset={NOT_IN_USE})
    if described is ABSENT:
        _unreadable(data, organization, organization["_errors"]["Organization"])
        return data
    if described is None:
        # Not in an organization: AWS's answer, so there are no OUs, policies or other accounts.
        data.update({key: [] for key in MANAGEMENT_KEYS})
        return data
    organization["_arn"] = described["Arn"]
    if described.get("MasterAccountId") != ctx.account:
        _unreadable(data, organization, MANAGEMENT_ONLY)
        return data

    call(ctx, client, "list_roots", into=organization, key="Roots", paginate="Roots")
    call(ctx, client, "list_aws_service_access_for_organization", into=organization,
         key="EnabledServicePrincipals", paginate="EnabledServicePrincipals")
    _resource_policy(ctx, client, organization)
    call(ctx, ctx.client("iam"), "list_organizations_features", into=organization,
         key="OrganizationsFeatures", unset=ROOT_ACCESS_OFF)
    _tree(ctx, client, data, organization)
    _policies(ctx, client, data)
    _delegated_administrators(ctx, client, data)
    return data


def _unreadable(data: Json, organization: Json, reason: str) -> None:
    """Mark everything beyond DescribeOrganization as not collected, with the reason."""
    errors = data.setdefault("_errors", {})
    errors.update(dict.fromkeys(MANAGEMENT_KEYS, reason))
    organization.setdefault("_errors", {}).update(
        {part: reason for part in ORGANIZATION_PARTS if part not in organization})


def _resource_policy(ctx: Context, client: Any, organization: Json) -> None:
    """The delegation policy that lets member accounts manage Organizations (policies, OUs ...)."""
    found = call(ctx, client, "describe_resource_policy", into=organization, key="ResourcePolicy",
                 select="ResourcePolicy", unset={"ResourcePolicyNotFoundException"})
    if found:
        _parse_content(ctx, found, organization, "ResourcePolicy", "DescribeResourcePolicy",
                       organization["_arn"])


def _parse_content(ctx: Context, holder: Json, owner: Json, key: str, operation: str, arn: str) -> None:
    """Replace holder["Content"] (a JSON string) by the document; a malformed one is unreadable data."""
    try:
        holder["Content"] = limits.loads(holder["Content"])
    except (ValueError, TypeError) as exc:
        del owner[key]
        owner.setdefault("_errors", {})[key] = "MalformedPolicy"
        ctx.record("organizations", operation, arn, "MalformedPolicy", str(exc))


def _tree(ctx: Context, client: Any, data: Json, organization: Json) -> None:
    """Walk root -> OUs level by level; every OU and account gets its parent as ListParents shows it."""
    roots = organization.get("Roots")
    if roots is None:  # ListRoots failed: nothing to walk from
        code = organization["_errors"]["Roots"]
        data.setdefault("_errors", {}).update({"accounts": code, "organizational_units": code})
        return
    ous: list[Json] = []
    accounts: list[Json] = []
    failed: dict[str, str] = {}
    level = [(root["Id"], "ROOT") for root in roots]
    while level:
        children: list[tuple[str, str]] = []
        for found in ctx.each(lambda parent: _children(ctx, client, *parent), level):
            for key, code in (found.get("_errors") or {}).items():
                failed.setdefault(key, code)
            for ou in found.get("ous") or []:
                ous.append(ou)
                children.append((ou["Id"], "ORGANIZATIONAL_UNIT"))
            accounts.extend(found.get("accounts") or [])
        level = children
    # An OU whose children could not be listed hides accounts (and OUs) below it: both incomplete.
    if "ous" in failed:
        data.setdefault("_errors", {}).update({"organizational_units": failed["ous"],
                                               "accounts": failed["ous"]})
        return
    data["organizational_units"] = ous
    if "accounts" in failed:
        data.setdefault("_errors", {})["accounts"] = failed["accounts"]
    else:
        data["accounts"] = accounts


def _children(ctx: Context, client: Any, parent_id: str, parent_type: str) -> Json:
    found: Json = {}
    parents = [{"Id": parent_id, "Type": parent_type}]
    for operation, key, result_key in (
        ("list_organizational_units_for_parent", "ous", "OrganizationalUnits"),
        ("list_accounts_for_parent", "accounts", "Accounts"),
    ):
        items = call(ctx, client, operation, into=found, key=key, resource=parent_id,
                     paginate=result_key, ParentId=parent_id)
        for item in items or []:
            item["_arn"] = item["Arn"]
            item["Parents"] = parents
    return found


def _policies(ctx: Context, client: Any, data: Json) -> None:
    """SCPs and RCPs with their documents and targets; one listing failure makes the set incomplete.

    ListPolicies answers for a policy type even when the type is not enabled on the root; whether
    a type is in force is read from the root's PolicyTypes (ListRoots).
    """
    listed: list[Json] = []
    for policy_type in POLICY_TYPES:
        found: Json = {}
        items = call(ctx, client, "list_policies", into=found, key="policies", paginate="Policies",
                     resource=policy_type, Filter=policy_type)
        if items is ABSENT:
            data.setdefault("_errors", {})["policies"] = found["_errors"]["policies"]
            return
        listed.extend(items)
    data["policies"] = ctx.each(lambda p: _policy(ctx, client, p), listed)


def _policy(ctx: Context, client: Any, policy: Json) -> Json:
    arn = str(policy["Arn"])
    policy["_arn"] = arn
    described = call(ctx, client, "describe_policy", into=policy, key="Content", resource=arn,
                     select="Policy", PolicyId=policy["Id"])
    if described:
        policy["Content"] = described.get("Content")
        _parse_content(ctx, policy, policy, "Content", "DescribePolicy", arn)
    call(ctx, client, "list_targets_for_policy", into=policy, key="Targets", resource=arn,
         paginate="Targets", PolicyId=policy["Id"])
    return policy


def _delegated_administrators(ctx: Context, client: Any, data: Json) -> None:
    admins = call(ctx, client, "list_delegated_administrators", into=data, key="delegated_administrators",
                  paginate="DelegatedAdministrators")
    if admins is ABSENT:
        return

    def services(admin: Json) -> Json:
        admin["_arn"] = admin["Arn"]
        call(ctx, client, "list_delegated_services_for_account", into=admin, key="DelegatedServices",
             resource=admin["Arn"], paginate="DelegatedServices", AccountId=admin["Id"])
        return admin

    data["delegated_administrators"] = ctx.each(services, admins)
