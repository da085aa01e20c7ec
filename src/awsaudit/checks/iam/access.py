"""How access is organised: a support role, federated users, CloudShell, instance roles, and
resource policies open to any principal (CIS 2.15, 2.16, 2.19, 2.20, 2.21)."""

from __future__ import annotations

from typing import Any, NamedTuple

from awsaudit.checks._registry import ACCOUNT, Missing, check, need
from awsaudit.checks._view import AccountView
from awsaudit.checks.iam._credential_report import flag, iam_data
from awsaudit.iam.resource_policy import public_statements
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, fail, manual, ok, unknown
from awsaudit.untrusted import limits

SUPPORT_POLICY = "AWSSupportAccess"
CLOUDSHELL_POLICY = "AWSCloudShellFullAccess"
ENTITIES = (("users", "UserName", "user"), ("groups", "GroupName", "group"), ("roles", "RoleName", "role"))
"""(collection, name field, label) of the IAM entities policies attach to."""


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _is_aws_policy(arn: Any, name: str) -> bool:
    """An AWS managed policy by name, in any partition (arn:aws-cn:iam::aws:policy/...)."""
    return isinstance(arn, str) and arn.endswith(f":iam::aws:policy/{name}")


def _holders(iam: Json, policy: str, arns: dict[str, str] | None = None) -> tuple[list[str], list[str]]:
    """(entities the AWS managed policy is attached to, as "group/Developers"; collections missing).
    `arns`, when given, receives each holder's ARN by its label."""
    holders: list[str] = []
    gaps: list[str] = []
    for collection, name_field, label in ENTITIES:
        try:
            entities = need(iam, collection)
        except Missing as missing:
            gaps.append(f"iam.{collection}: {missing.reason}")
            continue
        for entity in entities:
            try:
                attached = need(entity, "AttachedManagedPolicies")
            except Missing as missing:
                gaps.append(f"{label}/{entity.get(name_field)}: {missing.reason}")
                continue
            if any(_is_aws_policy(p.get("PolicyArn"), policy) for p in attached):
                holders.append(f"{label}/{entity.get(name_field)}")
                if arns is not None:
                    arns[holders[-1]] = str(entity.get("Arn") or entity.get("_arn") or holders[-1])
    return holders, gaps


@check(
    "iam_support_role_exists",
    title="A role for AWS Support cases exists (AWSSupportAccess attached)",
    severity=Severity.LOW,
    objective=Objective.AVAILABILITY,
    over="iam.account",
    remediation=Remediation(
        console=("Open the IAM console, Roles, Create role",
                 "Trusted entity: AWS account, this account (restrict who may assume it with a condition)",
                 "Attach the AWS managed policy AWSSupportAccess; name the role, e.g. aws-support"),
        cli="aws iam create-role --role-name aws-support --assume-role-policy-document "
            "'{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
            "{\"AWS\":\"arn:aws:iam::<ACCOUNT_ID>:root\"},\"Action\":\"sts:AssumeRole\"}]}' && "
            "aws iam attach-role-policy --role-name aws-support "
            "--policy-arn arn:aws:iam::aws:policy/AWSSupportAccess",
        terraform="""resource "aws_iam_role" "support" {
  name               = "aws-support"
  assume_role_policy = data.aws_iam_policy_document.support_trust.json
}

resource "aws_iam_role_policy_attachment" "support" {
  role       = aws_iam_role.support.name
  policy_arn = "arn:aws:iam::aws:policy/AWSSupportAccess"
}""",
    ),
)
def iam_support_role_exists(iam_account: Json, account: Json) -> Outcome:
    """During an incident someone must be able to open and follow AWS Support cases; a dedicated
    role lets them do that without broader rights or the root user (CIS 2.15)."""
    roles = need(iam_data(account), "roles")
    holders, gaps = _holders({"roles": roles, "users": [], "groups": []}, SUPPORT_POLICY)
    support = [h.removeprefix("role/") for h in holders]
    evidence = {"roles_with_AWSSupportAccess": support, "roles_examined": len(roles)}
    if support:
        return ok(f"{SUPPORT_POLICY} is attached to role(s): {', '.join(support)}", evidence=evidence)
    if gaps:
        raise Missing("AttachedManagedPolicies", "; ".join(gaps))
    return fail(f"No role has {SUPPORT_POLICY} attached ({_count(len(roles), 'role')} examined)",
                evidence=evidence)


