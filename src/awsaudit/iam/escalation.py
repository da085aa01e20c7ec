"""Privilege escalation: which methods a principal's permissions enable, and the graph of
"can become" edges between principals that finds multi-step paths to administrator.

Two uses of the same method table (methods.py):

- `available_methods`: from a principal's own policies only (`iam simulate`): a method is
  available when each of its needs is allowed on at least one resource of the required kind
  that could exist in the account.
- `analyse`: on a real account. Edges go from a principal to the principals it can become
  (another user's credentials, a role it may assume or whose trust policy it may rewrite, a
  role it can pass to a service that trusts it, a role behind existing compute it can take
  over) and to ADMIN when it is an administrator or can grant administrator to itself or to
  a principal it can become. Resource constraints are honoured: PassRole limited to a role
  that is not privileged leads to that role, and only onwards if that role has a path.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx  # type: ignore[import-untyped]

from awsaudit.iam.catalogue import resource_kinds
from awsaudit.iam.conditions import Context
from awsaudit.iam.coverage import Everything, allowed_somewhere, allows_everything, kind_candidates, mentions
from awsaudit.iam.evaluate import Caller, Naming, PolicySet, Request, evaluate
from awsaudit.iam.methods import ADMIN_POLICY, METHODS, Method, Need
from awsaudit.iam.patterns import action_matches
from awsaudit.iam.policy import Policy
from awsaudit.iam.principals import Entity, IamAccount

ADMIN = "ADMIN"
"""The graph's sink: effective administrator of the account."""

IAM_KINDS = {
    "user": "user/?*", "other user": "user/?*", "group": "group/?*", "role": "role/?*",
    "other role": "role/?*", "customer-managed policy": "policy/?*",
}
EXISTING_WEIGHT = 3
"""Edges through existing compute are less certain (the resource may not exist): prefer other paths."""


def need_context(need: Need, action: str, base: Context, partition: str) -> Context:
    """The request context of one need: PassedToService for PassRole, AdministratorAccess for Attach*."""
    extra: dict[str, Any] = {}
    if need.passed_to and action.lower() == "iam:passrole":
        extra["iam:PassedToService"] = need.passed_to
    if action_matches("iam:Attach*Policy", action):
        extra["iam:PolicyARN"] = ADMIN_POLICY.format(partition=partition)
    return base.with_values(extra) if extra else base


def kinds_for(need: Need, action: str, partition: str, account: str) -> tuple[str, ...]:
    """The resource ARNs (templates) the need must be allowed on: its IAM target, else the
    catalogue's kinds for the action narrowed to the types the method needs (`Need.on`)."""
    if need.target in IAM_KINDS:
        return (f"arn:{partition}:iam::{account}:{IAM_KINDS[need.target]}",)
    kinds = resource_kinds(action, partition, account)
    if not need.on:
        return kinds
    return tuple(k for k in kinds if _type_of(k).startswith(need.on))


def _type_of(kind: str) -> str:
    """`arn:aws:ec2:?*:1:instance/?*` -> `ec2:instance/?*` (service and resource part)."""
    parts = kind.split(":", 5)
    return f"{parts[2]}:{parts[5]}" if len(parts) == 6 else kind


def _need_met(need: Need, policies: PolicySet, ctx: Context, caller: Caller,
              exclude: str | None) -> str | None:
    """`action on resource` of the first alternative allowed somewhere of its kind, or None."""
    for action in need.actions:
        if not mentions(policies.identity, action):
            continue
        candidates = kind_candidates(kinds_for(need, action, caller.partition, caller.account),
                                     policies.all_policies(), ctx)
        if exclude:
            candidates = (c for c in candidates if c != exclude)
        found = allowed_somewhere(action, candidates, policies,
                                  need_context(need, action, ctx, caller.partition), caller)
        if found:
            return f"{action} on {found[0]}"
    return None


def available_methods(policies: PolicySet, ctx: Context, caller: Caller) -> list[tuple[Method, list[str]]]:
    """Methods whose every need is allowed on some resource of its kind, with the permissions used."""
    out: list[tuple[Method, list[str]]] = []
    for method in METHODS:
        if method.edge_only:
            continue
        used: list[str] = []
        for need in method.needs:
            exclude = caller.arn if need.target.startswith("other") else None
            met = _need_met(need, policies, ctx, caller, exclude)
            if met is None:
                break
            used.append(met)
        else:
            out.append((method, used))
    return out


