"""IAM privilege checks on the policy engine: administrators, separation of duties, privilege
escalation paths and role trust (baseline IAM-8 to IAM-11, CIS 2.14)."""

from __future__ import annotations

from typing import Any

from awsaudit.checks._org_context import Guardrails
from awsaudit.checks._registry import Missing, check, need
from awsaudit.checks._view import AccountView, ModelSpec
from awsaudit.iam.coverage import admin_policies, policy_grants_everything
from awsaudit.iam.duties import duties, is_designated
from awsaudit.iam.escalation import Analysis, analyse, summarise
from awsaudit.iam.policy import Policy, PolicyError, parse_policy
from awsaudit.iam.principals import Entity, IamAccount, account_id_of, build
from awsaudit.iam.trust import Grant, grants
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, fail, ok, unknown
from awsaudit.settings import Settings

COLLECTIONS = ("users", "groups", "roles", "policies")

def _iam(account: Json) -> Json:
    iam = need(account.get("global") or {}, "iam")
    for key in COLLECTIONS:
        need(iam, key)
    return iam  # type: ignore[no-any-return]


def _guardrails(view: AccountView) -> Guardrails:
    """The SCPs and RCPs that bind the account (none without the organization's context)."""
    if view.organization is None:
        return Guardrails(gap="the organization's management account is not in the snapshot")
    return view.organization.guardrails(view.id)


def _build_model(view: AccountView) -> IamAccount:
    iam = _iam(view.doc)
    return build(iam, view.id or account_id_of(iam), view.partition, _guardrails(view).levels)


IAM_MODEL = ModelSpec("iam", _build_model)
"""The account's IAM model: built once per account, shared by every principal's checks."""
IAM_ANALYSIS = ModelSpec("iam-escalation", lambda view: analyse(view.model(IAM_MODEL)))
"""Privilege-escalation graph and paths over IAM_MODEL."""


PRINCIPAL_REFS = ModelSpec("iam-principal-refs", lambda view: {
    e.arn: e.ref for e in _analysis(view).account.principals()})
"""ARN -> `user/NAME` or `role/NAME` of every principal: built once, not once per finding."""
PRINCIPAL_GAPS = ModelSpec("iam-principal-gaps", lambda view: _gaps(_analysis(view).account.principals()))
"""Every principal's policy gaps, sorted: built once, not once per principal's PASS."""


def _model(view: AccountView) -> IamAccount:
    return view.model(IAM_MODEL)


def _analysis(view: AccountView) -> Analysis:
    return view.model(IAM_ANALYSIS)


def _entity(resource: Json, view: AccountView, pool: str) -> Entity:
    model = _model(view)
    entity = getattr(model, pool).get(resource.get("Arn") or resource.get("_arn"))
    if entity is None:
        raise Missing("Arn", f"{resource.get('_arn')} is not in the account's IAM data")
    return entity  # type: ignore[no-any-return]


def _gaps(entities: Any) -> list[str]:
    return sorted({gap for entity in entities for gap in entity.gaps})


def _no_gaps(entity: Entity) -> None:
    """A verdict that depends on the whole policy set cannot PASS with a policy missing."""
    if entity.gaps:
        raise Missing("PolicyDocument", "; ".join(entity.gaps))


ADMIN_REMEDIATION = Remediation(
    console=("Open the IAM console, Policies, choose {PolicyName}",
             "Replace the statement that allows Action \"*\" on Resource \"*\" (or NotAction) with the "
             "actions and resources the workload needs (IAM Access Analyzer can generate them)",
             "Or detach the policy from every user, group and role under Entities attached"),
    cli="aws iam list-entities-for-policy --policy-arn {Arn}  # then detach-<user|group|role>-policy, or "
        "aws iam create-policy-version --policy-arn {Arn} --policy-document file://least-privilege.json "
        "--set-as-default",
    terraform="""data "aws_iam_policy_document" "least_privilege" {
  statement {
    actions   = ["s3:GetObject"]            # the actions the workload needs
    resources = ["arn:aws:s3:::acme-data/*"] # on the resources it needs them for
  }
}""",
)


