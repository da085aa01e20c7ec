"""The account's principals and their policies, from the collected IAM snapshot.

Input is the iam service data of one account (`account["global"]["iam"]`, from
GetAccountAuthorizationDetails): users, groups, roles and managed policies with their
documents. A user's identity policies are its inline and managed policies plus those of its
groups; a role's are its inline and managed policies. A policy that cannot be read (not
collected, not parseable) is recorded as a gap on the principal, never silently skipped:
callers must not PASS a principal with gaps.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from awsaudit.iam.conditions import Context
from awsaudit.iam.coverage import Everything, allows_everything
from awsaudit.iam.evaluate import Caller, PolicySet
from awsaudit.iam.policy import Policy, PolicyError, parse_policy

Json = dict[str, Any]
EntityKind = Literal["user", "role"]
SERVICE_LINKED_PATH = "/aws-service-role/"


@dataclass(frozen=True, slots=True)
class ManagedPolicy:
    arn: str
    name: str
    default: Policy | None
    versions: tuple[Policy, ...]  # every readable version, the default included
    attachments: int | None
    aws_managed: bool
    error: str = ""


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    arn: str
    policies: tuple[Policy, ...]
    managed_arns: tuple[str, ...]
    gaps: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Entity:
    """An IAM user or role with everything the engine needs to evaluate its requests."""

    kind: EntityKind
    name: str
    arn: str
    account: str
    partition: str
    policies: tuple[Policy, ...]
    boundary: Policy | None
    groups: tuple[str, ...] = ()
    managed_arns: tuple[str, ...] = ()
    trust: Policy | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    unique_id: str = ""
    path: str = "/"
    gaps: tuple[str, ...] = ()
    raw: Json = field(default_factory=dict)

    @property
    def caller(self) -> Caller:
        return Caller(self.arn, self.account, self.kind, self.partition)

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def service_linked(self) -> bool:
        return self.kind == "role" and self.path.startswith(SERVICE_LINKED_PATH)

    def context(self, extra: Mapping[str, Any] | None = None, *, open: bool = True) -> Context:
        """What AWS puts in every request of this principal; open: other keys are unknown."""
        values: dict[str, Any] = {
            "aws:PrincipalArn": self.arn,
            "aws:PrincipalAccount": self.account,
            "aws:PrincipalType": "User" if self.kind == "user" else "AssumedRole",
        }
        if self.kind == "user":
            values["aws:username"] = self.name
            if self.unique_id:
                values["aws:userid"] = self.unique_id
        values.update({f"aws:PrincipalTag/{k}": v for k, v in self.tags.items()})
        values.update(extra or {})
        known = ("aws:username", "aws:principaltag/") if open else ()
        return Context.of(values, open=open, known=known)

    def policy_set(self, scps: tuple[tuple[Policy, ...], ...] = ()) -> PolicySet:
        return PolicySet(identity=self.policies, boundary=self.boundary, scps=scps)


@dataclass(frozen=True, slots=True)
class IamAccount:
    """One account's IAM entities, resolved (groups and managed policies joined in)."""

    account_id: str
    partition: str
    users: Mapping[str, Entity]
    roles: Mapping[str, Entity]
    groups: Mapping[str, Group]
    managed: Mapping[str, ManagedPolicy]
    scps: tuple[tuple[Policy, ...], ...] = ()
    _everything: dict[str, Everything] = field(default_factory=dict, compare=False, repr=False)

    def everything(self, entity: Entity) -> Everything:
        """Whether the principal may do every action on every resource (its own policies, groups,
        boundary and the account's SCPs), decided once per principal: the escalation analysis and
        the administrator checks ask the same question of every principal."""
        if entity.arn not in self._everything:
            self._everything[entity.arn] = allows_everything(
                entity.policy_set(self.scps), entity.context(), entity.caller, entity.partition)
        return self._everything[entity.arn]

    def principals(self) -> Iterator[Entity]:
        yield from self.users.values()
        yield from self.roles.values()

    def get(self, arn: str) -> Entity | None:
        return self.users.get(arn) or self.roles.get(arn)

    def find(self, ref: str) -> Entity | None:
        """By ARN, `user/NAME`, `role/NAME` or a bare name (unique across users and roles)."""
        if ref.startswith("arn:"):
            return self.get(ref)
        kind, _, name = ref.rpartition("/")
        pools = {"user": self.users, "role": self.roles}
        candidates = [e for k, pool in pools.items() if kind in ("", k)
                      for e in pool.values() if e.name == name]
        return candidates[0] if len(candidates) == 1 else None

    def members(self, group: str) -> list[Entity]:
        return [u for u in self.users.values() if group in u.groups]

    def attached_to(self, policy_arn: str) -> list[Entity]:
        """Principals a managed policy applies to: directly or through a group."""
        groups = {g.name for g in self.groups.values() if policy_arn in g.managed_arns}
        return [e for e in self.principals()
                if policy_arn in e.managed_arns or groups.intersection(e.groups)]


def account_id_of(iam: Json) -> str | None:
    """The account ID, from the account document's root ARN or any entity ARN."""
    arns = [str((iam.get("account") or {}).get("_arn", ""))]
    for collection in ("users", "roles", "groups"):
        arns.extend(str(e.get("Arn", "")) for e in iam.get(collection) or [])
    for arn in arns:
        parts = arn.split(":")
        if len(parts) >= 5 and parts[4].isdigit():
            return parts[4]
    return None


def _parse(doc: Any, name: str, gaps: list[str]) -> Policy | None:
    if doc is None:
        gaps.append(f"{name}: document not collected")
        return None
    try:
        return parse_policy(doc, name)
    except PolicyError as exc:
        gaps.append(str(exc))
        return None