@dataclass(frozen=True, slots=True)
class Step:
    source: str
    target: str
    method: str
    permissions: tuple[str, ...]
    note: str = ""

    def describe(self) -> str:
        perms = "; ".join(self.permissions)
        note = f" ({self.note})" if self.note else ""
        return f"{self.source} -> {self.target} via {self.method} [{perms}]{note}"


@dataclass
class Analysis:
    account: IamAccount
    graph: nx.MultiDiGraph = field(default_factory=nx.MultiDiGraph)
    admins: dict[str, Everything] = field(default_factory=dict)
    _to_admin: dict[str, list[str]] | None = field(default=None, repr=False)
    service_roles: dict[tuple[str, bool], list[Entity]] = field(default_factory=dict, repr=False)
    """(service, needs an instance profile) -> roles trusting it: shared by the graph and the
    policy checks, each trust policy evaluated once."""

    def __post_init__(self) -> None:
        self.graph.add_node(ADMIN)

    def roles_trusting(self, service: str, instance_profile: bool) -> list[Entity]:
        """Roles (not service-linked) whose trust policy admits the service (EC2: in a profile)."""
        key = (service, instance_profile)
        if key not in self.service_roles:
            self.service_roles[key] = [
                r for r in self.account.roles.values()
                if not r.service_linked and _trusts_service(r, service)
                and (not instance_profile or bool(r.raw.get("InstanceProfileList")))]
        return self.service_roles[key]

    def privileged(self, arn: str) -> bool:
        """Administrator, or on a path to administrator."""
        return self.is_admin(arn) or self.path(arn) is not None

    def is_admin(self, arn: str) -> bool:
        return arn in self.admins

    def path(self, arn: str) -> list[Step] | None:
        """The cheapest path from a principal to ADMIN, as steps; None if there is none."""
        if self._to_admin is None:
            # One Dijkstra from ADMIN over reversed edges gives every principal's path at once.
            backwards = self.graph.reverse(copy=False)
            _, reversed_paths = nx.single_source_dijkstra(backwards, ADMIN, weight="weight")
            self._to_admin = {node: list(reversed(p)) for node, p in reversed_paths.items()}
        nodes = self._to_admin.get(arn)
        if not nodes or len(nodes) < 2:
            return None
        steps: list[Step] = []
        for source, target in itertools.pairwise(nodes):
            edges = self.graph.get_edge_data(source, target)
            best = min(edges.values(), key=lambda e: e["weight"])
            steps.append(best["step"])
        return steps

    def edges_from(self, arn: str) -> list[Step]:
        if arn not in self.graph:
            return []
        return [data["step"] for _, _, data in self.graph.out_edges(arn, data=True)]


def _add(graph: nx.MultiDiGraph, step: Step, weight: int = 1) -> None:
    key = f"{step.method}:{step.permissions}"
    graph.add_edge(step.source, step.target, key=key, weight=weight, step=step)


def _trusts_service(role: Entity, service: str) -> bool:
    if role.trust is None:
        return False
    caller = Caller(service, "", "service")
    request = Request("sts:AssumeRole", role.arn, Context(open=True), caller)
    return evaluate(request, PolicySet(resource=role.trust, trust=True)).allowed


def _names(role: Entity, principal: Entity) -> bool:
    """Cheap pre-filter: does the trust policy name the principal (or its account, or everyone)?"""
    if role.trust is None:
        return False
    caller = principal.caller
    for stmt in role.trust.statements:
        if stmt.allows and stmt.principal is not None and caller.named_by(stmt.principal) is not Naming.NONE:
            return True
        if stmt.allows and stmt.not_principal is not None:
            return True
    return False