@check(
    "iam_policy_no_admin_privileges",
    title="No IAM managed policy allows every action on every resource",
    severity=Severity.HIGH,
    objective=Objective.INTEGRITY,
    over="iam.policies",
    remediation=ADMIN_REMEDIATION,
)
def iam_policy_no_admin_privileges(policy: Json) -> Outcome:
    """A policy that allows "*" on "*" (directly, through NotAction or through wildcards covering
    every service) makes whoever holds it an administrator: one leaked credential is the account.
    Attached, it is high; unattached it is still a finding (low): it sits ready for anyone who may
    attach policies, and it is exactly what an intruder looks for."""
    versions = need(policy, "PolicyVersionList")
    default_id = policy.get("DefaultVersionId")
    default = next((v for v in versions
                    if v.get("IsDefaultVersion") or (default_id and v.get("VersionId") == default_id)), None)
    if default is None:
        raise Missing("PolicyVersionList", "no default version collected")
    name = str(policy.get("PolicyName") or policy.get("Arn"))
    try:
        parsed = parse_policy(need(default, "Document"), name)
    except PolicyError as exc:
        return unknown(f"Default version cannot be read: {exc}")
    attachments = need(policy, "AttachmentCount")
    evidence = {"Arn": policy.get("Arn"), "VersionId": default.get("VersionId"),
                "AttachmentCount": attachments, "Statement": parsed.document.get("Statement")}
    if not policy_grants_everything(parsed):
        return ok(f"Policy {name} does not allow every action on every resource", evidence=evidence)
    if not attachments:
        # Dormant, not harmless: one AttachUserPolicy (by anyone allowed it) makes an administrator.
        return fail(f"Policy {name} allows every action on every resource; it is not attached (dormant: "
                    "one attach away from an administrator)", evidence=evidence, severity=Severity.LOW)
    return fail(f"Policy {name} allows every action on every resource and is attached to {attachments} "
                f"entit{'y' if attachments == 1 else 'ies'}", evidence=evidence)


@check(
    "iam_inline_policy_no_admin_privileges",
    title="No inline IAM policy allows every action on every resource",
    severity=Severity.HIGH,
    objective=Objective.INTEGRITY,
    over="account",
    remediation=Remediation(
        console=("Open the IAM console and the user, group or role named in the finding, Permissions",
                 "Edit the inline policy named in the finding: replace Action \"*\" / NotAction with the "
                 "actions and resources needed, or delete it and attach a reviewed managed policy"),
        cli="aws iam delete-<user|group|role>-policy --<user|group|role>-name <NAME> --policy-name <POLICY>",
    ),
)
def iam_inline_policy_no_admin_privileges(account: Json) -> Outcome | list[Outcome]:
    """Inline administrator policies hide outside the managed-policy inventory (and CIS's own audit
    of attached policies), yet grant the same total control as AdministratorAccess."""
    iam = _iam(account)
    found: list[str] = []
    offenders: list[Outcome] = []
    unreadable: list[str] = []
    inline_keys = {"users": ("UserName", "UserPolicyList"), "groups": ("GroupName", "GroupPolicyList"),
                   "roles": ("RoleName", "RolePolicyList")}
    total = 0
    for collection, (name_key, list_key) in inline_keys.items():
        for entity in iam[collection]:
            for inline in need(entity, list_key):
                total += 1
                label = f"{collection[:-1]} {entity.get(name_key)} inline {inline.get('PolicyName')}"
                try:
                    policy = parse_policy(inline.get("PolicyDocument"), label)
                except PolicyError as exc:
                    unreadable.append(str(exc))
                    continue
                if policy_grants_everything(policy):
                    found.append(label)
                    # An inline policy has no ARN: it is named within its holder's.
                    holder = str(entity.get("Arn") or entity.get("_arn") or entity.get(name_key))
                    offenders.append(fail(
                        f"Inline policy {inline.get('PolicyName')} of {collection[:-1]} "
                        f"{entity.get(name_key)} allows every action on every resource",
                        evidence={"holder": holder, "PolicyName": inline.get("PolicyName"),
                                  "PolicyDocument": policy.document},
                        resource=f"{holder}#inline-policy/{inline.get('PolicyName')}"))
    if found:
        counted = "1 inline policy allows" if len(found) == 1 else f"{len(found)} inline policies allow"
        return [fail(f"{counted} every action on every resource: {', '.join(found)}",
                     evidence={"policies": found, "unreadable": unreadable}), *offenders]
    if unreadable:
        return unknown(f"{len(unreadable)} inline policies cannot be read", evidence=unreadable)
    return ok(f"None of {total} inline policies allows every action on every resource",
              evidence={"inline": total})


