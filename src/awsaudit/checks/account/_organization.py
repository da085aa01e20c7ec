"""Reading AWS Organizations data for the account and organization checks.

The organization checks run once per account on the `organizations.organization` document and
read the rest of the organization (accounts, OUs, policies, delegated administrators) from the
same service's data. In a member account only the organization itself is readable; what needs the
management account's view raises Missing with that reason, so it is UNKNOWN, never guessed.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from awsaudit.checks._registry import Missing, need
from awsaudit.checks._view import AccountView
from awsaudit.model import Json, Outcome

SCP, RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"
FULL_ACCESS = frozenset({"FullAWSAccess", "RCPFullAWSAccess"})
"""The AWS-managed allow-everything policies Organizations attaches by default: no guardrail."""

MANAGEMENT_VIEW = "readable only from the management account (or a delegated administrator): scan it"
EVIDENCE_LIMIT = 50
"""Long lists in evidence (accounts, OUs) are cut here, with the total given alongside."""


def organizations_data(account: Json) -> Json:
    """The account's organizations service data (the organization check's siblings)."""
    return AccountView.of(account).service("organizations")


def account_id(account: Json) -> str:
    """The scanned account's id, which tells the management account from a member."""
    return str(need(account, "account_id"))


def is_management(org: Json, account: Json) -> bool:
    return bool(org.get("MasterAccountId") == account_id(account))


def management_view(
    resource: Json, account: Json, view: AccountView | None = None
) -> tuple[Json | None, Json]:
    """(Organization, the organizations data) for checks that need the management account's view;
    (None, {}) when the account is in no organization. A member account reads them from the
    organization context (the management shard of the same snapshot), else raises Missing."""
    org, data, _ = management_parts(resource, account, view)
    return org, data


def management_parts(resource: Json, account: Json, view: AccountView | None = None) -> tuple[
        Json | None, Json, Json]:
    """management_view() and the management account's organization document (Roots, features,
    delegation policy, trusted services): the resource itself in the management account."""
    org = need(resource, "Organization")
    if org is None:
        return None, {}, resource
    if is_management(org, account):
        return org, organizations_data(account), resource
    context = view.organization if view is not None else None
    if context is None or context.management_id != org.get("MasterAccountId"):
        raise Missing("organization structure", MANAGEMENT_VIEW)
    return context.organization, context.data, context.org_resource


def in_member(account: Json, view: AccountView) -> bool:
    """A member account judged through the organization context (not the management account)."""
    return view.organization is not None and view.organization.management_id != account_id(account)


def from_management(outcome: Outcome, account: Json, view: AccountView) -> Outcome:
    """An organization-wide verdict as a member account sees it: the same, saying where it was read."""
    if not in_member(account, view) or view.organization is None:
        return outcome
    where = f"organization-wide, read from the management account {view.organization.management_id}"
    return dataclasses.replace(outcome, message=f"{outcome.message} ({where})")


def summary(org: Json) -> Json:
    keys = ("Id", "MasterAccountId", "MasterAccountEmail", "FeatureSet")
    return {k: org.get(k) for k in keys}


def limited(items: list[Any]) -> Json:
    return {"total": len(items), "items": items[:EVIDENCE_LIMIT]}


def parent_ids(data: Json) -> dict[str, str]:
    """Every OU's and account's parent id (root or OU)."""
    parent = {ou["Id"]: need(ou, "Parents")[0]["Id"] for ou in need(data, "organizational_units")}
    for acct in need(data, "accounts"):
        parent[acct["Id"]] = need(acct, "Parents")[0]["Id"]
    return parent


def ancestry(node: str, parent: dict[str, str]) -> list[str]:
    """The node and its ancestors up to the root: every target whose policies apply to it."""
    chain = [node]
    while chain[-1] in parent and parent[chain[-1]] not in chain:
        chain.append(parent[chain[-1]])
    return chain


def display_names(data: Json, roots: list[Json]) -> dict[str, str]:
    """Display names of roots, OUs and accounts, by id."""
    names = {r["Id"]: str(r.get("Name", "Root")) for r in roots}
    for kind in ("organizational_units", "accounts"):
        names.update({item["Id"]: str(item.get("Name", item["Id"])) for item in data.get(kind) or []})
    return names


def path_name(chain: list[str], names: dict[str, str]) -> str:
    """'Root/Workloads/Prod' for a chain: the names from the root down to the node itself."""
    return "/".join(names.get(node, node) for node in reversed(chain))


def statements_of(document: Any) -> list[Json]:
    """A policy document's statements as a list (a lone statement may be a bare object)."""
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    return [s for s in ([statements] if isinstance(statements, dict) else statements) if isinstance(s, dict)]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allows_everything(document: Any) -> bool:
    """True for an allow-all document (FullAWSAccess-like): it restricts nothing."""
    statements = statements_of(document)
    return bool(statements) and all(
        s.get("Effect") == "Allow" and "*" in as_list(s.get("Action")) and "*" in as_list(s.get("Resource"))
        and not s.get("Condition")
        for s in statements
    )


def guardrail(policy: Json) -> bool | None:
    """Does this SCP/RCP restrict anything? None when its document could not be read."""
    if policy.get("AwsManaged") and policy.get("Name") in FULL_ACCESS:
        return False
    if "Content" not in policy:
        return None
    return not allows_everything(policy["Content"])