class _Builder:
    def __init__(self, account: IamAccount) -> None:
        self.account = account
        self.analysis = Analysis(account)
        self.graph = self.analysis.graph
        self.contexts: dict[str, Context] = {}
        self._trust_index: tuple[list[Entity], dict[str, set[int]], set[int]] | None = None
        self._boundaries: dict[str, bool] = {}

    def trusting(self, principal: Entity) -> list[Entity]:
        """The roles whose trust policy might name `principal` (`_names` true), in account order.

        `_names` asked of every (principal, role) pair made the analysis quadratic (43 million
        pairs for 8,600 principals and 5,000 roles). For a user or role caller, a statement names
        it only through Principal "*", NotPrincipal, or an AWS value equal to its ARN, its
        account (root ARN or id) or starting with its session prefix (Caller.named_by): roles are
        indexed by those values once; `_names` still decides on each candidate.
        """
        if self._trust_index is None:
            roles = list(self.account.roles.values())
            exact: dict[str, set[int]] = {}
            always: set[int] = set()
            for i, role in enumerate(roles):
                if role.trust is None:
                    continue
                for stmt in role.trust.statements:
                    if not stmt.allows:
                        continue
                    named = stmt.principal
                    if stmt.not_principal is not None or (named is not None and named.everyone):
                        always.add(i)
                    elif stmt.principal is not None:
                        for value in stmt.principal.values("AWS"):
                            if ":assumed-role/" in value:  # matched by prefix: checked on every caller
                                always.add(i)
                            else:
                                exact.setdefault(value, set()).add(i)
            self._trust_index = (roles, exact, always)
        roles, exact, always = self._trust_index
        caller = principal.caller
        if caller.kind not in ("user", "role"):
            return roles
        root = f"arn:{caller.partition}:iam::{caller.account}:root"
        found = always.union(*(exact.get(v, ()) for v in (caller.arn, root, caller.account)))
        return [roles[i] for i in sorted(found)]

    def context(self, principal: Entity) -> Context:
        if principal.arn not in self.contexts:
            self.contexts[principal.arn] = principal.context()
        return self.contexts[principal.arn]

    def roles_trusting(self, service: str, instance_profile: bool) -> list[Entity]:
        return self.analysis.roles_trusting(service, instance_profile)

    def allowed(self, principal: Entity, action: str, resource: str, need: Need | None = None) -> bool:
        ctx = self.context(principal)
        if need is not None:
            ctx = need_context(need, action, ctx, principal.partition)
        policies = principal.policy_set(self.account.scps)
        return evaluate(Request(action, resource, ctx, principal.caller), policies).allowed

    def run(self) -> Analysis:
        for principal in self.account.principals():
            self.graph.add_node(principal.arn)
            verdict = self.account.everything(principal)
            if verdict:
                self.analysis.admins[principal.arn] = verdict
                _add(self.graph, Step(principal.arn, ADMIN, "administrator", ("* on *",),
                                      "conditional" if verdict.conditional else ""))
        grants: list[tuple[Entity, Method, str, str, list[Entity]]] = []
        for principal in self.account.principals():
            if principal.arn in self.analysis.admins:
                continue
            for method in METHODS:
                # A trust policy naming the principal itself needs no identity permission.
                if method.name == "AssumeRole" or all(
                        any(mentions(principal.policies, a) for a in need.actions) for need in method.needs):
                    grants.extend(self.method_edges(principal, method))
        reach: dict[str, set[str]] = {}
        for principal, method, permission, resource, grantees in grants:
            if principal.arn not in reach:
                reach[principal.arn] = nx.descendants(self.graph, principal.arn) | {principal.arn}
            for grantee in grantees:
                if grantee.arn in reach[principal.arn]:
                    note = "" if grantee.arn == principal.arn else f"then become {grantee.ref}"
                    _add(self.graph, Step(principal.arn, ADMIN, method.name, (f"{permission} on {resource}",),
                                          note))
                    break
        return self.analysis

    def method_edges(self, principal: Entity, method: Method) -> Iterator[tuple[
            Entity, Method, str, str, list[Entity]]]:
        """Adds become-edges directly; yields grant opportunities (resolved once all edges exist)."""
        first = method.needs[0]
        action = first.actions[0]
        if method.yields == "other-user":
            for user in self.account.users.values():
                if user.arn != principal.arn and self._login_state_fits(method, user) and self.allowed(
                        principal, action, user.arn):
                    _add(self.graph, Step(principal.arn, user.arn, method.name, (f"{action} on {user.arn}",)))
        elif method.yields == "assume":
            # AssumeRole needs the trust policy to name the principal: only those roles are candidates.
            roles = self.trusting(principal) if method.name == "AssumeRole" else self.account.roles.values()
            for role in roles:
                if role.arn == principal.arn or role.service_linked:
                    continue
                permission = (f"{action} on {role.arn}",)
                if method.name == "AssumeRole":
                    if self._can_assume(principal, role):
                        _add(self.graph, Step(principal.arn, role.arn, method.name, permission))
                elif self.allowed(principal, action, role.arn):
                    _add(self.graph, Step(principal.arn, role.arn, method.name, permission,
                                          "rewrite its trust policy, then assume it"))
        elif method.yields in ("pass-role", "existing"):
            self._compute_edges(principal, method)
        else:
            yield from self._grants(principal, method, first, action)

    def _login_state_fits(self, method: Method, user: Entity) -> bool:
        """CreateLoginProfile needs a user without a password, UpdateLoginProfile one with (if known)."""
        state = (user.raw.get("Credentials") or {}).get("password_enabled")
        if state not in ("true", "false"):
            return True
        wanted = {"CreateLoginProfile": "false", "UpdateLoginProfile": "true"}.get(method.name, state)
        return bool(state == wanted)

    def _can_assume(self, principal: Entity, role: Entity) -> bool:
        if not _names(role, principal):
            return False
        policies = PolicySet(identity=principal.policies, boundary=principal.boundary, scps=self.account.scps,
                             resource=role.trust, trust=True)
        return evaluate(Request("sts:AssumeRole", role.arn, self.context(principal), principal.caller),
                        policies).allowed

    def _compute_edges(self, principal: Entity, method: Method) -> None:
        policies = principal.policy_set(self.account.scps)
        ctx = self.context(principal)
        used: list[str] = []
        for need in method.needs:
            if need.passed_to:
                continue
            met = _need_met(need, policies, ctx, principal.caller, None)
            if met is None:
                return
            used.append(met)
        pass_need = next((n for n in method.needs if n.passed_to), None)
        for role in self.roles_trusting(method.service, method.instance_profile):
            if role.arn == principal.arn:
                continue
            if pass_need is None:
                _add(self.graph, Step(principal.arn, role.arn, method.name, tuple(used),
                                      f"if an existing resource runs as {role.ref}"), EXISTING_WEIGHT)
            elif self.allowed(principal, "iam:PassRole", role.arn, pass_need):
                passed = f"iam:PassRole on {role.arn} (iam:PassedToService={pass_need.passed_to})"
                permissions = (passed, *used)
                _add(self.graph, Step(principal.arn, role.arn, method.name, permissions))

    def _grants(self, principal: Entity, method: Method, need: Need, action: str) -> Iterator[tuple[
            Entity, Method, str, str, list[Entity]]]:
        account = self.account
        targets: Iterable[tuple[str, list[Entity]]]
        if need.target == "user":
            targets = ((u.arn, [u]) for u in account.users.values())
        elif need.target == "role":
            targets = ((r.arn, [r]) for r in account.roles.values() if not r.service_linked)
        elif need.target == "group":
            if method.name == "AddUserToGroup":
                admin_groups = [g for g in account.groups.values() if self._group_is_admin(g.policies)]
                targets = ((g.arn, list(account.users.values())) for g in admin_groups)
            else:
                targets = ((g.arn, account.members(g.name)) for g in account.groups.values())
        else:
            targets = self._policy_targets(method)
        for resource, grantees in targets:
            unbounded = [g for g in grantees if self._boundary_admits_admin(g)]
            if unbounded and self.allowed(principal, action, resource, need):
                yield principal, method, action, resource, unbounded

    def _boundary_admits_admin(self, grantee: Entity) -> bool:
        """A granted policy makes the grantee administrator only as far as its permissions boundary
        lets it: no boundary, or one that itself allows every action (SCPs applied), lets it."""
        if grantee.boundary is None:
            return True
        key = grantee.boundary.name
        if key not in self._boundaries:
            self._boundaries[key] = self._group_is_admin((grantee.boundary,))
        return self._boundaries[key]

    def _policy_targets(self, method: Method) -> Iterator[tuple[str, list[Entity]]]:
        for policy in self.account.managed.values():
            if policy.aws_managed or policy.default is None:
                continue
            if method.name == "SetExistingDefaultPolicyVersion" and not any(
                    v is not policy.default and self._group_is_admin((v,)) for v in policy.versions):
                continue
            yield policy.arn, self.account.attached_to(policy.arn)

    def _group_is_admin(self, policies: tuple[Policy, ...]) -> bool:
        policy_set = PolicySet(identity=policies, scps=self.account.scps)
        return bool(allows_everything(policy_set, Context(open=True)))