def _admin_outcome(entity: Entity, view: AccountView, settings: Settings) -> Outcome:
    model = _model(view)
    if entity.service_linked:
        return ok(f"{entity.ref} is a service-linked role (its policies are managed by AWS)",
                  evidence={"Path": entity.path})
    verdict = model.everything(entity)
    evidence: Json = {"granted_by": admin_policies(entity.policies) or [p.name for p in entity.policies],
                      "conditional": verdict.conditional, "gaps": list(entity.gaps),
                      "guardrails": _guardrails(view).evidence()}
    if verdict:
        if is_designated(entity, settings.designated_admins):
            return ok(f"{entity.ref} is a designated administrator", evidence=evidence)
        conditional = " (under conditions it can meet)" if verdict.conditional else ""
        return fail(f"{entity.ref} can perform every action on every resource{conditional}",
                    evidence=evidence)
    _no_gaps(entity)
    gap = verdict.gap
    if gap and model.scps and ("SCP" in gap[2] or "RCP" in gap[2]):  # the guardrail decided
        return ok(f"{entity.ref} is not an administrator: {gap[0]} is denied ({gap[2]})",
                  evidence={"example_denied": list(gap), "guardrails": _guardrails(view).evidence()})
    return ok(f"{entity.ref} is not an administrator",
              evidence={"example_denied": list(gap) if gap else None})


ADMIN_PRINCIPAL_REMEDIATION = Remediation(
    console=("Open the IAM console and the principal named in the finding, Permissions",
             "Detach AdministratorAccess (or the policy named in the evidence) and grant a job-function or "
             "custom least-privilege policy",
             "Keep administrator access to a few designated, MFA-protected roles"),
    cli="aws iam detach-<user|role>-policy --<user|role>-name <NAME> "
        "--policy-arn arn:aws:iam::aws:policy/AdministratorAccess",
)


@check(
    "iam_user_not_admin",
    title="IAM user is not an administrator unless designated",
    severity=Severity.HIGH,
    objective=Objective.INTEGRITY,
    over="iam.users",
    remediation=ADMIN_PRINCIPAL_REMEDIATION,
)
def iam_user_not_admin(user: Json, view: AccountView, settings: Settings) -> Outcome:
    """Users with long-lived credentials that can do everything are the costliest leak: keys end up in
    repositories and laptops; administration belongs to a few designated, MFA-protected roles."""
    return _admin_outcome(_entity(user, view, "users"), view, settings)


@check(
    "iam_role_not_admin",
    title="IAM role is not an administrator unless designated",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over="iam.roles",
    remediation=ADMIN_PRINCIPAL_REMEDIATION,
)
def iam_role_not_admin(role: Json, view: AccountView, settings: Settings) -> Outcome:
    """A workload role with administrator rights turns any code execution in that workload (an SSRF
    reaching instance metadata, a vulnerable dependency) into control of the whole account."""
    return _admin_outcome(_entity(role, view, "roles"), view, settings)


def _duties_outcome(entity: Entity, view: AccountView, settings: Settings) -> Outcome:
    if entity.service_linked:
        return ok(f"{entity.ref} is a service-linked role", evidence={"Path": entity.path})
    held = duties(entity, _model(view))
    evidence = held.evidence()
    if not held.holds_both:
        _no_gaps(entity)
        return ok(f"{entity.ref} does not both define and assign permissions", evidence=evidence)
    if is_designated(entity, settings.designated_admins):
        return ok(f"{entity.ref} defines and assigns permissions as a designated administrator",
                  evidence=evidence)
    return fail(f"{entity.ref} can both define permissions ({_few(held.define)}) and assign them "
                f"({_few(held.assign)})", evidence=evidence)