@check(
    "iam_cloudshell_full_access_restricted",
    title="AWSCloudShellFullAccess is attached to no user, group or role",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="iam.account",
    remediation=Remediation(
        console=("Open the IAM console, Policies, search AWSCloudShellFullAccess, Entities attached",
                 "Detach it from each entity; where CloudShell is needed, grant a custom policy without "
                 "file upload and download (cloudshell:CreateEnvironment, CreateSession, "
                 "GetEnvironmentStatus, StartEnvironment, PutCredentials)"),
        cli="aws iam list-entities-for-policy "
            "--policy-arn arn:aws:iam::aws:policy/AWSCloudShellFullAccess && "
            "aws iam detach-group-policy --group-name <GROUP> "
            "--policy-arn arn:aws:iam::aws:policy/AWSCloudShellFullAccess",
    ),
)
def iam_cloudshell_full_access_restricted(iam_account: Json, account: Json) -> Outcome | list[Outcome]:
    """CloudShell full access includes uploading and downloading files and unrestricted outbound
    internet from inside the account: a ready-made channel to move data out around network
    controls (CIS 2.20)."""
    arns: dict[str, str] = {}
    holders, gaps = _holders(iam_data(account), CLOUDSHELL_POLICY, arns)
    evidence = {"attached_to": holders}
    if holders:
        summary = fail(f"{CLOUDSHELL_POLICY} is attached to: {', '.join(holders)}", evidence=evidence)
        return [summary, *(fail(f"{CLOUDSHELL_POLICY} is attached to {holder}",
                                evidence={"attached_to": holder, "policy": CLOUDSHELL_POLICY},
                                resource=arns[holder]) for holder in holders)]
    if gaps:
        raise Missing("AttachedManagedPolicies", "; ".join(gaps))
    return ok(f"{CLOUDSHELL_POLICY} is attached to no user, group or role", evidence=evidence)


@check(
    "iam_users_managed_centrally",
    title="People sign in through a central identity provider, not as IAM users with passwords",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="iam.account",
    remediation=Remediation(
        console=("Set up IAM Identity Center (or a SAML identity provider) on the company directory",
                 "Give each person access through permission sets or federated roles",
                 "Then, in the IAM console, Users: remove console access from every IAM user except "
                 "documented break-glass accounts"),
        cli="aws iam delete-login-profile --user-name <USER>  # after the person signs in through federation",
    ),
)
def iam_users_managed_centrally(iam_account: Json, account: Json) -> Outcome:
    """IAM users live outside the company directory: leavers keep their access until someone
    remembers the AWS account, and password and MFA rules are set account by account. Federation
    ends access when the directory account is disabled (CIS 2.19)."""
    iam = iam_data(account)
    users = need(iam, "users")
    saml = [p.get("_arn") or p.get("Arn") for p in need(iam, "saml_providers")]
    oidc = [p.get("_arn") or p.get("Arn") for p in iam.get("oidc_providers", [])]
    console: list[str] = []
    gaps: list[str] = []
    for user in users:
        try:
            row = need(user, "Credentials")
        except Missing as missing:
            gaps.append(f"{user.get('UserName')}: {missing.reason}")
            continue
        password = flag(row, "password_enabled")
        if password is None:
            gaps.append(f"{user.get('UserName')}: password_enabled is {row.get('password_enabled')!r}")
        elif password:
            console.append(str(user.get("UserName")))
    evidence = {"saml_providers": saml,
                "oidc_providers": oidc if "oidc_providers" in iam else "not collected",
                "iam_users": len(users), "iam_users_with_console_password": console}
    if console and not saml:
        return fail(f"{len(console)} IAM user(s) sign in with a password and no SAML identity provider "
                    f"exists: {', '.join(console)}", evidence=evidence)
    if gaps:
        if console:
            return unknown("Console access of some users is unknown: " + "; ".join(gaps), evidence=evidence)
        raise Missing("Credentials", "; ".join(gaps))
    if console:
        return manual(f"Federation is set up ({', '.join(map(str, saml))}), yet {len(console)} IAM user(s) "
                      f"still sign in with a password: {', '.join(console)}. Confirm each is a documented "
                      "break-glass account, or move the person to the identity provider", evidence=evidence)
    return ok(f"No IAM user has a console password ({len(users)} IAM users; SAML providers: "
              f"{', '.join(map(str, saml)) or 'none'})", evidence=evidence)


