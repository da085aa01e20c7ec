"""`awsaudit iam simulate FILE.json`: one principal's own policies, evaluated offline.

Document: {"principal": "user/NAME" | "role/NAME" | ARN,
           "policies": [{"attached_to": "user"|"group"|"role", "name": ..., "document": {...}}],
           "permissions_boundary": {...}?, "scps": [[policy, ...] per level, root first]?,
           "context": {...}?, "queries": [[action, resource], ...]}
Unknown extra keys are ignored. Semantics (nothing but these policies is known):
- the account is 123456789012 unless the principal is an ARN;
- the request context is exactly `context` plus aws:username (users), aws:PrincipalArn and
  aws:PrincipalAccount; absent keys are absent (a closed context);
- `admin`: every action on every resource allowed in that context;
- `privesc_methods`: empty for an admin, else every method whose needs are each allowed on at
  least one resource of the required kind that could exist in the account (PassRole checked
  with iam:PassedToService = the method's service, iam:Attach*Policy with iam:PolicyARN =
  AdministratorAccess); whether the reached role is more privileged is not asked here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from awsaudit.iam import catalogue
from awsaudit.iam.conditions import Context
from awsaudit.iam.coverage import allows_everything
from awsaudit.iam.escalation import available_methods
from awsaudit.iam.evaluate import Caller, PolicySet, Request, evaluate
from awsaudit.iam.policy import Policy, PolicyError, load_document, parse_policy

DEFAULT_ACCOUNT = "123456789012"
ATTACHABLE = {"user": ("user", "group"), "role": ("role",)}


class SimulationError(ValueError):
    """The document cannot be simulated; the message is one readable line."""


@dataclass(frozen=True, slots=True)
class Simulation:
    caller: Caller
    policies: PolicySet
    context: Context
    queries: tuple[tuple[str, str], ...]

    @property
    def all_policies(self) -> list[Policy]:
        return list(self.policies.all_policies())


def parse_principal(value: Any) -> Caller:
    if not isinstance(value, str) or not value:
        raise SimulationError('"principal" must be "user/NAME", "role/NAME" or an IAM user or role ARN')
    partition, account, resource = "aws", DEFAULT_ACCOUNT, value
    if value.startswith("arn:"):
        parts = value.split(":", 5)
        if len(parts) != 6 or parts[2] != "iam" or not parts[4]:
            raise SimulationError(f"principal {value!r} is not an IAM user or role ARN")
        partition, account, resource = parts[1], parts[4], parts[5]
    kind, _, rest = resource.partition("/")
    if kind not in ATTACHABLE or not rest or rest.endswith("/"):
        raise SimulationError(f"principal {value!r} must be user/NAME or role/NAME")
    arn = value if value.startswith("arn:") else f"arn:{partition}:iam::{account}:{resource}"
    return Caller(arn, account, "user" if kind == "user" else "role", partition)


def _policy(value: Any, name: str, kind: str = "identity") -> Policy:
    try:
        return parse_policy(value, name, "scp" if kind == "scp" else "identity")
    except PolicyError as exc:
        raise SimulationError(str(exc)) from None


def parse(document: Any) -> Simulation:
    if not isinstance(document, dict):
        raise SimulationError("the simulation document must be a JSON object")
    caller = parse_principal(document.get("principal"))
    raw_policies = document.get("policies", [])
    if not isinstance(raw_policies, list):
        raise SimulationError('"policies" must be a list')
    identity: list[Policy] = []
    for index, entry in enumerate(raw_policies):
        if not isinstance(entry, dict):
            raise SimulationError(f"policies[{index}] must be an object")
        name = str(entry.get("name") or f"policies[{index}]")
        attached = entry.get("attached_to")
        if attached not in ATTACHABLE[caller.kind]:
            allowed = " or ".join(ATTACHABLE[caller.kind])
            raise SimulationError(f"policy {name}: attached_to must be {allowed} for a {caller.kind} "
                                  f"principal, not {attached!r}")
        if "document" not in entry:
            raise SimulationError(f"policy {name}: no document")
        identity.append(_policy(entry["document"], f"{attached} policy {name}"))
    boundary = None
    if document.get("permissions_boundary") is not None:
        boundary = _policy(document["permissions_boundary"], "permissions boundary")
    scps = _scps(document.get("scps"))
    context = _context(document.get("context"), caller)
    queries = _queries(document.get("queries", []))
    return Simulation(caller, PolicySet(tuple(identity), boundary, scps), context, queries)


def _scps(value: Any) -> tuple[tuple[Policy, ...], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(level, list) for level in value):
        raise SimulationError('"scps" must be a list of levels, each a list of policies')
    return tuple(tuple(_policy(doc, f"SCP level {depth} #{index}", "scp") for index, doc in enumerate(level))
                 for depth, level in enumerate(value))


def _context(value: Any, caller: Caller) -> Context:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise SimulationError('"context" must be an object of condition keys')
    values: dict[str, Any] = dict(value)
    if caller.kind == "user":
        values["aws:username"] = caller.name
    values["aws:PrincipalArn"] = caller.arn
    values["aws:PrincipalAccount"] = caller.account
    return Context.of(_dedupe_keys(values))


def _dedupe_keys(values: dict[str, Any]) -> dict[str, Any]:
    """Keys are case-insensitive; the principal's own keys (added last) win over `context`."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        out = {k: v for k, v in out.items() if k.lower() != key.lower()}
        out[key] = value
    return out


def _queries(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        raise SimulationError('"queries" must be a list of [action, resource] pairs')
    out: list[tuple[str, str]] = []
    for index, query in enumerate(value):
        if (not isinstance(query, list) or len(query) != 2
                or not all(isinstance(part, str) and part for part in query)):
            raise SimulationError(f"queries[{index}] must be [action, resource] (two strings)")
        out.append((query[0], query[1]))
    return tuple(out)


def run(simulation: Simulation) -> dict[str, Any]:
    caller, policies, ctx = simulation.caller, simulation.policies, simulation.context
    admin = allows_everything(policies, ctx, caller, caller.partition).allowed
    methods = [] if admin else [m.name for m, _ in available_methods(policies, ctx, caller)]
    decisions = [[action, resource, evaluate(Request(action, resource, ctx, caller), policies).allowed]
                 for action, resource in simulation.queries]
    return {"admin": admin, "privesc_methods": methods, "decisions": decisions}


def simulate_text(text: str) -> dict[str, Any]:
    """Parse and run a simulation document given as JSON text; SimulationError on bad input."""
    try:
        document = load_document(text)
    except PolicyError:
        raise SimulationError("not valid JSON") from None
    return run(parse(document))


def unknown_actions(simulation: Simulation) -> list[str]:
    """Actions the documents name that the catalogue does not know (warned about, matched literally)."""
    return [f"{u.action} (in {u.policy} statement {u.statement})"
            for u in catalogue.unknown_actions(simulation.all_policies)]


def dumps(result: dict[str, Any]) -> str:
    return json.dumps(result, indent=2)
