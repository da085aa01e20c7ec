"""Request evaluation, in the order AWS documents ("Policy evaluation logic"):

1. an explicit Deny in any applicable policy wins;
2. RCPs, then SCPs: every level of the organization path needs an applicable Allow;
3. a resource-based policy that names the caller can allow on its own (how it names the
   caller decides whether identity policies and the boundary still matter);
4. otherwise some identity policy must allow, and the permissions boundary (if any) and the
   session policy (if any) must allow too.

In an open context (see conditions.py) the answer is what is *possible*: an Allow whose
condition cannot be decided counts, a Deny whose condition cannot be decided does not, and
the decision is marked `conditional`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Literal

from awsaudit.iam.conditions import Context, Tri, evaluate_block
from awsaudit.iam.patterns import action_matches, arn_matches
from awsaudit.iam.policy import Policy, Principals, Statement, condition_values, substitute

CallerKind = Literal["user", "role", "service", "federated", "anonymous"]
_PRINCIPAL_TYPE = {"service": "Service", "federated": "Federated"}


class Naming(IntEnum):
    """How a resource-based policy statement names the caller (higher = more direct)."""

    NONE = 0
    ACCOUNT = 1  # the caller's account (root ARN or account id): identity policies decide
    ROLE = 2  # the role's ARN: identity policies skipped, boundary and session policy apply
    DIRECT = 3  # user ARN, session ARN, service, "*": allows on its own (same account)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who makes the request: an IAM user, a role (any of its sessions), a service or a federated user."""

    arn: str
    account: str
    kind: CallerKind
    partition: str = "aws"

    @property
    def name(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    def named_by(self, principals: Principals) -> Naming:
        if principals.everyone:
            return Naming.DIRECT
        best = Naming.NONE
        if self.kind in ("user", "role"):
            root = f"arn:{self.partition}:iam::{self.account}:root"
            session = f"arn:{self.partition}:sts::{self.account}:assumed-role/{self.name}/"
            for value in principals.values("AWS"):
                if value == self.arn and self.kind == "role":
                    best = max(best, Naming.ROLE)
                elif value == self.arn or value.startswith(session):
                    best = Naming.DIRECT
                elif value in (root, self.account):
                    best = max(best, Naming.ACCOUNT)
        elif self.arn in principals.values(_PRINCIPAL_TYPE.get(self.kind, "")):
            best = Naming.DIRECT
        return best


@dataclass(frozen=True, slots=True)
class Request:
    action: str
    resource: str
    context: Context = field(default_factory=Context)
    caller: Caller | None = None


@dataclass(frozen=True, slots=True)
class PolicySet:
    """Every policy that applies to a request, by role in the evaluation."""

    identity: tuple[Policy, ...] = ()
    boundary: Policy | None = None
    scps: tuple[tuple[Policy, ...], ...] = ()
    """One tuple per level, root first; empty: no SCPs apply (management account, none known)."""
    rcps: tuple[tuple[Policy, ...], ...] = ()
    resource: Policy | None = None
    resource_account: str | None = None
    """The resource's account when a resource policy is given; None: the caller's account."""
    trust: bool = False
    """`resource` is a role trust policy: it must always allow the caller explicitly."""
    session: Policy | None = None

    def all_policies(self) -> Iterable[Policy]:
        yield from self.identity
        if self.boundary:
            yield self.boundary
        for level in (*self.scps, *self.rcps):
            yield from level
        if self.resource:
            yield self.resource
        if self.session:
            yield self.session


@dataclass(frozen=True, slots=True)
class Match:
    """A statement that decided (part of) a request, for evidence."""

    policy: str
    statement: str
    effect: str

    def __str__(self) -> str:
        return f"{self.policy} [{self.statement}] {self.effect}"


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str
    matches: tuple[Match, ...] = ()
    conditional: bool = False
    """The answer relies on a condition the (open) context cannot decide."""

    def __bool__(self) -> bool:
        return self.allowed


def statement_applies(stmt: Statement, policy: Policy, request: Request) -> Tri:
    """Action, resource and condition of one statement (the principal is checked by the caller)."""
    if stmt.actions is not None:
        if not any(action_matches(p, request.action) for p in stmt.actions):
            return Tri.FALSE
    elif stmt.not_actions is not None and any(action_matches(p, request.action) for p in stmt.not_actions):
        return Tri.FALSE
    if stmt.resources is not None or stmt.not_resources is not None:
        fill = "*" if stmt.allows else None
        patterns = stmt.resources if stmt.resources is not None else stmt.not_resources or ()
        hit = any(
            resolved is not None and arn_matches(resolved, request.resource)
            for resolved in (_resolve(p, policy, request.context, fill) for p in patterns)
        )
        if hit != (stmt.resources is not None):
            return Tri.FALSE
    if not stmt.conditions:
        return Tri.TRUE
    if policy.substitutes_variables:
        ctx = request.context
        return evaluate_block(stmt.conditions, ctx, lambda c: condition_values(c, ctx))
    return evaluate_block(stmt.conditions, request.context)


def _resolve(pattern: str, policy: Policy, ctx: Context, fill: str | None) -> str | None:
    return substitute(pattern, ctx, fill) if policy.substitutes_variables else pattern


def _naming(stmt: Statement, caller: Caller | None) -> Naming:
    if caller is None:
        return Naming.NONE
    if stmt.principal is not None:
        return caller.named_by(stmt.principal)
    if stmt.not_principal is not None:
        return Naming.NONE if caller.named_by(stmt.not_principal) else Naming.DIRECT
    return Naming.DIRECT  # identity-style statement inside a resource policy: not expected


class _Collector:
    """Accumulates the best Allow over a group of policies, and whether it was conditional."""

    def __init__(self) -> None:
        self.result = Tri.FALSE
        self.matches: list[Match] = []

    def add(self, tri: Tri, policy: Policy, stmt: Statement) -> None:
        if tri is Tri.FALSE:
            return
        if tri > self.result:
            self.result, self.matches = tri, []
        if tri == self.result:
            self.matches.append(Match(policy.name, stmt.label, stmt.effect))


def _allows(policies: Iterable[Policy], request: Request) -> _Collector:
    best = _Collector()
    for policy in policies:
        for stmt in policy.statements:
            if stmt.allows:
                best.add(statement_applies(stmt, policy, request), policy, stmt)
    return best


def evaluate(request: Request, policies: PolicySet) -> Decision:
    conditional = False
    resource_policies = {id(policies.resource)} if policies.resource else set()
    for policy in policies.all_policies():
        for stmt in policy.statements:
            if stmt.allows:
                continue
            if id(policy) in resource_policies and _naming(stmt, request.caller) is Naming.NONE:
                continue
            tri = statement_applies(stmt, policy, request)
            if tri is Tri.TRUE:
                deny = Match(policy.name, stmt.label, "Deny")
                return Decision(False, f"explicit deny in {policy.name}", (deny,))
            conditional |= tri is Tri.UNKNOWN
    for label, levels in (("RCP", policies.rcps), ("SCP", policies.scps)):
        for depth, level in enumerate(levels):
            found = _allows(level, request)
            if found.result is Tri.FALSE:
                return Decision(False, f"no {label} allows it at organization level {depth}", (), conditional)
            conditional |= found.result is Tri.UNKNOWN

    if policies.resource is None:
        return _identity_path(request, policies, conditional, skip_identity=False)
    same_account = request.caller is not None and policies.resource_account in (None, request.caller.account)
    by_naming = {naming: _Collector() for naming in Naming}
    for stmt in policies.resource.statements:
        if stmt.allows and (named := _naming(stmt, request.caller)) is not Naming.NONE:
            by_naming[named].add(statement_applies(stmt, policies.resource, request), policies.resource, stmt)
    named_any = max(c.result for c in by_naming.values())
    if (policies.trust or not same_account) and named_any is Tri.FALSE:
        return Decision(False, f"{policies.resource.name} does not allow the caller", (), conditional)
    if not same_account:  # both sides must allow across accounts
        conditional |= named_any is Tri.UNKNOWN
        return _identity_path(request, policies, conditional, skip_identity=False)
    direct, role = by_naming[Naming.DIRECT], by_naming[Naming.ROLE]
    if direct.result is Tri.TRUE:
        return Decision(True, f"allowed by {policies.resource.name}", tuple(direct.matches), conditional)
    if role.result is not Tri.FALSE:
        decision = _identity_path(request, policies, conditional or role.result is Tri.UNKNOWN,
                                  skip_identity=True, extra=role.matches)
    elif policies.trust:  # named only as the account: the identity policy must allow too
        decision = _identity_path(request, policies, conditional, skip_identity=False,
                                  extra=by_naming[Naming.ACCOUNT].matches)
    else:
        decision = _identity_path(request, policies, conditional, skip_identity=False)
    if direct.result is Tri.UNKNOWN and (not decision.allowed or decision.conditional):
        return Decision(True, f"allowed by {policies.resource.name}", tuple(direct.matches), True)
    return decision


def _identity_path(request: Request, policies: PolicySet, conditional: bool, skip_identity: bool,
                   extra: Sequence[Match] = ()) -> Decision:
    """Steps 5-7: identity policies (unless a resource policy named the role), boundary, session."""
    matches = list(extra)
    if not skip_identity:
        identity = _allows(policies.identity, request)
        if identity.result is Tri.FALSE:
            return Decision(False, "no identity policy allows it (implicit deny)", (), conditional)
        conditional |= identity.result is Tri.UNKNOWN
        matches.extend(identity.matches)
    for name, policy in (("permissions boundary", policies.boundary), ("session policy", policies.session)):
        if policy is None:
            continue
        bounded = _allows((policy,), request)
        if bounded.result is Tri.FALSE:
            return Decision(False, f"the {name} ({policy.name}) does not allow it", (), conditional)
        conditional |= bounded.result is Tri.UNKNOWN
    reason = "allowed by " + ", ".join(dict.fromkeys(m.policy for m in matches))
    return Decision(True, reason, tuple(matches), conditional)


def is_allowed(action: str, resource: str, policies: PolicySet, context: Context | None = None,
               caller: Caller | None = None) -> Decision:
    return evaluate(Request(action, resource, context or Context(), caller), policies)


def policy_sets(identity: Sequence[Policy]) -> PolicySet:
    """The policy set of a bare list of identity policies (no boundary, SCP or resource policy)."""
    return PolicySet(identity=tuple(identity))