def _few(actions: Any, shown: int = 3) -> str:
    names = list(actions)
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


SOD_REMEDIATION = Remediation(
    console=("Split IAM administration into two roles: one that creates and edits policies, roles and "
             "groups, one that creates users and manages group membership",
             "Remove from the principal named in the finding either its define or its assign permissions, "
             "or list it in designated_admins in awsaudit.toml"),
    cli="aws iam detach-<user|role>-policy --<user|role>-name <NAME> --policy-arn <EXTRA_DUTY_POLICY>",
)


@check(
    "iam_user_separation_of_duties",
    title="IAM user cannot both define and assign permissions",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over="iam.users",
    remediation=SOD_REMEDIATION,
)
def iam_user_separation_of_duties(user: Json, view: AccountView, settings: Settings) -> Outcome:
    """Whoever can both write a policy and attach it (or add people to the group that has it) can
    grant themselves anything, with no second person involved."""
    return _duties_outcome(_entity(user, view, "users"), view, settings)


@check(
    "iam_role_separation_of_duties",
    title="IAM role cannot both define and assign permissions",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over="iam.roles",
    remediation=SOD_REMEDIATION,
)
def iam_role_separation_of_duties(role: Json, view: AccountView, settings: Settings) -> Outcome:
    """A role that can both write policies and hand them out lets everyone who can assume it (and
    any workload running as it) grant themselves anything."""
    return _duties_outcome(_entity(role, view, "roles"), view, settings)


def _escalation_outcome(entity: Entity, view: AccountView) -> Outcome:
    analysis = _analysis(view)
    if analysis.is_admin(entity.arn):
        return ok(f"{entity.ref} is already an administrator (see the admin checks)",
                  evidence={"admin": True})
    steps = analysis.path(entity.arn)
    if steps:
        names = view.model(PRINCIPAL_REFS)
        evidence = [{"from": s.source, "to": s.target, "method": s.method, "permissions": list(s.permissions),
                     "note": s.note} for s in steps]
        methods = ", ".join(s.method for s in steps if s.method != "administrator")
        return fail(f"{entity.ref} can become administrator via {methods}: {summarise(steps, names)}",
                    evidence=evidence)
    gaps = view.model(PRINCIPAL_GAPS)
    if gaps:
        raise Missing("PolicyDocument", "; ".join(gaps))
    return ok(f"No privilege-escalation path to administrator from {entity.ref}",
              evidence={"edges": [s.describe() for s in analysis.edges_from(entity.arn)]})


PRIVESC_REMEDIATION = Remediation(
    console=("Open the IAM console and the principal named in the finding, Permissions",
             "Remove the permission used by the first step of the path (e.g. iam:CreateAccessKey on other "
             "users, iam:PassRole on \"*\", iam:CreatePolicyVersion) or restrict its Resource to what the "
             "principal must manage; limit iam:PassRole to the roles it must pass, with iam:PassedToService"),
    cli="aws iam put-<user|role>-policy --<user|role>-name <NAME> --policy-name <POLICY> "
        "--policy-document file://without-escalation.json",
)


@check(
    "iam_user_no_privilege_escalation",
    title="IAM user has no privilege-escalation path to administrator",
    severity=Severity.HIGH,
    objective=Objective.INTEGRITY,
    over="iam.users",
    remediation=PRIVESC_REMEDIATION,
)
def iam_user_no_privilege_escalation(user: Json, view: AccountView) -> Outcome:
    """A permission such as iam:CreatePolicyVersion or iam:PassRole with a compute service is
    administrator access in disguise: least privilege fails if a few steps undo it."""
    return _escalation_outcome(_entity(user, view, "users"), view)


@check(
    "iam_role_no_privilege_escalation",
    title="IAM role has no privilege-escalation path to administrator",
    severity=Severity.HIGH,
    objective=Objective.INTEGRITY,
    over="iam.roles",
    remediation=PRIVESC_REMEDIATION,
)
def iam_role_no_privilege_escalation(role: Json, view: AccountView) -> Outcome:
    """A workload role that can escalate makes every compromise of that workload a compromise of
    the account."""
    return _escalation_outcome(_entity(role, view, "roles"), view)