def analyse(account: IamAccount) -> Analysis:
    return _Builder(account).run()


def summarise(steps: Iterable[Step], names: Mapping[str, str] | None = None) -> str:
    """One line: `user/a -[CreateAccessKey]-> user/b -[administrator]-> ADMIN`."""
    rename = names or {}
    parts: list[str] = []
    for step in steps:
        if not parts:
            parts.append(rename.get(step.source, step.source))
        parts.append(f"-[{step.method}]-> {rename.get(step.target, step.target)}")
    return " ".join(parts)


HOLDER = "awsaudit-policy-holder"
"""The user a policy is imagined attached to when it is judged on its own (no real principal)."""


@dataclass(frozen=True, slots=True)
class PolicyMethod:
    """A method one policy grants on its own, the permissions it uses and what it reaches."""

    method: Method
    permissions: tuple[str, ...]
    reaches: tuple[str, ...] = ()  # the existing principals it leads to (pass-role, existing, ...)

    def describe(self) -> str:
        reach = f" -> {', '.join(self.reaches)}" if self.reaches else ""
        return f"{self.method.name} [{'; '.join(self.permissions)}]{reach}"


def policy_methods(policy: Policy, analysis: Analysis, holders: Iterable[Entity] = ()) -> list[PolicyMethod]:
    """The escalation methods a policy grants on its own, decided with the account that exists.

    The policy is evaluated as if attached alone to a user of the account (the account's SCPs
    apply; `${aws:username}` resolves to that user, so self-service statements reach no other
    user). A method that needs a target principal counts only when one exists: another user for
    methods 1-3 (not the policy's only holder), a role for UpdateRolePolicyToAssumeIt, and for
    PassRole and existing-compute methods a role trusting the method's service that is privileged
    (administrator, or itself on a path to administrator): PassRole limited to low-privilege roles
    grants no PassRole method. Grant methods (attach, put, policy versions, groups) count wherever
    allowed: they hand out arbitrary permissions; AddUserToGroup only towards an existing group
    whose own policies make a member administrator (joining gives only what the group has).
    """
    account = analysis.account
    caller = Caller(f"arn:{account.partition}:iam::{account.account_id}:user/{HOLDER}", account.account_id,
                    "user", account.partition)
    ctx = Context.of({"aws:username": HOLDER, "aws:PrincipalAccount": account.account_id},
                     open=True, known=("aws:username",))
    policies = PolicySet(identity=(policy,), scps=account.scps)
    only_holder = {h.arn for h in holders}
    found: list[PolicyMethod] = []
    for method, used in available_methods(policies, ctx, caller):
        if method.name == "AddUserToGroup":  # joining a group gives only what the group has
            groups = _admin_groups(analysis, policies, ctx, caller, method.needs[0])
            if groups:
                found.append(PolicyMethod(method, tuple(used), tuple(groups)))
            continue
        if method.yields == "grant":
            found.append(PolicyMethod(method, tuple(used)))
            continue
        reaches = _policy_reach(method, policies, ctx, caller, analysis,
                                only_holder if len(only_holder) == 1 else set())
        if reaches:
            # The permissions name the roles that exist and may be passed, not a sample ARN.
            pass_need = next((n for n in method.needs if n.passed_to), None)
            shown = [f"iam:PassRole on {', '.join(reaches)} (iam:PassedToService={pass_need.passed_to})"
                     if pass_need and u.startswith("iam:PassRole on ") else u for u in used]
            found.append(PolicyMethod(method, tuple(shown), tuple(reaches)))
    return found


