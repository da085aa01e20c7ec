"""Privilege escalation reported on the policy that grants it (baseline IAM-10).

The principal checks (iam_user/role_no_privilege_escalation) follow multi-step paths through
the account graph; these report the thing to fix: a customer-managed or inline policy that on
its own grants a known escalation method (iam-privesc-methods.md), naming the methods. What a
method reaches is decided with the account that exists (awsaudit.iam.escalation.policy_methods):
a PassRole limited to low-privilege roles grants no PassRole method.
"""

from __future__ import annotations

from awsaudit.checks._registry import Missing, check, need
from awsaudit.checks._view import AccountView
from awsaudit.checks.iam.privileges import IAM_ANALYSIS, PRINCIPAL_GAPS, _iam
from awsaudit.iam.coverage import policy_grants_everything
from awsaudit.iam.escalation import Analysis, PolicyMethod, policy_methods
from awsaudit.iam.policy import Policy, PolicyError, parse_policy
from awsaudit.iam.principals import Entity
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, Status, fail, ok

REMEDIATION = Remediation(
    console=("Open the IAM console and the policy named in the finding",
             "Remove the actions of each method listed, or limit their Resource to what the holders must "
             "manage: iam:PassRole to the roles they pass (with iam:PassedToService), iam:Attach*/Put* and "
             "iam:CreatePolicyVersion to nothing but reviewed automation, ssm:SendCommand and "
             "lambda:UpdateFunctionCode to the instances and functions they own"),
    cli="aws iam create-policy-version --policy-arn <ARN> --policy-document file://without-escalation.json "
        "--set-as-default  # inline: aws iam put-<user|group|role>-policy ...",
)


def _names(found: list[PolicyMethod]) -> str:
    return ", ".join(pm.method.name for pm in found)


def _evidence(found: list[PolicyMethod]) -> list[Json]:
    return [{"method": pm.method.name, "number": pm.method.number, "permissions": list(pm.permissions),
             "reaches": list(pm.reaches)} for pm in found]


def _judge(policy: Policy, label: str, analysis: Analysis, view: AccountView, holders: list[Entity],
           attached: bool, aws_managed: bool = False) -> Outcome:
    if policy_grants_everything(policy):
        # Administrator outright: IAM-8 reports it (attached or not); escalation is about less.
        return ok(f"{label} grants administrator outright (every method included): reported by "
                  "iam_policy_no_admin_privileges / iam_inline_policy_no_admin_privileges",
                  evidence={"administrator": True})
    found = policy_methods(policy, analysis, holders)
    if found:
        dormant = "" if attached else "; it is not attached (dormant)"
        if aws_managed:  # AWS maintains it: the fix is to stop using it, not to edit it
            dormant += "; AWS-managed: replace it with a customer-managed policy without these actions"
        return fail(f"{label} on its own grants privilege escalation: {_names(found)}{dormant}",
                    evidence={"methods": _evidence(found), "holders": [h.ref for h in holders]},
                    severity=None if attached else Severity.LOW)
    if gaps := view.model(PRINCIPAL_GAPS):  # an unreadable policy may hide a privileged role
        raise Missing("PolicyDocument", "; ".join(gaps))
    return ok(f"{label} grants no privilege-escalation method on its own",
              evidence={"holders": [h.ref for h in holders]})


@check(
    "iam_policy_no_privilege_escalation",
    title="No IAM managed policy grants a privilege-escalation method on its own",
    severity=Severity.HIGH,
    objective=Objective.INTEGRITY,
    over="iam.policies",
    remediation=REMEDIATION,
)
def iam_policy_no_privilege_escalation(policy: Json, view: AccountView) -> Outcome:
    """A policy holding iam:CreatePolicyVersion, iam:AttachUserPolicy or iam:PassRole with a
    compute service is administrator access one step removed, for everyone it is attached to now
    or later; it is the one place to fix, however many principals hold it."""
    analysis: Analysis = view.model(IAM_ANALYSIS)
    arn = str(policy.get("Arn") or policy.get("_arn"))
    managed = analysis.account.managed.get(arn)
    if managed is None or managed.default is None:
        raise Missing("PolicyVersionList", managed.error if managed else f"{arn} is not in the IAM data")
    attachments = need(policy, "AttachmentCount")
    holders = analysis.account.attached_to(arn)
    return _judge(managed.default, f"Policy {managed.name}", analysis, view, holders, bool(attachments),
                  managed.aws_managed)


INLINE = {"users": ("UserName", "UserPolicyList"), "groups": ("GroupName", "GroupPolicyList"),
          "roles": ("RoleName", "RolePolicyList")}


@check(
    "iam_inline_policy_no_privilege_escalation",
    title="No inline IAM policy grants a privilege-escalation method on its own",
    severity=Severity.HIGH,
    objective=Objective.INTEGRITY,
    over="account",
    remediation=REMEDIATION,
)
def iam_inline_policy_no_privilege_escalation(account: Json, view: AccountView) -> Outcome | list[Outcome]:
    """Inline policies escape the managed-policy inventory, so an escalation method written into
    one (a "temporary" iam:PassRole on *) is easily missed; each is its own finding to fix."""
    iam = _iam(account)
    analysis: Analysis = view.model(IAM_ANALYSIS)
    model = analysis.account
    offenders: list[Outcome] = []
    unreadable: list[str] = []
    judged = 0
    for collection, (name_key, list_key) in INLINE.items():
        for entity in iam[collection]:
            holder = str(entity.get("Arn") or entity.get("_arn") or entity.get(name_key))
            name = str(entity.get(name_key))
            holders = (model.members(name) if collection == "groups"
                       else [e for e in (model.get(holder),) if e is not None])
            for inline in need(entity, list_key):
                label = f"Inline policy {inline.get('PolicyName')} of {collection[:-1]} {name}"
                try:
                    policy = parse_policy(inline.get("PolicyDocument"), label)
                except PolicyError as exc:
                    unreadable.append(str(exc))  # judged UNKNOWN below, unless others already FAIL
                    continue
                judged += 1
                outcome = _judge(policy, label, analysis, view, holders, attached=True)
                if outcome.status is Status.FAIL:
                    offenders.append(fail(outcome.message, evidence={"holder": holder, **outcome.evidence},
                                          resource=f"{holder}#inline-policy/{inline.get('PolicyName')}"))
    if offenders:
        many = len(offenders) > 1
        counted = f"{len(offenders)} inline policies grant" if many else "1 inline policy grants"
        return [fail(f"{counted} a privilege-escalation method on its own",
                     evidence={"policies": [o.resource for o in offenders], "unreadable": unreadable}),
                *offenders]
    if unreadable:
        raise Missing("PolicyDocument", "; ".join(unreadable))
    if gaps := view.model(PRINCIPAL_GAPS):
        raise Missing("PolicyDocument", "; ".join(gaps))
    return ok(f"None of {judged} inline policies grants a privilege-escalation method on its own",
              evidence={"inline": judged})