@check(
    "ec2_instance_profile_attached",
    title="EC2 instance uses an IAM role (instance profile) for AWS access",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="ec2.instances",
    remediation=Remediation(
        console=("Open the EC2 console, Instances, select {InstanceId}",
                 "Actions, Security, Modify IAM role: choose a role with just what the workload needs",
                 "Remove any access keys stored on the instance"),
        cli="aws ec2 associate-iam-instance-profile --instance-id {InstanceId} "
            "--iam-instance-profile Name=<INSTANCE_PROFILE>",
        terraform="""resource "aws_instance" "this" {
  # ...
  iam_instance_profile = aws_iam_instance_profile.this.name
}""",
    ),
)
def ec2_instance_profile_attached(instance: Json, account: Json) -> Outcome:
    """Without a role, software on the instance reaches AWS with long-lived access keys copied onto
    the disk, into images and backups; a role gives it short-lived credentials that rotate by
    themselves (CIS 2.16)."""
    profile = need(instance, "IamInstanceProfile")  # None: the instance has no profile
    state = (instance.get("State") or {}).get("Name")
    evidence: Json = {"IamInstanceProfile": profile, "State": state}
    if state == "terminated":
        return ok("Instance is terminated", evidence=evidence)
    if profile is None:
        return fail("Instance has no IAM instance profile", evidence=evidence)
    arn = profile.get("Arn")
    try:
        roles = need(iam_data(account), "roles")
    except Missing as missing:
        return ok(f"Instance profile {arn} is attached (its role was not verified: {missing.reason})",
                  evidence=evidence)
    inside = [r.get("RoleName") for r in roles
              if any(p.get("Arn") == arn for p in r.get("InstanceProfileList", []))]
    evidence["Roles"] = inside
    if not inside:
        return fail(f"Instance profile {arn} holds no role", evidence=evidence)
    return ok(f"Instance uses role {', '.join(map(str, inside))} through {arn}", evidence=evidence)


class PolicySource(NamedTuple):
    """Where a collected resource keeps its resource-based policy."""

    service: str
    collection: str
    paths: tuple[tuple[str, ...], ...]  # candidate locations in each resource; the first present wins
    label: str
    required: bool = False  # a scan always collects it: its absence is a gap, not "not examined"
    holder: str | None = None
    """The key the collector always sets when it read the policy (SNS/SQS `Attributes`): absent
    without a recorded error, the policy was not collected (an older snapshot), not "no policy"."""


SOURCES = (
    PolicySource("s3", "buckets", (("Policy",),), "S3 bucket policies", required=True),
    PolicySource("kms", "keys", (("KeyPolicy",), ("Policy",)), "KMS key policies"),
    PolicySource("sns", "topics", (("Policy",), ("Attributes", "Policy")), "SNS topic policies",
                 holder="Attributes"),
    PolicySource("sqs", "queues", (("Policy",), ("Attributes", "Policy")), "SQS queue policies",
                 holder="Attributes"),
)

# Service-specific condition keys that pin the caller to an account, as their global equivalents,
# so that the shared reading in awsaudit.iam.resource_policy recognises them: SNS's default topic policy uses
# AWS:SourceOwner and KMS key policies use kms:CallerAccount.
EQUIVALENT_KEYS = {"aws:sourceowner": "aws:SourceAccount", "kms:calleraccount": "aws:PrincipalAccount"}
ANY_OTHER_ACTION = "awsaudit:AnyActionNotListed"
"""Probe for NotAction statements: they grant every action they do not list."""


def _policy(resource: Json, paths: tuple[tuple[str, ...], ...]) -> tuple[str, Any]:
    """("doc", document or None) | ("gap", reason) | ("absent", None) for one resource."""
    for path in paths:
        node: Any = resource
        for step, key in enumerate(path):
            if not isinstance(node, dict) or key not in node:
                reason = (node.get("_errors") or {}).get(key) if isinstance(node, dict) else None
                if reason:
                    return "gap", f"{'.'.join(path[:step + 1])}: {reason}"
                break
            node = node[key]
        else:
            if isinstance(node, str):
                try:
                    node = limits.loads(node)
                except ValueError:
                    return "gap", f"{'.'.join(path)}: not valid JSON"
            return "doc", node
    return "absent", None


def _normalise_conditions(stmt: Json) -> Json:
    condition = stmt.get("Condition")
    if not isinstance(condition, dict):
        return stmt
    renamed = {op: {EQUIVALENT_KEYS.get(k.lower(), k): v for k, v in clauses.items()}
               if isinstance(clauses, dict) else clauses for op, clauses in condition.items()}
    return {**stmt, "Condition": renamed}


def unrestricted_statements(document: Any) -> list[Json]:
    """Allow statements that let any principal perform any action, with no condition restricting who."""
    if not isinstance(document, dict):
        return []
    statements = document.get("Statement", [])
    found = []
    for stmt in statements if isinstance(statements, list) else [statements]:
        if not isinstance(stmt, dict):
            continue
        actions = stmt.get("Action", [])
        probes = [ANY_OTHER_ACTION] if "NotAction" in stmt else (
            [a for a in (actions if isinstance(actions, list) else [actions]) if isinstance(a, str)])
        # Each statement is offered its own actions, so public_statements answers "is it open to
        # anyone?" for whatever it grants (passing "*" would only match statements granting "*").
        if probes and public_statements({"Statement": [_normalise_conditions(stmt)]}, probes):
            found.append(stmt)
    return found