def _admin_groups(analysis: Analysis, policies: PolicySet, ctx: Context, caller: Caller,
                  need: Need) -> list[str]:
    """Existing groups whose own policies make a member administrator, that the policy may join."""
    account = analysis.account
    found = []
    for group in account.groups.values():
        if not allows_everything(PolicySet(identity=group.policies, scps=account.scps), Context(open=True)):
            continue
        action = need.actions[0]
        request = Request(action, group.arn, need_context(need, action, ctx, caller.partition), caller)
        if evaluate(request, policies).allowed:
            found.append(f"group/{group.name}")
    return found


def _policy_reach(method: Method, policies: PolicySet, ctx: Context, caller: Caller, analysis: Analysis,
                  excluded: set[str]) -> list[str]:
    """The existing principals a non-grant method of one policy leads to (see policy_methods)."""
    account = analysis.account
    first = method.needs[0]

    def allowed(action: str, resource: str, need: Need) -> bool:
        request = Request(action, resource, need_context(need, action, ctx, caller.partition), caller)
        return evaluate(request, policies).allowed

    if method.yields == "other-user":
        action = first.actions[0]
        return [u.ref for u in account.users.values()
                if u.arn not in excluded and allowed(action, u.arn, first)]
    if method.yields == "assume":
        action = first.actions[0]
        return [r.ref for r in account.roles.values()
                if not r.service_linked and analysis.privileged(r.arn) and allowed(action, r.arn, first)]
    roles = [r for r in analysis.roles_trusting(method.service, method.instance_profile)
             if analysis.privileged(r.arn)]
    pass_need = next((n for n in method.needs if n.passed_to), None)
    if pass_need is None:
        return [r.ref for r in roles]
    return [r.ref for r in roles if allowed("iam:PassRole", r.arn, pass_need)]