def _managed(entry: Json, partition: str) -> ManagedPolicy:
    arn = str(entry.get("Arn", ""))
    name = str(entry.get("PolicyName") or arn.rsplit("/", 1)[-1])
    default_id = entry.get("DefaultVersionId")
    versions: list[Policy] = []
    default: Policy | None = None
    errors: list[str] = []
    for version in entry.get("PolicyVersionList") or []:
        vid = version.get("VersionId", "")
        is_default = bool(version.get("IsDefaultVersion")) or (default_id is not None and vid == default_id)
        parsed = _parse(version.get("Document"), f"policy {name} {vid}".strip(), errors)
        if parsed is None:
            continue
        versions.append(parsed)
        if is_default:
            default = parsed
    if default is None and not errors:
        errors.append(f"policy {name}: default version not collected")
    return ManagedPolicy(arn, name, default, tuple(versions), entry.get("AttachmentCount"),
                         arn.startswith(f"arn:{partition}:iam::aws:policy/"), "; ".join(errors))


def _attached(entity: Json, managed: Mapping[str, ManagedPolicy], owner: str, gaps: list[str]) -> tuple[
        list[Policy], list[str]]:
    policies: list[Policy] = []
    arns: list[str] = []
    for attachment in entity.get("AttachedManagedPolicies") or []:
        arn = str(attachment.get("PolicyArn", ""))
        arns.append(arn)
        found = managed.get(arn)
        if found is None or found.default is None:
            detail = f" ({found.error})" if found else ""
            gaps.append(f"{owner}: managed policy {arn} not collected{detail}")
            continue
        policies.append(_renamed(found.default, f"{owner} managed {found.name}"))
    return policies, arns


def _renamed(policy: Policy, name: str) -> Policy:
    return Policy(name, policy.version, policy.statements, policy.document)


def _inline(entity: Json, key: str, owner: str, gaps: list[str]) -> list[Policy]:
    out: list[Policy] = []
    for inline in entity.get(key) or []:
        parsed = _parse(inline.get("PolicyDocument"), f"{owner} inline {inline.get('PolicyName', '?')}", gaps)
        if parsed is not None:
            out.append(parsed)
    return out


def _boundary(entity: Json, managed: Mapping[str, ManagedPolicy], owner: str,
              gaps: list[str]) -> Policy | None:
    boundary = entity.get("PermissionsBoundary")
    if not boundary:
        return None
    arn = str(boundary.get("PermissionsBoundaryArn", ""))
    found = managed.get(arn)
    if found is None or found.default is None:
        gaps.append(f"{owner}: permissions boundary {arn} not collected")
        # Evaluated without it: that can only over-report, and the gap keeps checks from PASSing.
        return None
    return _renamed(found.default, f"{owner} boundary {found.name}")


def _tags(entity: Json) -> dict[str, str]:
    return {str(t.get("Key")): str(t.get("Value", "")) for t in entity.get("Tags") or [] if "Key" in t}


def build(iam: Json, account_id: str | None = None, partition: str = "aws",
          scps: tuple[tuple[Policy, ...], ...] = ()) -> IamAccount:
    """Resolve users, groups, roles and policies. The caller makes sure the four collections
    exist (checks use need(); the CLI reports a readable error)."""
    account = account_id or account_id_of(iam) or "000000000000"
    managed = {str(p.get("Arn")): _managed(p, partition) for p in iam.get("policies") or []}
    groups: dict[str, Group] = {}
    for entry in iam.get("groups") or []:
        name = str(entry.get("GroupName", ""))
        gaps: list[str] = []
        owner = f"group {name}"
        attached, arns = _attached(entry, managed, owner, gaps)
        groups[name] = Group(name, str(entry.get("Arn", "")),
                             tuple(_inline(entry, "GroupPolicyList", owner, gaps) + attached), tuple(arns),
                             tuple(gaps))
    users: dict[str, Entity] = {}
    for entry in iam.get("users") or []:
        name = str(entry.get("UserName", ""))
        gaps = []
        owner = f"user {name}"
        attached, arns = _attached(entry, managed, owner, gaps)
        policies = _inline(entry, "UserPolicyList", owner, gaps) + attached
        member_of = tuple(str(g) for g in entry.get("GroupList") or [])
        for group_name in member_of:
            group = groups.get(group_name)
            if group is None:
                gaps.append(f"{owner}: group {group_name} not collected")
                continue
            policies.extend(group.policies)
            gaps.extend(group.gaps)
        users[str(entry.get("Arn"))] = Entity(
            "user", name, str(entry.get("Arn")), account, partition, tuple(policies),
            _boundary(entry, managed, owner, gaps), member_of, tuple(arns), None, _tags(entry),
            str(entry.get("UserId", "")), str(entry.get("Path", "/")), tuple(gaps), entry)
    roles: dict[str, Entity] = {}
    for entry in iam.get("roles") or []:
        name = str(entry.get("RoleName", ""))
        gaps = []
        owner = f"role {name}"
        attached, arns = _attached(entry, managed, owner, gaps)
        trust = None
        if entry.get("AssumeRolePolicyDocument") is not None:
            try:
                trust = parse_policy(entry["AssumeRolePolicyDocument"], f"{owner} trust policy", "trust")
            except PolicyError as exc:
                gaps.append(str(exc))
        roles[str(entry.get("Arn"))] = Entity(
            "role", name, str(entry.get("Arn")), account, partition,
            tuple(_inline(entry, "RolePolicyList", owner, gaps) + attached),
            _boundary(entry, managed, owner, gaps), (), tuple(arns), trust, _tags(entry),
            str(entry.get("RoleId", "")), str(entry.get("Path", "/")), tuple(gaps), entry)
    return IamAccount(account, partition, users, roles, groups, managed, scps)