def _trust_grants(role: Json) -> tuple[list[Grant], Policy] | Outcome:
    document = need(role, "AssumeRolePolicyDocument")
    arn = str(role.get("Arn") or role.get("_arn") or "")
    try:
        policy = parse_policy(document, f"role {role.get('RoleName')} trust policy", "trust")
    except PolicyError as exc:
        return unknown(f"Trust policy cannot be read: {exc}")
    parts = arn.split(":")
    own = parts[4] if len(parts) > 4 else ""
    return grants(policy, own), policy


TRUST_REMEDIATION = Remediation(
    console=("Open the IAM console, Roles, choose {RoleName}, Trust relationships, Edit trust policy",
             "Name the exact principals and add the condition the finding asks for: sts:ExternalId for "
             "third parties, aws:MultiFactorAuthPresent for people, the provider's :sub for OIDC, "
             "SAML:aud for SAML"),
    cli="aws iam update-assume-role-policy --role-name {RoleName} --policy-document file://trust.json",
    terraform="""data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::<PARTNER_ACCOUNT>:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = ["<EXTERNAL_ID>"]
    }
  }
}""",
)


def _trust_outcome(role: Json, kinds: tuple[str, ...], what: str) -> Outcome:
    found = _trust_grants(role)
    if isinstance(found, Outcome):
        return found
    relevant = [g for g in found[0] if g.kind in kinds]
    evidence = {"grants": [g.describe() for g in relevant], "Statement": found[1].document.get("Statement")}
    open_grants = [g for g in relevant if not g.restricted]
    name = role.get("RoleName")
    if open_grants:
        return fail(f"Role {name} trusts {what} without a restricting condition: "
                    + "; ".join(g.describe() for g in open_grants), evidence=evidence)
    if relevant:
        return ok(f"Role {name} trusts {what} only under conditions: "
                  + "; ".join(g.describe() for g in relevant), evidence=evidence)
    return ok(f"Role {name} does not trust {what}", evidence=evidence)


@check(
    "iam_role_no_public_trust",
    title="IAM role cannot be assumed by any AWS principal",
    severity=Severity.CRITICAL,
    objective=Objective.CONFIDENTIALITY,
    over="iam.roles",
    remediation=TRUST_REMEDIATION,
)
def iam_role_no_public_trust(role: Json) -> Outcome:
    """A trust policy naming "*" lets every AWS account in the world assume the role unless a
    condition pins the caller's organization, account or ARN."""
    return _trust_outcome(role, ("public",), "every AWS principal (*)")


@check(
    "iam_role_cross_account_trust_restricted",
    title="IAM role trusted by another account requires an external ID or MFA",
    severity=Severity.HIGH,
    objective=Objective.CONFIDENTIALITY,
    over="iam.roles",
    remediation=TRUST_REMEDIATION,
)
def iam_role_cross_account_trust_restricted(role: Json) -> Outcome:
    """Trusting another account delegates to everyone that account lets assume roles; without an
    external ID a vendor can be tricked into acting for another customer (confused deputy), and
    without MFA a leaked key in that account is enough."""
    return _trust_outcome(role, ("cross-account",), "another account")


@check(
    "iam_role_federated_trust_restricted",
    title="IAM role trusted by a SAML or OIDC provider restricts who can assume it",
    severity=Severity.HIGH,
    objective=Objective.CONFIDENTIALITY,
    over="iam.roles",
    remediation=TRUST_REMEDIATION,
)
def iam_role_federated_trust_restricted(role: Json) -> Outcome:
    """A federated trust hands the role to whoever the identity provider vouches for: an OIDC trust
    without a subject condition (e.g. GitHub Actions on repo:*) admits every repository or tenant
    of that provider, and a SAML trust without SAML:aud accepts assertions meant for anything."""
    return _trust_outcome(role, ("saml", "oidc"), "an identity provider")
