"""Organization checks (CIS 2.1.x): centralized root access, SCP/RCP guardrails on every member
account, the OU structure, and delegated administration of policies and integrated services.
Assessed from the management account; in a member account they are UNKNOWN for want of its view.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from awsaudit.checks._registry import Missing, check, need
from awsaudit.checks._view import AccountView
from awsaudit.checks.account._organization import (
    RCP,
    SCP,
    account_id,
    ancestry,
    as_list,
    display_names,
    from_management,
    guardrail,
    in_member,
    limited,
    management_parts,
    parent_ids,
    path_name,
    statements_of,
)
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, fail, manual, ok

POLICY_MANAGEMENT = ("createpolicy", "updatepolicy", "deletepolicy", "attachpolicy", "detachpolicy")
"""Organizations actions that manage policies: what a delegated policy administrator must be granted."""

DELEGABLE_SECURITY_SERVICES = frozenset({
    "access-analyzer.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "detective.amazonaws.com",
    "fms.amazonaws.com",
    "guardduty.amazonaws.com",
    "inspector2.amazonaws.com",
    "macie.amazonaws.com",
    "securityhub.amazonaws.com",
    "sso.amazonaws.com",
})
"""Security services that support a delegated administrator under the same service principal as
their trusted access (AWS Organizations user guide, 'services that work with Organizations'):
trusted access without a delegated administrator means they are run from the management account."""

ORGANIZATIONS_CONSOLE = "Sign in to the management account and open AWS Organizations"

# --- CIS 2.1.1 ------------------------------------------------------------------------------------


@check(
    "organizations_root_credentials_centralized",
    title="Root user credentials of member accounts are centrally managed by the organization",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="organizations.organization",
    remediation=Remediation(
        console=(
            "In the management account, open IAM > Root access management.",
            "Choose Enable: turn on Root credentials management and Privileged root actions in member "
            "accounts (this enables trusted access for IAM in AWS Organizations).",
            "Then delete the root credentials of each member account from the same page.",
        ),
        cli="aws organizations enable-aws-service-access --service-principal iam.amazonaws.com && "
            "aws iam enable-organizations-root-credentials-management && "
            "aws iam enable-organizations-root-sessions",
        terraform='resource "aws_iam_organizations_features" "root_access" {\n'
                  '  enabled_features = ["RootCredentialsManagement", "RootSessions"]\n'
                  "}",
    ),
)
def organizations_root_credentials_centralized(
    organization: Json, account: Json, view: AccountView
) -> Outcome:
    """Every member account is born with a root user whose password can be recovered through its
    e-mail address. Centralized root access lets the management account delete those credentials
    and perform the rare root-only tasks through short, audited sessions, so a hijacked mailbox
    no longer yields unrestricted control of an account."""
    return from_management(_root_credentials(organization, account, view), account, view)


def _root_credentials(organization: Json, account: Json, view: AccountView) -> Outcome:
    org, _, organization = management_parts(organization, account, view)
    if org is None:
        return fail("Not in an organization: root credentials cannot be centrally managed",
                    evidence={"Organization": None})
    features = need(organization, "OrganizationsFeatures")
    if features is None:
        return fail("Centralized root access is off: trusted access for IAM is not enabled in "
                    "the organization", evidence={"OrganizationsFeatures": None})
    enabled = list(features.get("EnabledFeatures") or [])
    evidence = {"EnabledFeatures": enabled}
    if "RootCredentialsManagement" not in enabled:
        return fail("Root credentials management is not enabled for member accounts", evidence=evidence)
    sessions = "" if "RootSessions" in enabled else " (root sessions, for privileged tasks, are not enabled)"
    return ok(f"Root credentials of member accounts are centrally managed{sessions}", evidence=evidence)


# --- CIS 2.1.2 ------------------------------------------------------------------------------------


def _enabled_types(roots: list[Json]) -> set[str]:
    return {t.get("Type") for root in roots for t in root.get("PolicyTypes") or []
            if t.get("Status") == "ENABLED"} & {SCP, RCP}


def _attached_guardrails(data: Json, enabled: set[str]) -> tuple[
        dict[str, list[str]], dict[str, list[str]], list[str]]:
    """(target id -> guardrails attached to it, target id -> policies whose document could not be
    read, guardrails whose targets could not be read: they could be anywhere)."""
    guards: dict[str, list[str]] = {}
    undecided: dict[str, list[str]] = {}
    floating: list[str] = []
    for policy in need(data, "policies"):
        if policy.get("Type") not in enabled:
            continue
        verdict = guardrail(policy)
        if verdict is False:
            continue
        if "Targets" not in policy:
            floating.append(f"{policy.get('Name')}: targets {(policy.get('_errors') or {}).get('Targets')}")
            continue
        into = guards if verdict else undecided
        for target in policy["Targets"]:
            into.setdefault(str(target.get("TargetId")), []).append(str(policy.get("Name")))
    return guards, undecided, floating


@check(
    "organizations_guardrails_on_every_account",
    title="Every member account is under at least one SCP or RCP guardrail besides full access",
    severity=Severity.HIGH,
    objective=Objective.INTEGRITY,
    over="organizations.organization",
    remediation=Remediation(
        console=(
            ORGANIZATIONS_CONSOLE + " > Policies > Service control policies (enable the type if needed).",
            "Create a baseline guardrail policy (deny leaving the organization, disabling CloudTrail, "
            "GuardDuty or Config, and unapproved regions).",
            "Attach it to the root, or to every OU that holds the accounts listed in the evidence.",
        ),
        cli="aws organizations enable-policy-type --root-id {root_id} --policy-type SERVICE_CONTROL_POLICY; "
            "aws organizations attach-policy --policy-id {policy_id} --target-id {root_id}",
        terraform='resource "aws_organizations_policy_attachment" "baseline" {\n'
                  "  policy_id = aws_organizations_policy.baseline_guardrails.id\n"
                  "  target_id = aws_organizations_organization.this.roots[0].id\n"
                  "}",
    ),
)
def organizations_guardrails_on_every_account(
    organization: Json, account: Json, view: AccountView
) -> Outcome | list[Outcome]:
    """Service and resource control policies set the most any principal or resource in an account
    can do, whatever its own IAM and resource policies say. Without a guardrail, an administrator
    (or an attacker holding one's credentials) in a member account can stop CloudTrail, leave the
    organization, use unapproved regions or open resources to the world."""
    org, data, organization = management_parts(organization, account, view)
    if org is None:
        return fail("Not in an organization: no SCP or RCP can guard the account",
                    evidence={"Organization": None})
    roots = need(organization, "Roots")
    enabled = _enabled_types(roots)
    if not enabled:
        types = [{"Id": r.get("Id"), "PolicyTypes": r.get("PolicyTypes")} for r in roots]
        return fail("Neither SCPs nor RCPs are enabled on the organization's root", evidence={"Roots": types})
    guards, undecided, floating = _attached_guardrails(data, enabled)
    parent = parent_ids(data)
    names = display_names(data, roots)
    unguarded: list[Json] = []
    unclear: list[str] = []
    guarded = 0
    member = in_member(account, view)
    scanned = view.organization.scanned if view.organization is not None else frozenset()
    listed = need(data, "accounts")
    if member and account_id(account) not in {a["Id"] for a in listed}:
        raise Missing("accounts", f"account {account_id(account)} is not listed by the management account")
    for acct in listed:
        if acct["Id"] == org.get("MasterAccountId"):
            continue  # SCPs and RCPs never apply to the management account
        if member and acct["Id"] != account_id(account):
            continue  # a member account is judged on its own guardrails
        chain = ancestry(acct["Id"], parent)
        if any(node in guards for node in chain):
            guarded += 1
        elif floating or any(node in undecided for node in chain):
            unclear.append(f"{acct.get('Name')} ({acct['Id']})")
        else:
            unguarded.append({"Id": acct["Id"], "Name": acct.get("Name"), "Path": path_name(chain, names),
                              "Arn": acct.get("Arn") or f"arn:aws:organizations::{org.get('MasterAccountId')}"
                                                        f":account/{org.get('Id')}/{acct['Id']}"})
    attached = {path_name(ancestry(target, parent), names): p for target, p in sorted(guards.items())}
    evidence: Json = {"PolicyTypesEnabled": sorted(enabled), "guardrails": attached}
    if member:
        return _member_guardrails(account, view, unguarded, unclear, floating, evidence)
    if unguarded:
        paths = ", ".join(str(a["Path"]) for a in unguarded[:5])
        shown = [{k: a[k] for k in ("Id", "Name", "Path")} for a in unguarded]
        summary = fail(f"{len(unguarded)} member account(s) have no guardrail besides full access: {paths}",
                       evidence={**evidence, "unguarded": limited(shown)})
        # One finding per member account not scanned itself (a scanned one has its own finding).
        return [summary, *(
            fail(f"Member account {a['Path']} ({a['Id']}) has no guardrail besides full access",
                 evidence={"Account": a["Id"], "Name": a["Name"], "Path": a["Path"],
                           "PolicyTypesEnabled": sorted(enabled)},
                 resource=str(a["Arn"]))
            for a in unguarded if a["Id"] not in scanned)]
    if unclear:
        reasons = floating or ["policy documents not collected"]
        raise Missing("policies", f"{'; '.join(reasons)} (accounts: {', '.join(unclear[:5])})")
    return ok(f"All {guarded} member account(s) are under at least one guardrail policy", evidence=evidence)


def _member_guardrails(account: Json, view: AccountView, unguarded: list[Json], unclear: list[str],
                       floating: list[str], evidence: Json) -> Outcome:
    """A member account's own verdict, from the organization context."""
    context = view.organization
    assert context is not None  # in_member() said so
    this = context.account(account_id(account))
    path = this.path if this is not None else account_id(account)
    mine = {target: names for target, names in evidence["guardrails"].items()
            if path == target or path.startswith(f"{target}/")}
    details = {**evidence, "guardrails": mine, "Path": path,
               "read from": f"management account {context.management_id}"}
    if unguarded:
        return fail(f"This account ({path}) has no SCP or RCP guardrail besides full access",
                    evidence=details)
    if unclear:
        raise Missing("policies", "; ".join(floating or ["policy documents not collected"]))
    return ok(f"This account ({path}) is under guardrail(s): "
              + "; ".join(f"{t}: {', '.join(n)}" for t, n in mine.items()), evidence=details)


# --- CIS 2.1.4 ------------------------------------------------------------------------------------


@check(
    "organizations_ou_structure",
    title="Organizational units group accounts by environment and sensitivity",
    severity=Severity.LOW,
    objective=Objective.INTEGRITY,
    over="organizations.organization",
    remediation=Remediation(
        console=(
            ORGANIZATIONS_CONSOLE + " > AWS accounts.",
            "Create top-level OUs by environment and sensitivity (e.g. Security, Infrastructure, Prod, "
            "NonProd, Sandbox); add child OUs only where guardrails differ.",
            "Move every account into the OU matching its environment and data sensitivity.",
        ),
        cli="aws organizations create-organizational-unit --parent-id {root_id} --name Prod && "
            "aws organizations move-account --account-id {account_id} --source-parent-id {root_id} "
            "--destination-parent-id {ou_id}",
        terraform='resource "aws_organizations_organizational_unit" "prod" {\n'
                  '  name      = "Prod"\n'
                  "  parent_id = aws_organizations_organization.this.roots[0].id\n"
                  "}",
    ),
)
def organizations_ou_structure(organization: Json, account: Json, view: AccountView) -> Outcome:
    """Guardrails are attached to OUs; when OUs mirror environments and data sensitivity, each
    account inherits the controls its risk calls for. Ad-hoc OUs (or none) mix production and
    sandbox accounts under the same policies, so controls end up either too loose or bypassed."""
    org, data, organization = management_parts(organization, account, view)
    if org is None:
        return fail("Not in an organization: there are no organizational units",
                    evidence={"Organization": None})
    roots = need(organization, "Roots")
    ous = need(data, "organizational_units")
    parent = parent_ids(data)
    names = display_names(data, roots)
    tree: dict[str, list[str]] = {path_name(ancestry(ou["Id"], parent), names): [] for ou in ous}
    for acct in need(data, "accounts"):
        where = path_name(ancestry(acct["Id"], parent)[1:], names)
        tree.setdefault(where, []).append(f"{acct.get('Name')} ({acct['Id']})")
    evidence = {"tree": dict(sorted(tree.items()))}
    if in_member(account, view) and ous:
        chain = ancestry(account_id(account), parent)
        where = path_name(chain, names)
        if len(chain) <= 2:  # the account and the root: in no OU
            return fail(f"This account ({where}) sits directly under the root, in no organizational "
                        "unit: it inherits no OU's guardrails", evidence={"Path": where})
        return manual(f"Review that OU {path_name(chain[1:], names)} matches this account's environment "
                      "and sensitivity", evidence={"Path": where})
    if not ous:
        return fail("The organization has no organizational unit: every account sits under the root",
                    evidence=evidence)
    return manual(f"Review that the {len(ous)} OU(s) group accounts by environment (prod, non-prod, "
                  "sandbox) and sensitivity (security, logging, regulated), not by org chart",
                  evidence=evidence)


# --- CIS 2.1.5 ------------------------------------------------------------------------------------


def _grants_policy_management(statement: Json) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    if "NotAction" in statement:
        return True  # allows everything not listed: at least as broad as policy management
    patterns = [str(a).lower() for a in as_list(statement.get("Action"))]
    return any(fnmatchcase(f"organizations:{action}", pattern)
               for pattern in patterns for action in POLICY_MANAGEMENT)


def _principals(statement: Json) -> list[str]:
    principal = statement.get("Principal")
    if isinstance(principal, dict):
        return [str(p) for p in as_list(principal.get("AWS"))]
    return [str(principal)] if principal else []


@check(
    "organizations_policy_management_delegated",
    title="Organizations policies are managed from a delegated administrator account",
    severity=Severity.LOW,
    objective=Objective.INTEGRITY,
    over="organizations.organization",
    remediation=Remediation(
        console=(
            ORGANIZATIONS_CONSOLE + " > Settings > Delegated administrator for AWS Organizations.",
            "Choose Delegate and write a delegation policy that lets a dedicated governance or security "
            "account describe the organization and create, update, attach and detach policies.",
            "Manage SCPs, RCPs and other policies from that account from then on.",
        ),
        cli="aws organizations put-resource-policy --content file://delegation-policy.json",
        terraform='resource "aws_organizations_resource_policy" "delegation" {\n'
                  "  content = data.aws_iam_policy_document.policy_admin.json\n"
                  "}",
    ),
)
def organizations_policy_management_delegated(
    organization: Json, account: Json, view: AccountView
) -> Outcome:
    """Without a delegated policy administrator, every guardrail change is made from the management
    account, concentrating day-to-day activity and credentials in the one account no SCP limits.
    A dedicated member account for policy management can itself be guarded and monitored."""
    return from_management(_policy_management(organization, account, view), account, view)


def _policy_management(organization: Json, account: Json, view: AccountView) -> Outcome:
    org, _, organization = management_parts(organization, account, view)
    if org is None:
        return fail("Not in an organization: there are no Organizations policies to delegate",
                    evidence={"Organization": None})
    policy = need(organization, "ResourcePolicy")
    if policy is None:
        return fail("No delegation policy: Organizations policies can be managed only from the "
                    "management account", evidence={"ResourcePolicy": None})
    statements = statements_of(policy.get("Content"))
    granting = [s for s in statements if _grants_policy_management(s)]
    if granting:
        principals = sorted({p for s in granting for p in _principals(s)})
        return ok(f"The delegation policy lets {', '.join(principals) or 'a member account'} manage "
                  "Organizations policies", evidence={"Statements": granting})
    return fail("The delegation policy grants no policy-management action (create, update, attach, detach)",
                evidence={"Statements": statements})


# --- CIS 2.1.6 ------------------------------------------------------------------------------------


def _delegations(admins: Iterable[Json]) -> dict[str, list[str]]:
    """service principal -> delegated administrator accounts."""
    delegated: dict[str, list[str]] = {}
    for admin in admins:
        for service in need(admin, "DelegatedServices"):
            delegated.setdefault(service.get("ServicePrincipal"), []).append(
                f"{admin.get('Name')} ({admin.get('Id')})")
    return delegated


@check(
    "organizations_integrated_services_delegated",
    title="Organization-integrated services are administered from delegated administrator accounts",
    severity=Severity.LOW,
    objective=Objective.INTEGRITY,
    over="organizations.organization",
    remediation=Remediation(
        console=(
            "In the management account, open the console of each service listed in the evidence "
            "(GuardDuty, Security Hub, IAM Access Analyzer ...).",
            "Under its Settings (or Accounts) page, register the security or log-archive member account "
            "as the delegated administrator.",
            "Administer the service from that account from then on.",
        ),
        cli="aws organizations register-delegated-administrator --account-id {security_account_id} "
            "--service-principal {service_principal}",
        terraform='resource "aws_organizations_delegated_administrator" "guardduty" {\n'
                  "  account_id        = var.security_account_id\n"
                  '  service_principal = "guardduty.amazonaws.com"\n'
                  "}",
    ),
)
def organizations_integrated_services_delegated(
    organization: Json, account: Json, view: AccountView
) -> Outcome:
    """A service integrated with Organizations but administered from the management account forces
    its operators to work in the organization's most privileged account. A delegated administrator
    moves that work to a member account that SCPs can guard, and separates the duties."""
    return from_management(_integrated_services(organization, account, view), account, view)


def _integrated_services(organization: Json, account: Json, view: AccountView) -> Outcome:
    org, data, organization = management_parts(organization, account, view)
    if org is None:
        return fail("Not in an organization: no service is administered for the organization",
                    evidence={"Organization": None})
    trusted = sorted({s.get("ServicePrincipal") for s in need(organization, "EnabledServicePrincipals")})
    delegated = _delegations(need(data, "delegated_administrators"))
    undelegated = [s for s in trusted if s not in delegated]
    evidence = {"TrustedServices": trusted, "DelegatedAdministrators": delegated,
                "NotDelegated": undelegated}
    security = [s for s in undelegated if s in DELEGABLE_SECURITY_SERVICES]
    if security:
        return fail(f"Security service(s) run from the management account without a delegated "
                    f"administrator: {', '.join(security)}", evidence=evidence)
    if not trusted:
        return ok("No service is integrated with the organization (trusted access): none is run from "
                  "the management account", evidence=evidence)
    if not undelegated:
        return ok(f"Every one of the {len(trusted)} integrated service(s) has a delegated administrator",
                  evidence=evidence)
    return manual("Check whether these integrated services support a delegated administrator and "
                  f"register one: {', '.join(undelegated)}", evidence=evidence)
