"""Questions over the whole action and resource space: "is every action allowed on every
resource?" (admin) and "is this action allowed on at least one resource of a kind?".

Both are answered with finitely many representative requests. Two actions that every
pattern of the policies treats alike get the same decision, so it suffices to try each
catalogue action some non-`*` pattern names, plus one catalogue action no such pattern
names. Resources likewise: every resource pattern written in the policies, taken literally
(a glob matches itself), the request resource `*`, and one ARN no pattern but `*` matches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from awsaudit.iam import catalogue
from awsaudit.iam.conditions import Context
from awsaudit.iam.evaluate import Caller, Decision, PolicySet, Request, evaluate
from awsaudit.iam.patterns import action_matches, arn_matches, arn_witness
from awsaudit.iam.policy import Policy, substitute

FILLS = ("x", "q")
"""Characters used where a wildcard leaves a resource name free (two, so "other" can differ from self)."""


@dataclass(frozen=True, slots=True)
class Everything:
    """Whether a policy set allows every action on every resource, and the first gap if not."""

    allowed: bool
    conditional: bool = False
    gap: tuple[str, str, str] | None = None  # (action, resource, reason) of a denied request

    def __bool__(self) -> bool:
        return self.allowed


def _patterns(policies: Iterable[Policy]) -> tuple[set[str], set[str]]:
    actions: set[str] = set()
    resources: set[str] = set()
    for policy in policies:
        for stmt in policy.statements:
            actions.update(stmt.action_patterns())
            resources.update(stmt.resource_patterns())
    return actions, resources


def _representative_actions(patterns: set[str]) -> list[str]:
    named: set[str] = set()
    for pattern in patterns:
        if pattern != "*":
            named.update(catalogue.expand(pattern))
    rest = next((a for a in catalogue.all_actions() if a not in named), None)
    return ([rest] if rest else []) + sorted(named)


def _unmatched_arn(patterns: set[str], partition: str) -> str:
    literal = [p for p in patterns if p != "*"]
    for n in range(100):
        arn = f"arn:{partition}:awsaudit-unmatched:::resource-{n}"
        if not any(arn_matches(p, arn) for p in literal):
            return arn
    return f"arn:{partition}:awsaudit-unmatched:::resource"


def _representative_resources(patterns: set[str], ctx: Context, partition: str) -> list[str]:
    resolved = {r for p in patterns if p != "*" and (r := substitute(p, ctx)) is not None}
    return [_unmatched_arn(resolved, partition), "*", *sorted(resolved)]


def allows_everything(policies: PolicySet, context: Context, caller: Caller | None = None,
                      partition: str = "aws") -> Everything:
    """Every catalogue action on every resource allowed (actions the catalogue does not know are
    not required: they do not exist; they are reported separately by catalogue.unknown_actions)."""
    action_patterns, resource_patterns = _patterns(policies.all_policies())
    actions = _representative_actions(action_patterns)
    resources = _representative_resources(resource_patterns, context, partition)
    conditional = False
    for action in actions:
        for resource in resources:
            decision = evaluate(Request(action, resource, context, caller), policies)
            if not decision.allowed:
                return Everything(False, conditional, (action, resource, decision.reason))
            conditional |= decision.conditional
    return Everything(bool(actions), conditional)


def kind_candidates(kinds: Iterable[str], policies: Iterable[Policy], context: Context) -> Iterator[str]:
    """Concrete resources of the given kinds worth trying: one per (kind, pattern written in an
    Allow, fill), so any overlap between what a policy names and the kind is found."""
    patterns = {"*"}
    for policy in policies:
        for stmt in policy.statements:
            if stmt.allows and stmt.resources is not None:
                patterns.update(r for p in stmt.resources if (r := substitute(p, context, "*")) is not None)
    seen: set[str] = set()
    for kind in kinds:
        if kind == "*":
            candidates: Iterable[str | None] = ["*"]
        else:
            candidates = (arn_witness(kind, p, fill) for p in sorted(patterns) for fill in FILLS)
        for found in candidates:
            if found is not None and found not in seen:
                seen.add(found)
                yield found


def allowed_somewhere(action: str, candidates: Iterable[str], policies: PolicySet, context: Context,
                      caller: Caller | None = None) -> tuple[str, Decision] | None:
    """The first candidate resource on which the action is allowed (preferring a definite answer)."""
    fallback: tuple[str, Decision] | None = None
    for resource in candidates:
        decision = evaluate(Request(action, resource, context, caller), policies)
        if decision.allowed and not decision.conditional:
            return resource, decision
        if decision.allowed and fallback is None:
            fallback = resource, decision
    return fallback


def mentions(policies: Iterable[Policy], action: str) -> bool:
    """Cheap pre-filter: could any Allow statement match this action at all?"""
    for policy in policies:
        for stmt in policy.statements:
            if not stmt.allows:
                continue
            if stmt.actions is not None and any(action_matches(p, action) for p in stmt.actions):
                return True
            if stmt.not_actions is not None and not any(action_matches(p, action) for p in stmt.not_actions):
                return True
    return False


def policy_grants_everything(policy: Policy) -> Everything:
    """A single document, on its own, allows every action on every resource under some context
    (Allow `*`, Allow NotAction listing nothing that exists, wildcards covering every service)."""
    return allows_everything(PolicySet(identity=(policy,)), Context(open=True))


def admin_policies(policies: Iterable[Policy]) -> list[str]:
    """Names of the policies that alone grant every action on every resource."""
    return [p.name for p in policies if any(s.allows for s in p.statements) and policy_grants_everything(p)]