@check(
    "iam_resource_policies_no_public_principal",
    title="No resource policy grants access to any principal without a restricting condition",
    severity=Severity.HIGH,
    objective=Objective.CONFIDENTIALITY,
    over=ACCOUNT,
    remediation=Remediation(
        console=("For each resource listed: open its policy (S3: bucket, Permissions, Bucket policy; "
                 "KMS: key policy; SNS/SQS: Access policy)",
                 "Replace \"Principal\": \"*\" with the accounts or roles that need access, or add a "
                 "condition such as aws:PrincipalOrgID, aws:SourceVpce or aws:SourceAccount",
                 "For S3, also turn on Block Public Access (RestrictPublicBuckets)"),
        cli="aws s3api get-bucket-policy --bucket <BUCKET> --query Policy --output text > policy.json && "
            "aws s3api put-bucket-policy --bucket <BUCKET> --policy file://policy.json  # after editing",
    ),
)
def iam_resource_policies_no_public_principal(account: Json, view: AccountView) -> Outcome | list[Outcome]:
    """A resource policy with "Principal": "*" and no condition opens the resource to every AWS
    account and, for most services, to anonymous callers: one statement written for convenience
    can expose data or let anyone publish, decrypt or delete (CIS 2.21)."""
    public: list[Json] = []
    neutralised: list[str] = []
    block_unknown: list[str] = []
    gaps: list[str] = []
    examined: dict[str, int] = {}
    for source in SOURCES:
        path = f"{source.service}.{source.collection}"
        if not source.required and not any(loc.data is not None for loc in view.locations(path)):
            continue  # an optional service this scan does not collect
        resources, where_missing = view.items(path)
        gaps.extend(where_missing)
        for region, resource in resources:
            kind, value = _policy(resource, source.paths)
            arn = str(resource.get("_arn"))
            if kind == "absent" and source.holder and source.holder not in resource:
                kind, value = "gap", f"{source.holder}: not collected"
            if kind == "gap":
                gaps.append(f"{arn} {value}")
                continue
            if kind == "absent" or value is None:  # None: the resource has no policy
                continue
            examined[source.label] = examined.get(source.label, 0) + 1
            statements = unrestricted_statements(value)
            if not statements:
                continue
            if source.service == "s3":
                if "EffectivePublicAccessBlock" not in resource:
                    block_unknown.append(arn)  # counted as public: nothing shows it is blocked
                elif (resource["EffectivePublicAccessBlock"] or {}).get("RestrictPublicBuckets"):
                    neutralised.append(arn)  # S3 ignores public policy grants under this setting
                    continue
            public.append({"resource": arn, "region": region, "statements": statements})
    evidence: Json = {"public": [{k: p[k] for k in ("resource", "statements")} for p in public],
                      "examined": examined}
    if neutralised:
        evidence["neutralised_by_block_public_access"] = neutralised
    if block_unknown:
        evidence["block_public_access_unknown"] = block_unknown
    if gaps:
        evidence["not_collected"] = gaps
    if public:
        names = [p["resource"] for p in public]
        shown = ", ".join(names[:5]) + (f" (+{len(names) - 5} more)" if len(names) > 5 else "")
        which = "1 resource policy allows" if len(public) == 1 else f"{len(public)} resource policies allow"
        summary = fail(f"{which} any principal without a restricting condition: {shown}", evidence=evidence)
        # Each public resource is its own finding too: the thing to fix, to track and to mute.
        return [summary, *(
            fail("Resource policy allows any principal without a restricting condition",
                 evidence={"statements": p["statements"],
                           **({"block_public_access": "not collected"}
                              if p["resource"] in block_unknown else {})},
                 resource=p["resource"], region=None if p["region"] == "global" else p["region"])
            for p in public)]
    if gaps:
        raise Missing("resource policies", "; ".join(gaps[:5]) + (" ..." if len(gaps) > 5 else ""))
    summary_text = ", ".join(f"{n} {label}" for label, n in examined.items()) or "no resource policies found"
    if neutralised:
        summary_text += f"; {len(neutralised)} neutralised by S3 Block Public Access"
    return ok(f"No resource policy allows any principal unconditionally (examined: {summary_text})",
              evidence=evidence)
